import * as z from 'zod/mini';
import type { RouteDefinition } from '../../infra/routes.js';
import type { ENVIRONMENT_ERROR_CODES, V1_ERROR_TYPES } from '../../lib/errors.js';
import { AUDIT_ACTIONS } from '../../lib/store/items/audit-event.js';

/**
 * What every answer of the API must look like, as checks that return the problems they find
 * (an empty list when the answer is fine), so a property can report all of them at once.
 */
export const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, `undefined` when there is none or it is not JSON. */
  body: any;
}

export type Family = RouteDefinition['family'];

/** The envelope family of a path, as the gateway picks it for paths no route has. */
export const familyOfPath = (path: string): Family => (path.startsWith('/api/v1/') ? 'v1' : 'environments');

/** The v1 `type` of each status (docs/api.md, "Error types"). */
const V1_TYPE_OF_STATUS: Record<number, (typeof V1_ERROR_TYPES)[number]> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'method_not_allowed',
  409: 'conflict_error',
  412: 'precondition_failed',
  413: 'payload_too_large',
  // The gateway's own answer to a request line and headers over Node's 16 KB limit.
  431: 'payload_too_large',
  422: 'validation_error',
  426: 'upgrade_required',
  429: 'rate_limit_error',
};

/** The status each environments code answers with (docs/api.md, "Error codes"). */
const ENVIRONMENT_STATUS_OF_CODE: Partial<Record<(typeof ENVIRONMENT_ERROR_CODES)[number], number>> = {
  INVALID_JSON: 400,
  VALIDATION_ERROR: 400,
  UNKNOWN_FIELD: 400,
  READONLY_FIELD: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  SECRET_NEVER_REVEAL: 403,
  NOT_FOUND: 404,
  ENVIRONMENT_NOT_FOUND: 404,
  SECRET_NOT_FOUND: 404,
  MEMBER_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  SECRET_EXISTS: 409,
  SECRET_DELETED: 409,
  VERSION_NOT_FOUND: 404,
  LAST_OWNER: 409,
  TOKEN_NOT_FOUND: 404,
  ENVIRONMENT_NOT_DELETED: 409,
  REQUEST_IN_PROGRESS: 409,
  QUOTA_EXCEEDED: 409,
  IDEMPOTENCY_KEY_REUSED: 400,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UPGRADE_REQUIRED: 426,
  RATE_LIMITED: 429,
};

/** Headers and envelope every answer carries, success or refusal. */
export function checkCommon(answer: Answer, family: Family): string[] {
  const problems: string[] = [];
  const requestId = answer.headers.get('x-request-id');
  if (!requestId || !REQUEST_ID.test(requestId)) problems.push(`x-request-id is ${JSON.stringify(requestId)}`);
  if (answer.status >= 500) problems.push(`status ${answer.status} (a 5xx)`);
  if (answer.headers.get('cache-control') !== 'no-store')
    problems.push(`cache-control is ${JSON.stringify(answer.headers.get('cache-control'))}`);
  if (answer.status >= 400) problems.push(...checkEnvelope(answer, family));
  const lone = loneSurrogateIn(answer.body);
  if (lone !== undefined) problems.push(`the answer holds text that is not valid Unicode: ${JSON.stringify(lone)}`);
  return problems;
}

/** The first string (or key) in a JSON value that holds a lone surrogate, which no client can decode as UTF-8. */
function loneSurrogateIn(value: unknown): string | undefined {
  if (typeof value === 'string') return /\p{Surrogate}/u.test(value) ? value : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const found = loneSurrogateIn(key) ?? loneSurrogateIn(inner);
    if (found !== undefined) return found;
  }
  return undefined;
}

function checkEnvelope(answer: Answer, family: Family): string[] {
  const problems: string[] = [];
  const { body, status } = answer;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return [`error body is not a JSON object: ${clip(answer.text)}`];
  if ((answer.headers.get('content-type') ?? '').split(';')[0] !== 'application/json')
    problems.push(`error content-type is ${answer.headers.get('content-type')}`);
  const keys = Object.keys(body);
  if (family === 'v1') {
    const extra = keys.filter((key) => !['code', 'detail', 'type', 'errors'].includes(key));
    if (extra.length) problems.push(`v1 envelope has extra keys ${extra.join(', ')}`);
    if (body.code !== status) problems.push(`v1 code ${JSON.stringify(body.code)} is not the status ${status}`);
    if (typeof body.detail !== 'string') problems.push('v1 detail is not a string');
    if (body.type !== V1_TYPE_OF_STATUS[status]) problems.push(`v1 type ${body.type} for status ${status}`);
    if (status === 422) {
      const issues = body.errors;
      if (!Array.isArray(issues) || issues.length < 1 || issues.length > 20) problems.push('422 without 1–20 errors');
      else if (!issues.every((issue) => FieldIssue.safeParse(issue).success))
        problems.push(`malformed errors ${clip(JSON.stringify(issues))}`);
    } else if ('errors' in body) problems.push(`errors on a ${status}`);
  } else {
    const extra = keys.filter((key) => !['code', 'message', 'field', 'hint', 'requestId'].includes(key));
    if (extra.length) problems.push(`environments envelope has extra keys ${extra.join(', ')}`);
    const expected = ENVIRONMENT_STATUS_OF_CODE[body.code as keyof typeof ENVIRONMENT_STATUS_OF_CODE];
    if (expected !== status && !(body.code === 'PAYLOAD_TOO_LARGE' && status === 431))
      problems.push(`environments code ${JSON.stringify(body.code)} with status ${status}`);
    if (typeof body.message !== 'string') problems.push('environments message is not a string');
    if ('field' in body && typeof body.field !== 'string') problems.push('environments field is not a string');
    if ('hint' in body && typeof body.hint !== 'string') problems.push('environments hint is not a string');
    if (body.requestId !== answer.headers.get('x-request-id'))
      problems.push(`requestId ${body.requestId} is not the x-request-id header`);
  }
  if (status === 405 && !answer.headers.get('allow')) problems.push('405 without Allow');
  if (status === 401 && !answer.headers.get('www-authenticate')) problems.push('401 without WWW-Authenticate');
  if (status === 429 && !answer.headers.get('retry-after')) problems.push('429 without Retry-After');
  return problems;
}

const FieldIssue = z.strictObject({
  loc: z.array(z.union([z.string(), z.number()])),
  msg: z.string(),
  type: z.string(),
});

// ── Success shapes, per route function ──────────────────────────────

const timestamp = z.iso.datetime();
const lowercaseUuid = z.string().check(z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/));
const role = z.enum(['owner', 'editor', 'viewer']);
const cursor = z.nullable(z.string());

const V1Metadata = z.strictObject({
  id: lowercaseUuid,
  name: z.string(),
  provider: z.string(),
  masked_value: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
});
const Environment = z.strictObject({
  id: lowercaseUuid,
  name: z.string(),
  description: z.string(),
  role,
  createdAt: timestamp,
  updatedAt: timestamp,
});
const Member = z.strictObject({
  userId: z.string(),
  role,
  createdAt: timestamp,
  updatedAt: timestamp,
  updatedBy: z.string(),
});
const SecretMetadata = z.strictObject({
  key: z.string(),
  description: z.string(),
  neverReveal: z.boolean(),
  maskedValue: z.string(),
  version: z.int().check(z.positive()),
  createdAt: timestamp,
  updatedAt: timestamp,
  updatedBy: z.string(),
});
const Env = z.strictObject({ env: z.record(z.string(), z.string()) });
const valueVersion = z.int().check(z.positive());
const V1Version = z.strictObject({
  version: valueVersion,
  masked_value: z.string(),
  created_at: timestamp,
  current: z.boolean(),
});
const SecretVersion = z.strictObject({
  version: valueVersion,
  maskedValue: z.string(),
  createdAt: timestamp,
  createdBy: z.string(),
  current: z.boolean(),
});
/** The answer of a compare: whether the candidate is the value, and nothing else. */
const Matches = z.strictObject({ matches: z.boolean() });
const ServiceToken = z.strictObject({
  id: lowercaseUuid,
  name: z.string(),
  createdAt: timestamp,
  createdBy: z.string(),
  expiresAt: timestamp,
  lastUsedAt: z.nullable(timestamp),
});

interface SuccessShape {
  status: number;
  schema?: z.ZodMiniType;
  etag?: boolean;
  location?: boolean;
}

export const SUCCESS_SHAPES: Record<string, SuccessShape> = {
  'create-user-secret': { status: 201, schema: V1Metadata, etag: true, location: true },
  'create-user-secret-from-preset': { status: 201, schema: V1Metadata, etag: true, location: true },
  'list-user-secrets': {
    status: 200,
    schema: z.strictObject({ secrets: z.array(V1Metadata), total: z.int().check(z.gte(0)), next_cursor: cursor }),
  },
  'inject-user-secrets': { status: 200, schema: Env },
  'list-user-audit': {
    status: 200,
    schema: z.strictObject({
      events: z.array(
        z.strictObject({
          action: z.enum(AUDIT_ACTIONS),
          actor: z.string(),
          names: z.array(z.string()),
          version: z.nullable(z.int().check(z.positive())),
          request_id: z.string().check(z.regex(REQUEST_ID)),
          at: timestamp,
        }),
      ),
      next_cursor: cursor,
    }),
  },
  'get-user-secret': { status: 200, schema: V1Metadata, etag: true },
  'update-user-secret': { status: 200, schema: V1Metadata, etag: true },
  'delete-user-secret': { status: 204 },
  'list-user-secret-versions': {
    status: 200,
    schema: z.strictObject({ versions: z.array(V1Version), next_cursor: cursor }),
  },
  'restore-user-secret-version': { status: 200, schema: V1Metadata, etag: true },
  'list-deleted-user-secrets': {
    status: 200,
    schema: z.strictObject({
      secrets: z.array(z.strictObject({ ...V1Metadata.shape, deleted_at: timestamp, purge_at: timestamp })),
      next_cursor: cursor,
    }),
  },
  'restore-deleted-user-secret': { status: 200, schema: V1Metadata, etag: true },
  'purge-deleted-user-secret': { status: 204 },
  'compare-user-secret': { status: 200, schema: Matches },
  'rename-user-secret': { status: 200, schema: V1Metadata, etag: true },
  'create-environment': { status: 201, schema: Environment, location: true },
  'list-environments': {
    status: 200,
    schema: z.strictObject({ environments: z.array(Environment), nextCursor: cursor }),
  },
  'get-environment': { status: 200, schema: Environment },
  'update-environment': { status: 200, schema: Environment },
  'delete-environment': { status: 204 },
  'restore-environment': { status: 200, schema: Environment },
  'list-deleted-environments': {
    status: 200,
    schema: z.strictObject({
      environments: z.array(
        z.strictObject({ ...Environment.shape, deletedAt: timestamp, deletedBy: z.string(), purgeAt: timestamp }),
      ),
      nextCursor: cursor,
    }),
  },
  'list-environment-members': {
    status: 200,
    schema: z.strictObject({ members: z.array(Member), nextCursor: cursor }),
  },
  'put-environment-member': { status: 200, schema: Member },
  'remove-environment-member': { status: 204 },
  'create-environment-secret': { status: 201, schema: SecretMetadata, etag: true, location: true },
  'list-environment-secrets': {
    status: 200,
    schema: z.strictObject({ secrets: z.array(SecretMetadata), total: z.int().check(z.gte(0)), nextCursor: cursor }),
  },
  'get-environment-secret': { status: 200, schema: SecretMetadata, etag: true },
  'update-environment-secret': { status: 200, schema: SecretMetadata, etag: true },
  'delete-environment-secret': { status: 204 },
  'reveal-environment-secret': { status: 200, schema: z.strictObject({ key: z.string(), value: z.string() }) },
  'list-environment-secret-versions': {
    status: 200,
    schema: z.strictObject({ versions: z.array(SecretVersion), nextCursor: cursor }),
  },
  'reveal-environment-secret-version': {
    status: 200,
    schema: z.strictObject({ key: z.string(), version: valueVersion, value: z.string() }),
  },
  'restore-environment-secret-version': { status: 200, schema: SecretMetadata, etag: true },
  'list-deleted-environment-secrets': {
    status: 200,
    schema: z.strictObject({
      secrets: z.array(
        z.strictObject({ ...SecretMetadata.shape, deletedAt: timestamp, deletedBy: z.string(), purgeAt: timestamp }),
      ),
      nextCursor: cursor,
    }),
  },
  'restore-deleted-environment-secret': { status: 200, schema: SecretMetadata, etag: true },
  'purge-deleted-environment-secret': { status: 204 },
  'compare-environment-secret': { status: 200, schema: Matches },
  'copy-environment-secret': { status: 201, schema: SecretMetadata, etag: true, location: true },
  'inject-environment-secrets': { status: 200, schema: Env },
  'create-service-token': {
    status: 201,
    schema: z.strictObject({ ...ServiceToken.shape, token: z.string().check(z.regex(/^sst_[A-Za-z0-9_-]{43}$/)) }),
  },
  'list-service-tokens': {
    status: 200,
    schema: z.strictObject({ tokens: z.array(ServiceToken), nextCursor: cursor }),
  },
  'revoke-service-token': { status: 204 },
  'inject-with-service-token': { status: 200, schema: Env },
  'list-environment-audit': {
    status: 200,
    schema: z.strictObject({
      events: z.array(
        z.strictObject({
          action: z.enum(AUDIT_ACTIONS),
          actor: z.string(),
          keys: z.array(z.string()),
          version: z.optional(z.int().check(z.positive())),
          userId: z.optional(z.string()),
          tokenId: z.optional(z.string()),
          requestId: z.string().check(z.regex(REQUEST_ID)),
          at: timestamp,
        }),
      ),
      nextCursor: cursor,
    }),
  },
};

/** A 2xx from `route` has the route's success status and shape. */
export function checkSuccess(answer: Answer, route: RouteDefinition): string[] {
  const shape = SUCCESS_SHAPES[route.function];
  if (!shape) return [`no success shape known for ${route.function}`];
  const problems: string[] = [];
  if (answer.status !== shape.status) problems.push(`success status ${answer.status}, expected ${shape.status}`);
  if (shape.schema) {
    const parsed = shape.schema.safeParse(answer.body);
    if (!parsed.success) problems.push(`success body does not match: ${clip(answer.text)}`);
  } else if (answer.text !== '') problems.push(`${answer.status} with a body: ${clip(answer.text)}`);
  if (shape.etag && !/^"[1-9]\d*"$/.test(answer.headers.get('etag') ?? ''))
    problems.push(`ETag is ${answer.headers.get('etag')}`);
  if (shape.location && !answer.headers.get('location')?.startsWith('/api/')) problems.push('no Location');
  return problems;
}

export function clip(text: string, length = 300): string {
  return text.length > length ? `${text.slice(0, length)}…(${text.length} chars)` : text;
}
