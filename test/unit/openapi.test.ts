import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { generateOpenApiDocument, OPENAPI_FILE } from '../../infra/openapi/generate.js';
import { PUBLIC_ROUTES, ROUTES, SERVED_ROUTES } from '../../infra/routes.js';
import { CreateSecretBody } from '../../lib/environments/secret-requests.js';
import { SUCCESS } from '../../lib/openapi/responses.js';
import { CreateUserSecretBody } from '../../lib/secrets/user-secret-schemas.js';
import { PageQuery } from '../../lib/store/page-query.js';
import { checkAgainstSpec } from '../support/openapi-check.js';

/**
 * The OpenAPI document (docs/openapi.json): current, valid OpenAPI 3.1, and describing
 * exactly the served routes. That the service answers as it says is checked on every call of
 * the integration tests (test/support/stack.ts); the last block shows that check bites.
 */
const committed = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'));
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

describe('docs/openapi.json', () => {
  let generated: unknown;
  beforeAll(async () => {
    generated = await generateOpenApiDocument();
  }, 60_000);

  it('is what `npm run openapi` writes from the routes and their schemas (run it after changing either)', () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(generated)));
  });

  it('is valid OpenAPI 3.1 by the official schema (@seriousme/openapi-schema-validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(committed);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has every served route with its method, and nothing else', () => {
    const operations = Object.entries(committed.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(SERVED_ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    for (const item of Object.values(committed.paths) as Record<string, unknown>[]) {
      for (const key of Object.keys(item)) expect(METHODS).toContain(key);
    }
  });

  it('names each route’s security: the JWT, the service token, or none for the documentation', () => {
    expect(committed.security).toEqual([{ bearerJwt: [] }]);
    expect(Object.keys(committed.components.securitySchemes).sort()).toEqual(['bearerJwt', 'serviceToken']);
    for (const route of SERVED_ROUTES) {
      const operation = committed.paths[route.path][route.method.toLowerCase()];
      if (route.auth === 'none') expect(operation.security, route.function).toEqual([]);
      else if (route.auth === 'service-token')
        expect(operation.security, route.function).toEqual([{ serviceToken: [] }]);
      else if (route.path.endsWith('/env'))
        expect(operation.security, route.function).toEqual([{ bearerJwt: ['secrets:inject'] }]);
      else expect(operation.security, route.function).toBeUndefined();
    }
    expect(PUBLIC_ROUTES.map((route) => route.path).sort()).toEqual(['/docs', '/openapi.json']);
  });

  it('gives every API route its success and the errors in its family’s envelope', () => {
    for (const route of ROUTES) {
      const { responses } = committed.paths[route.path][route.method.toLowerCase()];
      const success = SUCCESS[route.function]!;
      expect(Object.keys(responses), route.function).toContain(String(success.status));
      const envelope = route.family === 'v1' ? 'V1Error' : 'EnvironmentsError';
      for (const status of ['400', '401', '429', '500', '502', '504']) {
        expect(responses[status], `${route.function} ${status}`).toEqual({
          $ref: `#/components/responses/${route.family === 'v1' ? 'V1' : 'Environments'}Error${status}`,
        });
      }
      const notFound = committed.components.responses[`${envelope.replace('Error', '')}Error404`];
      if (route.path.includes('{')) expect(JSON.stringify(notFound)).toContain(`#/components/schemas/${envelope}`);
    }
  });

  it('takes request schemas from the handlers: bodies, path and query parameters as they validate', () => {
    const input = (schema: z.ZodMiniType) =>
      JSON.parse(
        JSON.stringify(z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' })),
      );
    const { $schema: _a, ...userBody } = input(CreateUserSecretBody);
    expect(committed.components.schemas.CreateUserSecretRequest).toEqual(userBody);
    const { $schema: _b, ...secretBody } = input(CreateSecretBody);
    expect(committed.components.schemas.CreateEnvironmentSecretRequest).toEqual(secretBody);
    expect(committed.paths['/api/v1/user/secrets'].post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/CreateUserSecretRequest',
    });

    const list = committed.paths['/api/environments/{id}/secrets'].get;
    const query = input(PageQuery).properties;
    expect(list.parameters.filter((parameter: any) => parameter.in === 'query')).toEqual([
      { name: 'limit', in: 'query', required: false, schema: query.limit },
      { name: 'cursor', in: 'query', required: false, schema: query.cursor },
    ]);
    expect(list.parameters.find((parameter: any) => parameter.name === 'id')).toMatchObject({
      in: 'path',
      required: true,
      schema: { type: 'string', format: 'uuid' },
    });
  });

  it('documents Idempotency-Key on the write routes that honour it, and If-Match where it is checked', () => {
    const refs = (route: (typeof ROUTES)[number]) =>
      (committed.paths[route.path][route.method.toLowerCase()].parameters ?? []).map((p: any) => p.$ref);
    const createSecret = ROUTES.find((route) => route.function === 'create-user-secret')!;
    expect(refs(createSecret)).toContain('#/components/parameters/IdempotencyKey');
    const update = ROUTES.find((route) => route.function === 'update-environment-secret')!;
    expect(refs(update)).toEqual(
      expect.arrayContaining(['#/components/parameters/IdempotencyKey', '#/components/parameters/IfMatch']),
    );
    for (const route of ROUTES.filter((entry) => entry.method === 'GET')) {
      expect(refs(route), route.function).not.toContain('#/components/parameters/IdempotencyKey');
    }
  });

  it('has schemas that all compile, with every reference resolved', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema(committed, 'spec');
    const pointers: string[] = [];
    const collect = (value: unknown, at: string) => {
      if (!value || typeof value !== 'object') return;
      for (const [key, inner] of Object.entries(value)) {
        const here = `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (key === 'schema' && inner && typeof inner === 'object') pointers.push(here);
        else collect(inner, here);
      }
    };
    collect(committed.paths, '#/paths');
    collect(committed.components, '#/components');
    expect(pointers.length).toBeGreaterThan(100);
    for (const pointer of pointers) expect(ajv.getSchema(`spec${pointer}`), pointer).toBeTypeOf('function');
  });
});

describe('the integration tests’ check of every answer against the document', () => {
  const answer = (status: number, body?: unknown, contentType = 'application/json') => ({
    status,
    headers: new Headers(body === undefined ? {} : { 'content-type': contentType }),
    text: body === undefined ? '' : JSON.stringify(body),
  });
  const metadata = {
    id: '0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b',
    name: 'OPENAI_API_KEY',
    provider: 'openai',
    masked_value: 'sk-••••',
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
  };
  const secret = '/api/v1/user/secrets/0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b';

  it('accepts answers the document describes', () => {
    expect(checkAgainstSpec('GET', secret, answer(200, metadata))).toEqual([]);
    expect(checkAgainstSpec('DELETE', secret, answer(204))).toEqual([]);
    expect(
      checkAgainstSpec(
        'GET',
        `${secret}?x=1`,
        answer(404, { code: 404, detail: 'Secret not found', type: 'not_found_error' }),
      ),
    ).toEqual([]);
    expect(checkAgainstSpec('GET', '/no/such/path', answer(404, { anything: true }))).toEqual([]);
  });

  it('refuses a status the operation does not list', () => {
    expect(checkAgainstSpec('GET', secret, answer(418, {}))).toEqual([expect.stringContaining('lists no 418')]);
  });

  it('refuses a body its schema does not allow: a missing field, an extra one, a wrong envelope', () => {
    const { masked_value: _, ...missing } = metadata;
    expect(checkAgainstSpec('GET', secret, answer(200, missing))).toEqual([expect.stringContaining('masked_value')]);
    expect(checkAgainstSpec('GET', secret, answer(200, { ...metadata, value: 'sk-secret' }))).toEqual([
      expect.stringContaining('additional properties'),
    ]);
    expect(
      checkAgainstSpec('GET', secret, answer(404, { code: 'NOT_FOUND', message: 'x', requestId: 'req_1' })),
    ).toHaveLength(1);
    expect(
      checkAgainstSpec('GET', secret, answer(404, { code: 404, detail: 'x', type: 'conflict_error' })),
    ).toHaveLength(1);
  });

  it('refuses a body where none is described, and another content type', () => {
    expect(checkAgainstSpec('DELETE', secret, answer(204, {}))).toEqual([expect.stringContaining('no body')]);
    expect(checkAgainstSpec('GET', secret, answer(200, metadata, 'text/plain'))).toEqual([
      expect.stringContaining('content-type text/plain'),
    ]);
  });
});
