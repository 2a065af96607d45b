import * as z from 'zod/mini';
import { subjectSchema, uuidParam, versionParam } from '../fields.js';
import { isWellFormedText, secretValueSchema, variableNameSchema } from '../secrets/names.js';
import type { EnvironmentHeaderRecord } from '../store/items/environment-header.js';
import type { EnvironmentSecretMetadataRecord, EnvironmentSecretRecord } from '../store/items/environment-secret.js';
import { type MemberRecord, ROLES, type Role } from '../store/items/member.js';

/**
 * Request and response shapes of the environments API. The wire is camelCase; stored
 * records (store/items) are snake_case like every other item in the table.
 */

// ── Requests ──────────────────────────────────────────────

export const EnvironmentPath = z.object({ id: uuidParam });
export const MemberPath = z.object({ id: uuidParam, userId: subjectSchema });
/** A secret's key follows the v1 name rules, so every key is a usable variable name. */
export const SecretPath = z.object({ id: uuidParam, key: variableNameSchema });

/** A candidate checked against the stored value; as large as a value may be, no larger. */
export const CompareSecretBody = z.strictObject({ value: secretValueSchema });
export type CompareSecretBody = z.infer<typeof CompareSecretBody>;

/** Where a copy goes: another environment (or this one), under another key if given; `move` trashes the source. */
export const CopySecretBody = z.strictObject({
  toEnvironmentId: uuidParam,
  toKey: z.optional(variableNameSchema),
  move: z._default(z.boolean(), false),
});
export type CopySecretBody = z.infer<typeof CopySecretBody>;

export const SecretVersionPath = z.object({
  id: uuidParam,
  key: variableNameSchema,
  version: versionParam,
});

/**
 * Free text is stored and handed back as sent, so like values it must be valid Unicode: a lone
 * surrogate (`"\ud800"` in JSON) would be altered or refused on its way through UTF-8.
 */
const wellFormed = z.refine<string>(isWellFormedText, {
  error: 'Must be valid Unicode; it holds a lone surrogate (such as \\ud800)',
});

/** A name people give things (an environment, a service token). */
export const displayNameSchema = z
  .string()
  .check(
    z.trim(),
    z.minLength(1),
    z.maxLength(100),
    z.regex(/^\P{Cc}*$/u, { error: 'Name must not contain control characters' }),
    wellFormed,
  );
const descriptionSchema = z.string().check(z.maxLength(1000), wellFormed);

export const CreateEnvironmentBody = z.strictObject({
  name: displayNameSchema,
  description: z._default(descriptionSchema, ''),
});
export type CreateEnvironmentBody = z.infer<typeof CreateEnvironmentBody>;

export const UpdateEnvironmentBody = z
  .strictObject({ name: z.optional(displayNameSchema), description: z.optional(descriptionSchema) })
  .check(z.refine((patch) => Object.keys(patch).length > 0, { error: 'Send at least one of name or description' }));
export type UpdateEnvironmentBody = z.infer<typeof UpdateEnvironmentBody>;

export const PutMemberBody = z.strictObject({ role: z.enum(ROLES) });

export const CreateSecretBody = z.strictObject({
  key: variableNameSchema,
  value: secretValueSchema,
  description: z._default(descriptionSchema, ''),
  neverReveal: z._default(z.boolean(), false),
});
export type CreateSecretBody = z.infer<typeof CreateSecretBody>;

export const UpdateSecretBody = z
  .strictObject({
    value: z.optional(secretValueSchema),
    description: z.optional(descriptionSchema),
    neverReveal: z.optional(z.boolean()),
  })
  .check(
    z.refine((patch) => Object.keys(patch).length > 0, {
      error: 'Send at least one of value, description or neverReveal',
    }),
  );
export type UpdateSecretBody = z.infer<typeof UpdateSecretBody>;

// ── Responses ──────────────────────────────────────────────

export interface Environment {
  id: string;
  name: string;
  description: string;
  /** The caller's role in it. */
  role: Role;
  createdAt: string;
  updatedAt: string;
}

/** A deleted environment its former owner may still restore, until `purgeAt`. */
export interface DeletedEnvironment extends Environment {
  deletedAt: string;
  deletedBy: string;
  purgeAt: string;
}

export interface Member {
  userId: string;
  role: Role;
  createdAt: string;
  updatedAt: string;
  /** Who last granted or changed the role. */
  updatedBy: string;
}

/** Never the value: `maskedValue` is `••••` for a neverReveal secret. */
/** One value version of a secret, newest first in its list; never the value. */
export interface SecretVersion {
  version: number;
  maskedValue: string;
  createdAt: string;
  createdBy: string;
  current: boolean;
}

/** A secret in the trash: its metadata, who deleted it when, and when it is purged. */
export interface DeletedSecretMetadata extends SecretMetadata {
  deletedAt: string;
  deletedBy: string;
  purgeAt: string;
}

export function toDeletedSecretMetadata(
  record: EnvironmentSecretRecord & { deleted_at: string; deleted_by: string; purge_at: string },
): DeletedSecretMetadata {
  return {
    ...toSecretMetadata(record),
    deletedAt: record.deleted_at,
    deletedBy: record.deleted_by,
    purgeAt: record.purge_at,
  };
}

export interface SecretMetadata {
  key: string;
  description: string;
  neverReveal: boolean;
  maskedValue: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

// ── Mapping ──────────────────────────────────────────────

export function toEnvironment(id: string, header: EnvironmentHeaderRecord, callerRole: Role): Environment {
  return {
    id,
    name: header.name,
    description: header.description,
    role: callerRole,
    createdAt: header.created_at,
    updatedAt: header.updated_at,
  };
}

export function toDeletedEnvironment(id: string, header: EnvironmentHeaderRecord): DeletedEnvironment {
  return {
    ...toEnvironment(id, header, 'owner'),
    deletedAt: header.deleted_at!,
    deletedBy: header.deleted_by!,
    purgeAt: header.purge_at!,
  };
}

export function toMember(record: MemberRecord): Member {
  return {
    userId: record.user_id,
    role: record.role,
    createdAt: record.created_at,
    updatedAt: record.updated_at,
    updatedBy: record.updated_by,
  };
}

export function toSecretMetadata(record: EnvironmentSecretMetadataRecord): SecretMetadata {
  return {
    key: record.key,
    description: record.description,
    neverReveal: record.never_reveal,
    maskedValue: record.masked_value,
    version: record.version,
    createdAt: record.created_at,
    updatedAt: record.updated_at,
    updatedBy: record.updated_by,
  };
}
