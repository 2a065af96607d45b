import type { EnvironmentHeaderRecord } from '../store/items/environment-header.js';
import type { EnvironmentSecretMetadataRecord, EnvironmentSecretRecord } from '../store/items/environment-secret.js';
import type { MemberRecord, Role } from '../store/items/member.js';

/**
 * Response shapes of the environments API and how stored records map to them (requests:
 * paths.ts, environment-requests.ts, secret-requests.ts). The wire is camelCase; stored
 * records (store/items) are snake_case like every other item in the table.
 */

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
