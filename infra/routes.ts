import type { ApiFamily } from '../lib/http/envelopes.js';
import { RENDERER_BUNDLE_FILES } from '../lib/openapi/public-files.js';

/**
 * The one route table. The local gateway routes from it and the CDK API stack makes one
 * function per entry from it, with exactly the grants listed here — so a new route is one
 * entry plus its handler, and neither the gateway nor the stacks change.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** DynamoDB actions a route performs (transactions are authorised per contained action). */
export type TableAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'BatchWriteItem'
  | 'Query'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'ConditionCheckItem';
export type KmsAction = 'GenerateDataKey' | 'Decrypt';

export interface RouteDefinition {
  method: HttpMethod;
  path: string;
  /** Directory under `functions/` holding `handler.ts`. */
  function: string;
  family: ApiFamily;
  table: TableAction[];
  /** KMS use, limited by IAM to data keys whose encryption context names a tenant of this kind. */
  kms: KmsAction[];
  /** Whose data keys the route may use; required when `kms` is not empty. */
  tenantKind?: 'USER' | 'ENV';
  /** Needs the GSI1 index (not only the base table). */
  index?: boolean;
  /** Limits of its own, for routes that hand out plaintext in bulk (see RouteLimits). */
  limits?: RouteLimits;
  /**
   * Who may call it: a person's JWT (the default, checked by the gateway's JWT authorizer) or
   * a service token, which the function itself verifies on every call so that a revocation
   * holds at once (no authorizer, no cache in front of it). `none`: anyone — only the
   * published documentation (PUBLIC_ROUTES), whose functions touch no table and no key.
   */
  auth?: 'jwt' | 'service-token' | 'none';
  /**
   * Files (paths from the project root) the function reads at run time, copied next to its
   * bundle; locally the handler finds them where they are.
   */
  bundleFiles?: readonly string[];
}

/**
 * A route's own limits, across all callers. API Gateway answers 429 above `rateLimit`
 * requests per second (bursts up to `burstLimit`) before any function runs, and the function's
 * reserved concurrency caps requests in flight, so that a slow table or KMS is not met by a
 * pile-up of retries (Lambda refuses the excess, which API Gateway answers with 500).
 */
export interface RouteLimits {
  rateLimit: number;
  burstLimit: number;
  reservedConcurrency: number;
}

/** Runtimes fetching all their values (each inject reads a whole tenant and unwraps its data key). */
export const INJECT_LIMITS: RouteLimits = { rateLimit: 25, burstLimit: 50, reservedConcurrency: 50 };
/** A person revealing one value. */
export const REVEAL_LIMITS: RouteLimits = { rateLimit: 5, burstLimit: 10, reservedConcurrency: 10 };
/** Anyone reading the documentation: no token is checked, so no one caller can run up the bill. */
export const PUBLIC_LIMITS: RouteLimits = { rateLimit: 10, burstLimit: 20, reservedConcurrency: 5 };

/**
 * A write route's own actions plus what its `Idempotency-Key` records need: claim (PutItem),
 * read back (GetItem), take over or complete (UpdateItem, also inside the write's transaction),
 * give back after a failure before the write (DeleteItem).
 */
function withIdempotency(...actions: TableAction[]): TableAction[] {
  return [...new Set<TableAction>([...actions, 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'])];
}

/** The function behind API Gateway's `$default` route: what no entry below matches. */
export const UNMATCHED_ROUTE_FUNCTION = 'answer-unmatched-route';

const USER_SECRETS = '/api/v1/user/secrets';
const ENVIRONMENTS = '/api/environments';
const ENVIRONMENT_SECRETS = `${ENVIRONMENTS}/{id}/secrets`;

export const ROUTES: readonly RouteDefinition[] = [
  {
    method: 'POST',
    path: USER_SECRETS,
    function: 'create-user-secret',
    family: 'v1',
    tenantKind: 'USER',
    table: withIdempotency('GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem'),
    kms: ['GenerateDataKey', 'Decrypt'],
  },
  {
    method: 'POST',
    path: `${USER_SECRETS}/preset`,
    function: 'create-user-secret-from-preset',
    family: 'v1',
    tenantKind: 'USER',
    table: withIdempotency('GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem'),
    kms: ['GenerateDataKey', 'Decrypt'],
  },
  {
    method: 'GET',
    path: USER_SECRETS,
    function: 'list-user-secrets',
    family: 'v1',
    tenantKind: 'USER',
    table: ['Query', 'GetItem'],
    kms: [],
  },
  {
    method: 'GET',
    path: '/api/v1/user/audit',
    function: 'list-user-audit',
    family: 'v1',
    tenantKind: 'USER',
    table: ['Query'],
    kms: [],
  },
  {
    method: 'GET',
    path: `${USER_SECRETS}/env`,
    function: 'inject-user-secrets',
    family: 'v1',
    tenantKind: 'USER',
    table: ['Query', 'GetItem', 'PutItem'],
    kms: ['Decrypt'],
    limits: INJECT_LIMITS,
  },
  {
    method: 'GET',
    path: `${USER_SECRETS}/deleted`,
    function: 'list-deleted-user-secrets',
    family: 'v1',
    tenantKind: 'USER',
    table: ['Query'],
    kms: [],
  },
  {
    method: 'POST',
    path: `${USER_SECRETS}/deleted/{id}/restore`,
    function: 'restore-deleted-user-secret',
    family: 'v1',
    tenantKind: 'USER',
    table: withIdempotency('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    kms: ['Decrypt'],
  },
  {
    method: 'DELETE',
    path: `${USER_SECRETS}/deleted/{id}`,
    function: 'purge-deleted-user-secret',
    family: 'v1',
    tenantKind: 'USER',
    table: withIdempotency('GetItem', 'DeleteItem'),
    kms: [],
  },
  {
    method: 'GET',
    path: `${USER_SECRETS}/{id}/versions`,
    function: 'list-user-secret-versions',
    family: 'v1',
    tenantKind: 'USER',
    table: ['GetItem', 'BatchGetItem'],
    kms: [],
  },
  {
    method: 'POST',
    path: `${USER_SECRETS}/{id}/versions/{version}/restore`,
    function: 'restore-user-secret-version',
    family: 'v1',
    tenantKind: 'USER',
    table: withIdempotency('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'),
    kms: ['Decrypt'],
  },
  {
    method: 'POST',
    path: `${USER_SECRETS}/{id}/compare`,
    function: 'compare-user-secret',
    family: 'v1',
    tenantKind: 'USER',
    table: ['GetItem', 'PutItem'],
    kms: ['Decrypt'],
    // Each answer tells whether a guess is right: as limited as a reveal.
    limits: REVEAL_LIMITS,
  },
  {
    method: 'POST',
    path: `${USER_SECRETS}/{id}/rename`,
    function: 'rename-user-secret',
    family: 'v1',
    tenantKind: 'USER',
    table: withIdempotency('GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'),
    kms: ['Decrypt'],
  },
  {
    method: 'GET',
    path: `${USER_SECRETS}/{id}`,
    function: 'get-user-secret',
    family: 'v1',
    tenantKind: 'USER',
    table: ['GetItem'],
    kms: [],
  },
  {
    method: 'PUT',
    path: `${USER_SECRETS}/{id}`,
    function: 'update-user-secret',
    family: 'v1',
    tenantKind: 'USER',
    table: withIdempotency('GetItem', 'UpdateItem', 'ConditionCheckItem'),
    kms: ['Decrypt'],
  },
  {
    method: 'DELETE',
    path: `${USER_SECRETS}/{id}`,
    function: 'delete-user-secret',
    family: 'v1',
    tenantKind: 'USER',
    table: withIdempotency('GetItem', 'DeleteItem', 'UpdateItem'),
    kms: [],
  },
  // Environments: every route first reads the caller's MEMBER# item (GetItem) for the role check.
  {
    method: 'POST',
    path: ENVIRONMENTS,
    function: 'create-environment',
    family: 'environments',
    tenantKind: 'ENV',
    table: withIdempotency('PutItem'),
    kms: [],
  },
  {
    method: 'GET',
    path: ENVIRONMENTS,
    function: 'list-environments',
    family: 'environments',
    tenantKind: 'ENV',
    table: ['Query', 'BatchGetItem'],
    kms: [],
    index: true,
  },
  {
    method: 'GET',
    path: `${ENVIRONMENTS}/deleted`,
    function: 'list-deleted-environments',
    family: 'environments',
    tenantKind: 'ENV',
    table: ['Query', 'BatchGetItem'],
    kms: [],
    index: true,
  },
  {
    method: 'PATCH',
    path: `${ENVIRONMENTS}/{id}`,
    function: 'update-environment',
    family: 'environments',
    tenantKind: 'ENV',
    table: withIdempotency('GetItem', 'UpdateItem', 'PutItem'),
    kms: [],
  },
  {
    method: 'DELETE',
    path: `${ENVIRONMENTS}/{id}`,
    function: 'delete-environment',
    family: 'environments',
    tenantKind: 'ENV',
    table: withIdempotency('GetItem', 'UpdateItem', 'PutItem'),
    kms: [],
  },
  {
    method: 'POST',
    path: `${ENVIRONMENTS}/{id}/restore`,
    function: 'restore-environment',
    family: 'environments',
    tenantKind: 'ENV',
    table: withIdempotency('GetItem', 'UpdateItem', 'PutItem'),
    kms: [],
  },
  {
    method: 'GET',
    path: `${ENVIRONMENTS}/{id}`,
    function: 'get-environment',
    family: 'environments',
    tenantKind: 'ENV',
    table: ['GetItem'],
    kms: [],
  },
  {
    method: 'GET',
    path: `${ENVIRONMENTS}/{id}/members`,
    function: 'list-environment-members',
    family: 'environments',
    tenantKind: 'ENV',
    table: ['GetItem', 'Query'],
    kms: [],
  },
  {
    method: 'PUT',
    path: `${ENVIRONMENTS}/{id}/members/{userId}`,
    function: 'put-environment-member',
    family: 'environments',
    tenantKind: 'ENV',
    table: withIdempotency('GetItem', 'PutItem', 'UpdateItem'),
    kms: [],
  },
  {
    method: 'DELETE',
    path: `${ENVIRONMENTS}/{id}/members/{userId}`,
    function: 'remove-environment-member',
    family: 'environments',
    tenantKind: 'ENV',
    table: withIdempotency('GetItem', 'DeleteItem', 'UpdateItem'),
    kms: [],
  },
  {
    method: 'POST',
    path: ENVIRONMENT_SECRETS,
    function: 'create-environment-secret',
    family: 'environments',
    tenantKind: 'ENV',
    table: withIdempotency('GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem'),
    kms: ['GenerateDataKey', 'Decrypt'],
  },
  {
    method: 'GET',
    path: ENVIRONMENT_SECRETS,
    function: 'list-environment-secrets',
    family: 'environments',
    tenantKind: 'ENV',
    table: ['GetItem', 'Query'],
    kms: [],
  },
  {
    method: 'GET',
    path: `${ENVIRONMENT_SECRETS}/{key}`,
    function: 'get-environment-secret',
    family: 'environments',
    tenantKind: 'ENV',
    table: ['GetItem'],
    kms: [],
  },
  {
    method: 'PATCH',
    path: `${ENVIRONMENT_SECRETS}/{key}`,
    function: 'update-environment-secret',
    family: 'environments',
    tenantKind: 'ENV',
    table: withIdempotency('GetItem', 'UpdateItem', 'ConditionCheckItem'),
    kms: ['Decrypt'],
  },
  {
    method: 'DELETE',
    path: `${ENVIRONMENT_SECRETS}/{key}`,
    function: 'delete-environment-secret',
    family: 'environments',
    tenantKind: 'ENV',
    table: withIdempotency('GetItem', 'DeleteItem', 'UpdateItem'),
    kms: [],
  },
  {
    method: 'GET',
    path: `${ENVIRONMENT_SECRETS}/{key}/versions`,
    function: 'list-environment-secret-versions',
    family: 'environments',
    tenantKind: 'ENV',
    table: ['GetItem', 'BatchGetItem'],
    kms: [],
  },
  {
    method: 'GET',
    path: `${ENVIRONMENT_SECRETS}/{key}/versions/{version}/value`,
    function: 'reveal-environment-secret-version',
    family: 'environments',
    tenantKind: 'ENV',
    table: ['GetItem', 'PutItem'],
    kms: ['Decrypt'],
    limits: REVEAL_LIMITS,
  },
  {
    method: 'POST',
    path: `${ENVIRONMENT_SECRETS}/{key}/versions/{version}/restore`,
    function: 'restore-environment-secret-version',
    family: 'environments',
    tenantKind: 'ENV',
    table: withIdempotency('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'),
    kms: ['Decrypt'],
  },
  {
    method: 'GET',
    path: `${ENVIRONMENTS}/{id}/deleted-secrets`,
    function: 'list-deleted-environment-secrets',
    family: 'environments',
    tenantKind: 'ENV',
    table: ['GetItem', 'Query'],
    kms: [],
  },
  {
    method: 'POST',
    path: `${ENVIRONMENTS}/{id}/deleted-secrets/{key}/restore`,
    function: 'restore-deleted-environment-secret',
    family: 'environments',
    tenantKind: 'ENV',
    table: withIdempotency('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    kms: ['Decrypt'],
  },
  {
    method: 'DELETE',
    path: `${ENVIRONMENTS}/{id}/deleted-secrets/{key}`,
    function: 'purge-deleted-environment-secret',
    family: 'environments',
    tenantKind: 'ENV',
    table: withIdempotency('GetItem', 'DeleteItem'),
    kms: [],
  },
  {
    method: 'POST',
    path: `${ENVIRONMENT_SECRETS}/{key}/compare`,
    function: 'compare-environment-secret',
    family: 'environments',
    tenantKind: 'ENV',
    table: ['GetItem', 'PutItem'],
    kms: ['Decrypt'],
    // Each answer tells whether a guess is right: as limited as a reveal.
    limits: REVEAL_LIMITS,
  },
  {
    method: 'POST',
    path: `${ENVIRONMENT_SECRETS}/{key}/copy`,
    function: 'copy-environment-secret',
    family: 'environments',
    tenantKind: 'ENV',
    table: withIdempotency('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'),
    kms: ['GenerateDataKey', 'Decrypt'],
  },
  {
    method: 'GET',
    path: `${ENVIRONMENT_SECRETS}/{key}/value`,
    function: 'reveal-environment-secret',
    family: 'environments',
    tenantKind: 'ENV',
    table: ['GetItem', 'PutItem'],
    kms: ['Decrypt'],
    limits: REVEAL_LIMITS,
  },
  {
    method: 'GET',
    path: `${ENVIRONMENTS}/{id}/env`,
    function: 'inject-environment-secrets',
    family: 'environments',
    tenantKind: 'ENV',
    table: ['GetItem', 'Query', 'PutItem'],
    kms: ['Decrypt'],
    limits: INJECT_LIMITS,
  },
  {
    method: 'POST',
    path: `${ENVIRONMENTS}/{id}/tokens`,
    function: 'create-service-token',
    family: 'environments',
    tenantKind: 'ENV',
    table: withIdempotency('GetItem', 'PutItem'),
    kms: [],
  },
  {
    method: 'GET',
    path: `${ENVIRONMENTS}/{id}/tokens`,
    function: 'list-service-tokens',
    family: 'environments',
    tenantKind: 'ENV',
    table: ['GetItem', 'Query'],
    kms: [],
  },
  {
    method: 'DELETE',
    path: `${ENVIRONMENTS}/{id}/tokens/{tokenId}`,
    function: 'revoke-service-token',
    family: 'environments',
    tenantKind: 'ENV',
    table: withIdempotency('GetItem', 'DeleteItem', 'PutItem'),
    kms: [],
  },
  {
    method: 'GET',
    path: '/api/service/env',
    function: 'inject-with-service-token',
    family: 'environments',
    tenantKind: 'ENV',
    auth: 'service-token',
    // The token's lookup, the environment and its values, the audit, and at most once a minute its last use.
    table: ['GetItem', 'Query', 'PutItem', 'UpdateItem'],
    kms: ['Decrypt'],
    limits: INJECT_LIMITS,
  },
  {
    method: 'GET',
    path: `${ENVIRONMENTS}/{id}/audit`,
    function: 'list-environment-audit',
    family: 'environments',
    tenantKind: 'ENV',
    table: ['GetItem', 'Query'],
    kms: [],
  },
];

/**
 * The API's own description, readable without a token: the OpenAPI document (docs/openapi.json,
 * written by `npm run openapi`) and a page rendering it. Not part of ROUTES, which is the API
 * itself (what the fuzz suite, the benchmark and the response shapes go through): these
 * functions read no table and no key, get no grants, and have no authorizer in front.
 */
export const PUBLIC_ROUTES: readonly RouteDefinition[] = [
  {
    method: 'GET',
    path: '/openapi.json',
    function: 'get-openapi-document',
    family: 'environments',
    auth: 'none',
    table: [],
    kms: [],
    limits: PUBLIC_LIMITS,
  },
  {
    method: 'GET',
    path: '/docs',
    function: 'get-api-reference',
    family: 'environments',
    auth: 'none',
    table: [],
    kms: [],
    limits: PUBLIC_LIMITS,
    // The renderer (swagger-ui-dist), served from the function itself: no CDN.
    bundleFiles: RENDERER_BUNDLE_FILES,
  },
];

/** Everything the gateway routes and the API stack deploys: the API and its public documentation. */
export const SERVED_ROUTES: readonly RouteDefinition[] = [...ROUTES, ...PUBLIC_ROUTES];

export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): string => `${route.method} ${route.path}`;
