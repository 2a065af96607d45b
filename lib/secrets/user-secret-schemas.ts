import * as z from 'zod/mini';
import { uuidParam, versionParam } from '../fields.js';
import type { UserSecretMetadataRecord } from '../store/items/user-secret.js';
import { PageQuery } from '../store/page-query.js';
import { secretValueSchema, variableNameSchema } from './names.js';
import { PRESET_PROVIDERS } from './presets.js';

/** Request and record shapes of the v1 user secrets API (snake_case on the wire). */

export const providerSchema = z
  .string()
  .check(
    z.regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, { error: 'Provider must be a lowercase slug of at most 32 characters' }),
  );

export const CreateUserSecretBody = z.strictObject({
  name: variableNameSchema,
  provider: z._default(providerSchema, 'custom'),
  value: secretValueSchema,
});
export type CreateUserSecretBody = z.infer<typeof CreateUserSecretBody>;

export const CreateFromPresetBody = z.strictObject({
  provider: z.enum(PRESET_PROVIDERS as [string, ...string[]]),
  value: secretValueSchema,
});
export type CreateFromPresetBody = z.infer<typeof CreateFromPresetBody>;

export const UpdateUserSecretBody = z.strictObject({ value: secretValueSchema });
export type UpdateUserSecretBody = z.infer<typeof UpdateUserSecretBody>;

/** A candidate checked against the stored value; as large as a value may be, no larger. */
export const CompareUserSecretBody = z.strictObject({ value: secretValueSchema });
export type CompareUserSecretBody = z.infer<typeof CompareUserSecretBody>;

export const RenameUserSecretBody = z.strictObject({ name: variableNameSchema });
export type RenameUserSecretBody = z.infer<typeof RenameUserSecretBody>;

export const SecretIdPath = z.object({ id: uuidParam });

export const SecretVersionPath = z.object({
  id: uuidParam,
  version: versionParam,
});

export const ListUserSecretsQuery = PageQuery;
export type ListUserSecretsQuery = PageQuery;

/** The response body: metadata only, never the value. */
export interface UserSecretMetadata {
  id: string;
  name: string;
  provider: string;
  masked_value: string;
  created_at: string;
  updated_at: string;
}

/** A secret in the trash: its metadata, when it was deleted and when it is purged. */
export interface DeletedUserSecretMetadata extends UserSecretMetadata {
  deleted_at: string;
  purge_at: string;
}

/** One value version of a secret, newest first in its list; never the value. */
export interface UserSecretVersion {
  version: number;
  masked_value: string;
  created_at: string;
  current: boolean;
}

/** An audit event of the v1 API: which names, and the record version a change wrote (null for an access). */
export interface UserAuditEvent {
  action: string;
  actor: string;
  names: string[];
  version: number | null;
  request_id: string;
  at: string;
}

export function toDeletedMetadata(
  record: UserSecretMetadataRecord & { deleted_at: string; purge_at: string },
): DeletedUserSecretMetadata {
  return { ...toMetadata(record), deleted_at: record.deleted_at, purge_at: record.purge_at };
}

export function toMetadata(record: UserSecretMetadataRecord): UserSecretMetadata {
  const { id, name, provider, masked_value, created_at, updated_at } = record;
  return { id, name, provider, masked_value, created_at, updated_at };
}
