/**
 * The shapes of both API families, as the client sends and receives them. Nothing here is a
 * second copy: request bodies are the input types of the zod schemas the handlers validate with
 * and responses the interfaces the handlers answer with, imported as types only, so the bundle
 * carries none of lib/ (and no AWS SDK).
 */
import type * as z from 'zod/mini';
import type { AuditEntry } from '../lib/audit/audit.js';
import type {
  CreateEnvironmentBody,
  PutMemberBody,
  UpdateEnvironmentBody,
} from '../lib/environments/environment-requests.js';
import type {
  DeletedEnvironment,
  DeletedSecretMetadata,
  Environment,
  Member,
  SecretMetadata,
  SecretVersion,
} from '../lib/environments/schemas.js';
import type {
  CompareSecretBody,
  CopySecretBody,
  CreateSecretBody,
  UpdateSecretBody,
} from '../lib/environments/secret-requests.js';
import type {
  CompareUserSecretBody,
  CreateFromPresetBody,
  CreateUserSecretBody,
  DeletedUserSecretMetadata,
  RenameUserSecretBody,
  UpdateUserSecretBody,
  UserAuditEvent,
  UserSecretMetadata,
  UserSecretVersion,
} from '../lib/secrets/user-secret-schemas.js';
import type { Role } from '../lib/store/items/member.js';
import type { CreatedServiceToken, CreateServiceTokenBody, ServiceToken } from '../lib/tokens/schemas.js';

export type ApiFamily = 'v1' | 'environments';

export type {
  CreatedServiceToken,
  DeletedEnvironment,
  DeletedSecretMetadata,
  DeletedUserSecretMetadata,
  Environment,
  Member,
  Role,
  SecretMetadata,
  SecretVersion,
  ServiceToken,
  UserAuditEvent,
  UserSecretMetadata,
  UserSecretVersion,
};

/** An environment audit event: `{action, actor, keys, version?, userId?, tokenId?, requestId, at}`. */
export type EnvironmentAuditEvent = AuditEntry;

// ── Errors ──────────────────────────────────────────────

/** v1: `{code: <HTTP status>, detail, type, errors?}`. */
export interface V1ErrorEnvelope {
  code: number;
  detail: string;
  type: string;
  errors?: { loc: (string | number)[]; msg: string; type: string }[];
}

/** Environments: `{code: "<STRING_CODE>", message, field?, hint?, requestId}`. */
export interface EnvironmentsErrorEnvelope {
  code: string;
  message: string;
  field?: string;
  hint?: string;
  requestId: string;
}

export type ErrorEnvelope = V1ErrorEnvelope | EnvironmentsErrorEnvelope;

// ── Requests ──────────────────────────────────────────────

export type CreateUserSecretInput = z.input<typeof CreateUserSecretBody>;
export type CreateFromPresetInput = z.input<typeof CreateFromPresetBody>;
export type UpdateUserSecretInput = z.input<typeof UpdateUserSecretBody>;
export type CompareUserSecretInput = z.input<typeof CompareUserSecretBody>;
export type RenameUserSecretInput = z.input<typeof RenameUserSecretBody>;
export type CreateEnvironmentInput = z.input<typeof CreateEnvironmentBody>;
export type UpdateEnvironmentInput = z.input<typeof UpdateEnvironmentBody>;
export type PutMemberInput = z.input<typeof PutMemberBody>;
export type CreateEnvironmentSecretInput = z.input<typeof CreateSecretBody>;
export type UpdateEnvironmentSecretInput = z.input<typeof UpdateSecretBody>;
export type CompareEnvironmentSecretInput = z.input<typeof CompareSecretBody>;
export type CopyEnvironmentSecretInput = z.input<typeof CopySecretBody>;
export type CreateServiceTokenInput = z.input<typeof CreateServiceTokenBody>;

/** `limit` (1–100, default 50) and the cursor the previous page handed out. */
export interface PageQuery {
  limit?: number;
  cursor?: string;
}

// ── Responses ──────────────────────────────────────────────

export interface UserSecretList {
  secrets: UserSecretMetadata[];
  total: number;
  next_cursor: string | null;
}
export interface UserSecretVersionList {
  versions: UserSecretVersion[];
  next_cursor: string | null;
}
export interface DeletedUserSecretList {
  secrets: DeletedUserSecretMetadata[];
  next_cursor: string | null;
}
export interface UserAuditList {
  events: UserAuditEvent[];
  next_cursor: string | null;
}
export interface EnvironmentList {
  environments: Environment[];
  nextCursor: string | null;
}
export interface DeletedEnvironmentList {
  environments: DeletedEnvironment[];
  nextCursor: string | null;
}
export interface MemberList {
  members: Member[];
  nextCursor: string | null;
}
export interface EnvironmentSecretList {
  secrets: SecretMetadata[];
  total: number;
  nextCursor: string | null;
}
export interface EnvironmentSecretVersionList {
  versions: SecretVersion[];
  nextCursor: string | null;
}
export interface DeletedEnvironmentSecretList {
  secrets: DeletedSecretMetadata[];
  nextCursor: string | null;
}
export interface EnvironmentAuditList {
  events: EnvironmentAuditEvent[];
  nextCursor: string | null;
}
export interface ServiceTokenList {
  tokens: ServiceToken[];
  nextCursor: string | null;
}
/** Plaintext for a runtime: every variable of one tenant. */
export interface InjectedEnv {
  env: Record<string, string>;
}
export interface RevealedValue {
  key: string;
  value: string;
}
export interface RevealedVersionValue extends RevealedValue {
  version: number;
}
export interface CompareResult {
  matches: boolean;
}
