import * as z from 'zod/mini';
import type { AuditEntry } from '../audit/audit.js';
import type * as environments from '../environments/schemas.js';
import { ENVIRONMENT_ERROR_CODES, type FieldIssue, V1_ERROR_TYPES } from '../errors.js';
import type * as userSecrets from '../secrets/user-secret-schemas.js';
import { AUDIT_ACTIONS } from '../store/items/audit-event.js';
import { ROLES } from '../store/items/member.js';
import type * as tokens from '../tokens/schemas.js';

/**
 * What the API answers, as zod/mini schemas: the one description of every response body the
 * OpenAPI document (document.ts) is made from. Requests need none here: the document takes
 * them from the routes' own schemas (`handler.route`). No endpoint imports this module, so
 * none of it reaches an endpoint's bundle.
 *
 * Each body schema is checked at compile time against the type the domain returns (the
 * `agree` lines at the end), and at run time against every answer the integration tests get
 * (test/support/stack.ts), so neither side can drift from the other unnoticed.
 */

/** RFC 3339 in UTC with `Z`, as every timestamp is answered. */
export const TIMESTAMP = z.iso.datetime();
const timestamp = TIMESTAMP;
const lowercaseUuid = z.string().check(z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/));
const cursor = z.nullable(z.string());
const role = z.enum(ROLES);
const positiveInt = z.int().check(z.positive());
const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;
const requestId = z.string().check(z.regex(REQUEST_ID));

// ── v1: user secrets (snake_case) ─────────────────────────────

export const V1SecretMetadata = z.strictObject({
  id: lowercaseUuid,
  name: z.string(),
  provider: z.string(),
  masked_value: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
});
export const V1DeletedSecretMetadata = z.strictObject({
  ...V1SecretMetadata.shape,
  deleted_at: timestamp,
  purge_at: timestamp,
});
export const V1SecretVersion = z.strictObject({
  version: positiveInt,
  masked_value: z.string(),
  created_at: timestamp,
  current: z.boolean(),
});
export const V1AuditEvent = z.strictObject({
  action: z.enum(AUDIT_ACTIONS),
  actor: z.string(),
  names: z.array(z.string()),
  version: z.nullable(positiveInt),
  request_id: requestId,
  at: timestamp,
});
export const V1SecretPage = z.strictObject({
  secrets: z.array(V1SecretMetadata),
  total: z.int().check(z.gte(0)),
  next_cursor: cursor,
});
export const V1DeletedSecretPage = z.strictObject({ secrets: z.array(V1DeletedSecretMetadata), next_cursor: cursor });
export const V1SecretVersionPage = z.strictObject({ versions: z.array(V1SecretVersion), next_cursor: cursor });
export const V1AuditPage = z.strictObject({ events: z.array(V1AuditEvent), next_cursor: cursor });

// ── Environments (camelCase) ──────────────────────────────────

export const Environment = z.strictObject({
  id: lowercaseUuid,
  name: z.string(),
  description: z.string(),
  role,
  createdAt: timestamp,
  updatedAt: timestamp,
});
export const DeletedEnvironment = z.strictObject({
  ...Environment.shape,
  deletedAt: timestamp,
  deletedBy: z.string(),
  purgeAt: timestamp,
});
export const Member = z.strictObject({
  userId: z.string(),
  role,
  createdAt: timestamp,
  updatedAt: timestamp,
  updatedBy: z.string(),
});
export const EnvironmentSecret = z.strictObject({
  key: z.string(),
  description: z.string(),
  neverReveal: z.boolean(),
  maskedValue: z.string(),
  version: positiveInt,
  createdAt: timestamp,
  updatedAt: timestamp,
  updatedBy: z.string(),
});
export const DeletedEnvironmentSecret = z.strictObject({
  ...EnvironmentSecret.shape,
  deletedAt: timestamp,
  deletedBy: z.string(),
  purgeAt: timestamp,
});
export const EnvironmentSecretVersion = z.strictObject({
  version: positiveInt,
  maskedValue: z.string(),
  createdAt: timestamp,
  createdBy: z.string(),
  current: z.boolean(),
});
export const ServiceToken = z.strictObject({
  id: lowercaseUuid,
  name: z.string(),
  createdAt: timestamp,
  createdBy: z.string(),
  expiresAt: timestamp,
  lastUsedAt: z.nullable(timestamp),
});
export const CreatedServiceToken = z.strictObject({
  ...ServiceToken.shape,
  token: z.string().check(z.regex(/^sst_[A-Za-z0-9_-]{43}$/)),
});
/**
 * The answer to a create: the new token, shown this once. A retry that Idempotency-Key replays
 * answers the same without `token`, which is stored nowhere.
 */
export const ServiceTokenCreation = z.union([CreatedServiceToken, ServiceToken]);
export const EnvironmentAuditEvent = z.strictObject({
  action: z.enum(AUDIT_ACTIONS),
  actor: z.string(),
  keys: z.array(z.string()),
  version: z.optional(positiveInt),
  secretId: z.optional(z.string()),
  userId: z.optional(z.string()),
  tokenId: z.optional(z.string()),
  requestId,
  at: timestamp,
});
export const EnvironmentPage = z.strictObject({ environments: z.array(Environment), nextCursor: cursor });
export const DeletedEnvironmentPage = z.strictObject({
  environments: z.array(DeletedEnvironment),
  nextCursor: cursor,
});
export const MemberPage = z.strictObject({ members: z.array(Member), nextCursor: cursor });
export const EnvironmentSecretPage = z.strictObject({
  secrets: z.array(EnvironmentSecret),
  total: z.int().check(z.gte(0)),
  nextCursor: cursor,
});
export const DeletedEnvironmentSecretPage = z.strictObject({
  secrets: z.array(DeletedEnvironmentSecret),
  nextCursor: cursor,
});
export const EnvironmentSecretVersionPage = z.strictObject({
  versions: z.array(EnvironmentSecretVersion),
  nextCursor: cursor,
});
export const ServiceTokenPage = z.strictObject({ tokens: z.array(ServiceToken), nextCursor: cursor });
export const EnvironmentAuditPage = z.strictObject({ events: z.array(EnvironmentAuditEvent), nextCursor: cursor });
export const RevealedSecret = z.strictObject({ key: z.string(), value: z.string() });
export const RevealedSecretVersion = z.strictObject({ key: z.string(), version: positiveInt, value: z.string() });

// ── Both families ─────────────────────────────────────────────

/** What a runtime injects: every variable of a tenant, plaintext. */
export const InjectedVariables = z.strictObject({ env: z.record(z.string(), z.string()) });
export const Comparison = z.strictObject({ matches: z.boolean() });

// ── Error envelopes (lib/http/envelopes.ts) ───────────────────

export const V1FieldIssue = z.strictObject({
  loc: z.array(z.union([z.string(), z.int()])),
  msg: z.string(),
  type: z.string(),
});
export const V1Error = z.strictObject({
  code: z.int(),
  detail: z.string(),
  type: z.enum(V1_ERROR_TYPES),
  errors: z.optional(z.array(V1FieldIssue).check(z.minLength(1))),
});
export const EnvironmentsError = z.strictObject({
  code: z.enum(ENVIRONMENT_ERROR_CODES),
  message: z.string(),
  field: z.optional(z.string()),
  hint: z.optional(z.string()),
  requestId,
});

/**
 * What API Gateway answers itself, before or instead of the service: an authorizer's 401, a
 * stage or route throttle's 429, a function that failed outside the service's code (500) or
 * did not answer in time (503). The local gateway answers these as AWS does.
 */
export const GatewayError = z.strictObject({ message: z.string() });

/** Every schema above, under the name the document's components give it. */
export const NAMED_SCHEMAS: Readonly<Record<string, { schema: z.ZodMiniType; description: string }>> = {
  V1SecretMetadata: { schema: V1SecretMetadata, description: 'A user secret: metadata only, never the value.' },
  V1DeletedSecretMetadata: {
    schema: V1DeletedSecretMetadata,
    description: 'A user secret in the trash, restorable until `purge_at`.',
  },
  V1SecretVersion: { schema: V1SecretVersion, description: 'One kept value version of a user secret (masked).' },
  V1AuditEvent: { schema: V1AuditEvent, description: 'An audit event: never a value.' },
  V1SecretPage: { schema: V1SecretPage, description: 'A page of user secrets, sorted by name.' },
  V1DeletedSecretPage: { schema: V1DeletedSecretPage, description: 'A page of the trash.' },
  V1SecretVersionPage: { schema: V1SecretVersionPage, description: 'A page of value versions, newest first.' },
  V1AuditPage: { schema: V1AuditPage, description: 'A page of audit events, newest first.' },
  Environment: { schema: Environment, description: 'An environment, with the caller’s role in it.' },
  DeletedEnvironment: {
    schema: DeletedEnvironment,
    description: 'A deleted environment its former owner may restore until `purgeAt`.',
  },
  Member: { schema: Member, description: 'A member of an environment and their role.' },
  EnvironmentSecret: {
    schema: EnvironmentSecret,
    description: 'An environment secret: metadata only; `maskedValue` is `••••` for a neverReveal secret.',
  },
  DeletedEnvironmentSecret: { schema: DeletedEnvironmentSecret, description: 'An environment secret in the trash.' },
  EnvironmentSecretVersion: {
    schema: EnvironmentSecretVersion,
    description: 'One kept value version of an environment secret (masked).',
  },
  ServiceToken: { schema: ServiceToken, description: 'A service token as listed: never the token itself.' },
  CreatedServiceToken: {
    schema: CreatedServiceToken,
    description: 'A new service token: the only answer that ever holds `token`.',
  },
  ServiceTokenCreation: {
    schema: ServiceTokenCreation,
    description:
      'The new token, shown this once; a retry replayed by `Idempotency-Key` answers the same without `token` (it is stored nowhere).',
  },
  EnvironmentAuditEvent: { schema: EnvironmentAuditEvent, description: 'An audit event: never a value.' },
  EnvironmentPage: { schema: EnvironmentPage, description: 'A page of the caller’s environments.' },
  DeletedEnvironmentPage: { schema: DeletedEnvironmentPage, description: 'A page of deleted environments.' },
  MemberPage: { schema: MemberPage, description: 'A page of members.' },
  EnvironmentSecretPage: { schema: EnvironmentSecretPage, description: 'A page of secrets, sorted by key.' },
  DeletedEnvironmentSecretPage: { schema: DeletedEnvironmentSecretPage, description: 'A page of the trash.' },
  EnvironmentSecretVersionPage: {
    schema: EnvironmentSecretVersionPage,
    description: 'A page of value versions, newest first.',
  },
  ServiceTokenPage: { schema: ServiceTokenPage, description: 'A page of service tokens.' },
  EnvironmentAuditPage: { schema: EnvironmentAuditPage, description: 'A page of audit events, newest first.' },
  RevealedSecret: { schema: RevealedSecret, description: 'A secret’s current value (audited).' },
  RevealedSecretVersion: { schema: RevealedSecretVersion, description: 'One kept value of a secret (audited).' },
  InjectedVariables: {
    schema: InjectedVariables,
    description: 'Every variable of the tenant with its plaintext value (audited, `Cache-Control: no-store`).',
  },
  Comparison: { schema: Comparison, description: 'Whether the candidate equals the stored value (audited).' },
  V1FieldIssue: { schema: V1FieldIssue, description: 'One input problem, located like `["body", "name"]`.' },
  V1Error: {
    schema: V1Error,
    description: 'The v1 error envelope: `code` is the HTTP status; `errors` only on 422.',
  },
  GatewayError: {
    schema: GatewayError,
    description: 'API Gateway’s own answer (no request id in the body): see the 401, 429, 500 and 503 responses.',
  },
  EnvironmentsError: {
    schema: EnvironmentsError,
    description: 'The environments error envelope: a string `code`, and `requestId` equal to `x-request-id`.',
  },
};

/** How a route answers when it succeeds. */
export interface SuccessResponse {
  status: 200 | 201 | 204;
  /** A name of NAMED_SCHEMAS; none for a 204. */
  body?: string;
  /** Answers with the record version as a strong `ETag`. */
  etag?: boolean;
  /** Answers with `Location`, the new resource's path. */
  location?: boolean;
  /** Honours `If-Match` (412 when it names another version). */
  ifMatch?: boolean;
}

/** Each route's success, by the route's function (infra/routes.ts). */
export const SUCCESS: Readonly<Record<string, SuccessResponse>> = {
  'create-user-secret': { status: 201, body: 'V1SecretMetadata', etag: true, location: true },
  'create-user-secret-from-preset': { status: 201, body: 'V1SecretMetadata', etag: true, location: true },
  'list-user-secrets': { status: 200, body: 'V1SecretPage' },
  'list-user-audit': { status: 200, body: 'V1AuditPage' },
  'inject-user-secrets': { status: 200, body: 'InjectedVariables' },
  'list-deleted-user-secrets': { status: 200, body: 'V1DeletedSecretPage' },
  'restore-deleted-user-secret': { status: 200, body: 'V1SecretMetadata', etag: true, ifMatch: true },
  'purge-deleted-user-secret': { status: 204 },
  'list-user-secret-versions': { status: 200, body: 'V1SecretVersionPage' },
  'restore-user-secret-version': { status: 200, body: 'V1SecretMetadata', etag: true, ifMatch: true },
  'compare-user-secret': { status: 200, body: 'Comparison' },
  'rename-user-secret': { status: 200, body: 'V1SecretMetadata', etag: true, ifMatch: true },
  'get-user-secret': { status: 200, body: 'V1SecretMetadata', etag: true },
  'update-user-secret': { status: 200, body: 'V1SecretMetadata', etag: true, ifMatch: true },
  'delete-user-secret': { status: 204, ifMatch: true },
  'create-environment': { status: 201, body: 'Environment', location: true },
  'list-environments': { status: 200, body: 'EnvironmentPage' },
  'list-deleted-environments': { status: 200, body: 'DeletedEnvironmentPage' },
  'update-environment': { status: 200, body: 'Environment' },
  'delete-environment': { status: 204 },
  'restore-environment': { status: 200, body: 'Environment' },
  'get-environment': { status: 200, body: 'Environment' },
  'list-environment-members': { status: 200, body: 'MemberPage' },
  'put-environment-member': { status: 200, body: 'Member' },
  'remove-environment-member': { status: 204 },
  'create-environment-secret': { status: 201, body: 'EnvironmentSecret', etag: true, location: true },
  'list-environment-secrets': { status: 200, body: 'EnvironmentSecretPage' },
  'get-environment-secret': { status: 200, body: 'EnvironmentSecret', etag: true },
  'update-environment-secret': { status: 200, body: 'EnvironmentSecret', etag: true, ifMatch: true },
  'delete-environment-secret': { status: 204, ifMatch: true },
  'list-environment-secret-versions': { status: 200, body: 'EnvironmentSecretVersionPage' },
  'reveal-environment-secret-version': { status: 200, body: 'RevealedSecretVersion' },
  'restore-environment-secret-version': { status: 200, body: 'EnvironmentSecret', etag: true, ifMatch: true },
  'list-deleted-environment-secrets': { status: 200, body: 'DeletedEnvironmentSecretPage' },
  'restore-deleted-environment-secret': { status: 200, body: 'EnvironmentSecret', etag: true, ifMatch: true },
  'purge-deleted-environment-secret': { status: 204 },
  'compare-environment-secret': { status: 200, body: 'Comparison' },
  'copy-environment-secret': { status: 201, body: 'EnvironmentSecret', etag: true, location: true },
  'reveal-environment-secret': { status: 200, body: 'RevealedSecret' },
  'inject-environment-secrets': { status: 200, body: 'InjectedVariables' },
  'create-service-token': { status: 201, body: 'ServiceTokenCreation' },
  'list-service-tokens': { status: 200, body: 'ServiceTokenPage' },
  'revoke-service-token': { status: 204 },
  'inject-with-service-token': { status: 200, body: 'InjectedVariables' },
  'list-environment-audit': { status: 200, body: 'EnvironmentAuditPage' },
};

// ── The schemas agree with the types the domain returns ───────

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree = <_Checks extends true[]>(): void => undefined;
agree<
  [
    Same<z.output<typeof V1SecretMetadata>, userSecrets.UserSecretMetadata>,
    Same<z.output<typeof V1DeletedSecretMetadata>, userSecrets.DeletedUserSecretMetadata>,
    Same<z.output<typeof V1SecretVersion>, userSecrets.UserSecretVersion>,
    // The domain types `action` as any string; the schema names the actions.
    Same<Omit<z.output<typeof V1AuditEvent>, 'action'>, Omit<userSecrets.UserAuditEvent, 'action'>>,
    Same<z.output<typeof Environment>, environments.Environment>,
    Same<z.output<typeof DeletedEnvironment>, environments.DeletedEnvironment>,
    Same<z.output<typeof Member>, environments.Member>,
    Same<z.output<typeof EnvironmentSecret>, environments.SecretMetadata>,
    Same<z.output<typeof DeletedEnvironmentSecret>, environments.DeletedSecretMetadata>,
    Same<z.output<typeof EnvironmentSecretVersion>, environments.SecretVersion>,
    Same<z.output<typeof ServiceToken>, tokens.ServiceToken>,
    Same<z.output<typeof CreatedServiceToken>, tokens.CreatedServiceToken>,
    Same<z.output<typeof EnvironmentAuditEvent>, AuditEntry>,
    Same<z.output<typeof V1FieldIssue>, FieldIssue>,
  ]
>();
