import * as z from 'zod/mini';
import type { ApiFamily } from '../http/envelopes.js';
import { NAMED_SCHEMAS, SUCCESS, type SuccessResponse, TIMESTAMP } from './responses.js';

/**
 * Builds the OpenAPI 3.1 document of the service from its routes: requests from the zod
 * schemas each route validates with (what `defineRoute` was given, `handler.route`), responses
 * from responses.ts, errors in each family's envelope. Pure: infra/openapi/generate.ts gathers
 * the routes and their schemas and calls it; `npm run openapi` writes the result to
 * docs/openapi.json, which the service serves at `GET /openapi.json`.
 */

type JsonSchema = Record<string, unknown>;

/** One route as the document needs it: its table entry joined with what its handler declares. */
export interface OperationSource {
  method: string;
  path: string;
  /** Directory under functions/; names the operation and picks its success response. */
  function: string;
  family: ApiFamily;
  auth: 'jwt' | 'service-token' | 'none';
  scope?: string;
  idempotent?: boolean;
  pathSchema?: z.ZodMiniType;
  querySchema?: z.ZodMiniType;
  bodySchema?: z.ZodMiniType;
}

export interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  tags: { name: string; description: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, unknown>;
    parameters: Record<string, unknown>;
    headers: Record<string, unknown>;
    securitySchemes: Record<string, unknown>;
  };
}

interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  security?: Record<string, string[]>[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  [extension: `x-${string}`]: unknown;
}

export const SECURITY_SCHEMES = {
  bearerJwt: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'A JWT from the identity provider, checked for issuer, audience and signature before the route runs. ' +
      'The caller is its `sub`. Routes that hand plaintext to a runtime (`…/env`) also need the scope `secrets:inject`.',
  },
  serviceToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'sst_…',
    description:
      'A service token of one environment (`sst_` + 43 characters), made by `POST /api/environments/{id}/tokens`. ' +
      'Valid on `GET /api/service/env` only; verified on every call, so a revocation holds at once.',
  },
} as const;

const TAGS = [
  { name: 'User secrets', description: 'A person’s own secrets (`/api/v1`, snake_case, the v1 error envelope).' },
  { name: 'Environments', description: 'Shared sets of secrets with members and roles (camelCase, string codes).' },
  { name: 'Environment secrets', description: 'Secrets of one environment: values, versions, trash, copy.' },
  { name: 'Members', description: 'Who belongs to an environment, with which role.' },
  { name: 'Service tokens', description: 'Machine credentials that may only inject one environment.' },
  { name: 'Documentation', description: 'This document and a page rendering it; no token needed.' },
];

function tagOf(source: OperationSource): string {
  if (source.auth === 'none') return 'Documentation';
  if (source.family === 'v1') return 'User secrets';
  if (/\/(tokens|service)(\/|$)/.test(source.path)) return 'Service tokens';
  if (source.path.includes('/members')) return 'Members';
  if (/\/(secrets|deleted-secrets)(\/|$)/.test(source.path)) return 'Environment secrets';
  return 'Environments';
}

/** The v1 `type` of each status a route can answer (lib/http/envelopes.ts). */
const V1_TYPE_OF_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  412: 'precondition_failed',
  413: 'payload_too_large',
  422: 'validation_error',
  426: 'upgrade_required',
  429: 'rate_limit_error',
  500: 'internal_error',
  502: 'bad_gateway',
  504: 'gateway_timeout',
};

const STATUS_TEXT: Record<number, string> = {
  400: 'The request is malformed (bad JSON, wrong content type, bad percent-encoding, a bad header).',
  401: 'No valid token.',
  403: 'The caller’s role or token scope does not allow this.',
  404: 'Not found, or not visible to the caller (never 403 for what the caller may not see).',
  409: 'Conflicts with the current state (exists, in the trash, last owner, quota), or the same Idempotency-Key is still in progress.',
  412: '`If-Match` names another version.',
  413: 'The request body is over 256 KiB.',
  422: 'The input does not validate; `errors` locates each problem.',
  426: '`X-Client-Version` is below the minimum the service accepts.',
  429: 'Throttled; retry after `Retry-After` seconds.',
  500: 'Internal error; nothing internal is disclosed.',
  502: 'KMS or DynamoDB failed; nothing was changed.',
  503: 'The function did not answer in time (API Gateway’s own answer).',
  504: 'KMS or DynamoDB timed out; nothing was changed.',
};

/** Statuses API Gateway may answer itself, in its own `{message}` body (GatewayError). */
const GATEWAY_STATUSES: Record<number, string> = {
  401: 'In AWS the JWT authorizer refuses a token with `{"message": "Unauthorized"}`.',
  429: 'A stage or route throttle answers `{"message": "Too Many Requests"}`.',
  500: 'A function that failed outside the service (a throttled invocation, an answer over 6 MB) gets `{"message": "Internal Server Error"}`.',
};

/** The error statuses a route can answer, from what it takes and does. */
function errorStatuses(source: OperationSource, success: SuccessResponse | undefined): number[] {
  const hasParams = source.path.includes('{');
  const environments = source.family === 'environments';
  const statuses = new Set([400, 401, 426, 429, 500, 502, 503, 504]);
  if (source.family === 'v1' && (source.pathSchema || source.querySchema || source.bodySchema || source.idempotent))
    statuses.add(422);
  if (source.scope || (environments && hasParams)) statuses.add(403);
  if (hasParams) statuses.add(404);
  if (source.idempotent) statuses.add(409);
  if (success?.ifMatch) statuses.add(412);
  if (source.bodySchema) statuses.add(413);
  return [...statuses].sort((a, b) => a - b);
}

const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });

export function buildOpenApiDocument(sources: readonly OperationSource[], version: string): OpenApiDocument {
  const requests = z.registry<{ id: string }>();
  const requestNames = new Map<z.ZodMiniType, string>();
  const paths: OpenApiDocument['paths'] = {};
  const errorResponses: Record<string, unknown> = {};

  for (const source of sources) {
    const operationId = camelCase(source.function);
    if (source.bodySchema && !requestNames.has(source.bodySchema)) {
      const name = `${operationId.charAt(0).toUpperCase()}${operationId.slice(1)}Request`;
      requestNames.set(source.bodySchema, name);
      requests.add(source.bodySchema, { id: name });
    }
  }

  for (const source of sources) {
    const success = SUCCESS[source.function];
    if (source.auth !== 'none' && !success) throw new Error(`no success response for ${source.function}`);
    const parameters = [...parametersOf(source.pathSchema, 'path'), ...parametersOf(source.querySchema, 'query')];
    let responses: Record<string, unknown>;
    if (source.auth === 'none') {
      const described = PUBLIC_RESPONSES[source.function];
      if (!described) throw new Error(`no response described for ${source.function}`);
      responses = described;
    } else {
      if (source.idempotent) parameters.push(ref('parameters', 'IdempotencyKey'));
      if (success!.ifMatch) parameters.push(ref('parameters', 'IfMatch'));
      parameters.push(ref('parameters', 'ClientVersion'));
      responses = { [String(success!.status)]: successResponse(success!) };
      for (const status of errorStatuses(source, success)) {
        const name =
          status === 503 ? 'GatewayError503' : `${source.family === 'v1' ? 'V1' : 'Environments'}Error${status}`;
        errorResponses[name] ??= errorResponse(source.family, status);
        responses[String(status)] = ref('responses', name);
      }
    }
    const operation: Operation = {
      operationId: camelCase(source.function),
      summary: sentence(source.function),
      tags: [tagOf(source)],
      ...securityOf(source),
      ...(parameters.length ? { parameters } : {}),
      ...(source.bodySchema
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: ref('schemas', requestNames.get(source.bodySchema)!) } },
            },
          }
        : {}),
      responses,
    };
    paths[source.path] = { ...paths[source.path], [source.method.toLowerCase()]: operation };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Secrets service',
      version,
      description: INFO_DESCRIPTION,
    },
    tags: TAGS.filter((tag) => sources.some((source) => tagOf(source) === tag.name)),
    security: [{ bearerJwt: [] }],
    paths,
    components: {
      schemas: sortedKeys({ ...responseSchemas(), ...requestSchemas(requests) }),
      responses: sortedKeys(errorResponses),
      parameters: PARAMETERS,
      headers: HEADERS,
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

function securityOf(source: OperationSource): Pick<Operation, 'security'> & { 'x-required-scope'?: string } {
  if (source.auth === 'none') return { security: [] };
  if (source.auth === 'service-token') return { security: [{ serviceToken: [] }] };
  // OpenAPI 3.1 lets an http scheme's requirement list roles; the JWT's `scope` claim holds them.
  return source.scope ? { security: [{ bearerJwt: [source.scope] }], 'x-required-scope': source.scope } : {};
}

const toJson = (schema: z.ZodMiniType, io: 'input' | 'output') =>
  strip(z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema);

/** A path or query schema (an object) as one parameter per property. */
function parametersOf(schema: z.ZodMiniType | undefined, location: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = toJson(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    schema: property,
  }));
}

function responseSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string; description: string }>();
  for (const [id, { schema, description }] of Object.entries(NAMED_SCHEMAS)) registry.add(schema, { id, description });
  registry.add(TIMESTAMP, { id: 'Timestamp', description: 'RFC 3339, UTC, with `Z`.' });
  return registryToJson(registry, 'output');
}

function requestSchemas(registry: z.core.$ZodRegistry<{ id: string }>): Record<string, JsonSchema> {
  return registryToJson(registry, 'input');
}

function registryToJson(
  registry: z.core.$ZodRegistry<{ id: string; description?: string }>,
  io: 'input' | 'output',
): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    metadata: registry,
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, strip(schema as JsonSchema)]));
}

/** A component schema needs neither a dialect nor an id of its own (the document sets both). */
function strip(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, $id: _id, id: _name, ...rest } = schema;
  return rest;
}

function successResponse(success: SuccessResponse): unknown {
  const headers: Record<string, unknown> = { 'x-request-id': ref('headers', 'RequestId') };
  if (success.etag) headers.ETag = ref('headers', 'ETag');
  if (success.location) headers.Location = ref('headers', 'Location');
  return {
    description: { 200: 'OK', 201: 'Created', 204: 'No content' }[success.status],
    headers,
    ...(success.body ? { content: { 'application/json': { schema: ref('schemas', success.body) } } } : {}),
  };
}

function errorResponse(family: ApiFamily, status: number): unknown {
  const headers: Record<string, unknown> = { 'x-request-id': ref('headers', 'RequestId') };
  if (status === 503) {
    return {
      description: STATUS_TEXT[status],
      content: { 'application/json': { schema: ref('schemas', 'GatewayError') } },
    };
  }
  if (status === 401) headers['WWW-Authenticate'] = ref('headers', 'WwwAuthenticate');
  if (status === 429) headers['Retry-After'] = ref('headers', 'RetryAfter');
  const envelope =
    family === 'v1'
      ? {
          allOf: [
            ref('schemas', 'V1Error'),
            {
              properties: { code: { const: status }, type: { const: V1_TYPE_OF_STATUS[status] } },
              ...(status === 422 ? { required: ['errors'] } : { not: { required: ['errors'] } }),
            },
          ],
        }
      : ref('schemas', 'EnvironmentsError');
  const gateway = GATEWAY_STATUSES[status];
  return {
    description: gateway ? `${STATUS_TEXT[status]} ${gateway}` : STATUS_TEXT[status],
    headers,
    content: {
      'application/json': { schema: gateway ? { oneOf: [envelope, ref('schemas', 'GatewayError')] } : envelope },
    },
  };
}

const PUBLIC_RESPONSES: Record<string, Record<string, unknown>> = {
  'get-openapi-document': {
    '200': {
      description: 'This document.',
      content: { 'application/json': { schema: { type: 'object', required: ['openapi', 'info', 'paths'] } } },
    },
  },
  'get-api-reference': {
    '200': {
      description: 'An HTML page rendering this document (Swagger UI, served by the service itself).',
      content: { 'text/html': { schema: { type: 'string' } } },
    },
  },
};

const PARAMETERS = {
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes a retry safe: a repeat with the same key and the same request within 24 hours replays the first answer ' +
      'instead of writing again; with another request it is refused (400/422).',
    schema: { type: 'string', pattern: '^[\\x20-\\x7e]{1,255}$' },
  },
  IfMatch: {
    name: 'If-Match',
    in: 'header',
    required: false,
    description: 'The `ETag` the write is based on (or `*`); another version answers 412 and changes nothing.',
    schema: { type: 'string' },
  },
  ClientVersion: {
    name: 'X-Client-Version',
    in: 'header',
    required: false,
    description: 'The client’s version (`1.2.3`); below the configured minimum the answer is 426.',
    schema: { type: 'string' },
  },
};

const HEADERS = {
  RequestId: {
    description: 'The request’s id (`req_` + ULID), on every answer; environments errors repeat it as `requestId`.',
    schema: { type: 'string', pattern: '^req_[0-9A-HJKMNP-TV-Z]{26}$' },
  },
  ETag: {
    description: 'The record version, as a strong ETag, for a later `If-Match`.',
    schema: { type: 'string', pattern: '^"[1-9][0-9]*"$' },
  },
  Location: { description: 'The path of what was created.', schema: { type: 'string' } },
  WwwAuthenticate: { description: 'The `Bearer` challenge.', schema: { type: 'string' } },
  RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'string' } },
};

const INFO_DESCRIPTION = [
  'Stores secrets envelope-encrypted (KMS data keys per tenant, AES-256-GCM) and hands them to runtimes.',
  '',
  'Two API families, each with its own conventions:',
  '- **User secrets** (`/api/v1/user/…`): snake_case; errors `{code: <HTTP status>, detail, type, errors?}`.',
  '- **Environments** (`/api/environments…`, `/api/service/env`): camelCase; errors',
  '  `{code: "<STRING_CODE>", message, field?, hint?, requestId}`.',
  '',
  'Every answer of the service carries `x-request-id`; those of the API also `Cache-Control: no-store`.',
  'Writes honour `Idempotency-Key`.',
  'Secret values appear only in the answers of reveal and inject routes, never in metadata.',
].join('\n');

function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function sentence(name: string): string {
  const words = name.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function sortedKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
