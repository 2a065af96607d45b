import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SecretsClient } from '../../client/client.js';
import {
  ApiError,
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  UnauthorizedError,
} from '../../client/errors.js';
import { OPERATIONS } from '../../client/operations.js';
import type { TransportRequest, TransportResponse } from '../../client/transport.js';
import { ROUTES } from '../../infra/routes.js';

/** A transport that answers from a script and records what was sent. */
function scripted(...answers: (Partial<TransportResponse> | Error)[]) {
  const sent: TransportRequest[] = [];
  const transport = async (request: TransportRequest): Promise<TransportResponse> => {
    sent.push(request);
    const answer = answers.shift() ?? { status: 200, body: '{}' };
    if (answer instanceof Error) throw answer;
    return { status: 200, headers: {}, body: '', ...answer };
  };
  return { sent, transport };
}

function client(transport: (request: TransportRequest) => Promise<TransportResponse>, delays: number[] = []) {
  return new SecretsClient({
    baseUrl: 'http://api.test/',
    token: 'tok',
    transport,
    sleep: async (ms) => {
      delays.push(ms);
    },
  });
}

const v1Error = (status: number, type: string, headers: Record<string, string> = {}) => ({
  status,
  headers: { 'x-request-id': 'req_1', ...headers },
  body: JSON.stringify({ code: status, detail: `${type} happened`, type }),
});
const envError = (status: number, code: string, headers: Record<string, string> = {}) => ({
  status,
  headers: { 'x-request-id': 'req_2', ...headers },
  body: JSON.stringify({ code, message: `${code} happened`, field: 'key', hint: 'try this', requestId: 'req_2' }),
});
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

describe('operations', () => {
  const camel = (name: string) => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

  it('has one method per route of infra/routes.ts, with its method and path', () => {
    const fromRoutes = Object.fromEntries(
      ROUTES.map((route) => [camel(route.function), `${route.method} ${route.path}`]),
    );
    const fromClient = Object.fromEntries(
      Object.entries(OPERATIONS).map(([name, operation]) => [name, `${operation.method} ${operation.path}`]),
    );
    expect(fromClient).toEqual(fromRoutes);
    for (const name of Object.keys(OPERATIONS)) {
      expect(typeof (SecretsClient.prototype as unknown as Record<string, unknown>)[name]).toBe('function');
    }
  });

  it('sends Idempotency-Key exactly to the routes that keep idempotency records, and knows the service-token route', () => {
    for (const route of ROUTES) {
      const operation = OPERATIONS[camel(route.function) as keyof typeof OPERATIONS];
      const keepsRecords = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'].every((action) =>
        route.table.includes(action as never),
      );
      expect({ route: route.function, idempotent: operation.idempotent }).toEqual({
        route: route.function,
        idempotent: keepsRecords && route.method !== 'GET',
      });
      expect(Boolean((operation as { serviceToken?: boolean }).serviceToken)).toBe(route.auth === 'service-token');
    }
  });
});

describe('requests', () => {
  it('fills and encodes the path, the query, the body and the headers', async () => {
    const { sent, transport } = scripted(
      { status: 200, headers: { etag: '"4"', 'x-request-id': 'req_9' }, body: '{"key":"A"}' },
      { status: 204 },
    );
    const seen: unknown[] = [];
    const api = client(transport);
    const answer = await api.updateEnvironmentSecret(
      'ENV-1',
      'A B',
      { value: 'v' },
      { ifMatch: 3, onResponse: (response) => seen.push(response) },
    );
    expect(answer).toEqual({ key: 'A' });
    expect(seen).toEqual([expect.objectContaining({ status: 200, version: 4, requestId: 'req_9', attempts: 1 })]);
    expect(sent[0]!.url.toString()).toBe('http://api.test/api/environments/ENV-1/secrets/A%20B');
    expect(sent[0]!.method).toBe('PATCH');
    expect(sent[0]!.body).toBe('{"value":"v"}');
    expect(sent[0]!.headers).toMatchObject({
      authorization: 'Bearer tok',
      'content-type': 'application/json',
      'if-match': '"3"',
      'idempotency-key': expect.stringMatching(/^[0-9a-f-]{36}$/),
    });

    await expect(api.deleteUserSecret('id-1', { token: 'other', idempotencyKey: 'mine' })).resolves.toBeUndefined();
    expect(sent[1]!.headers).toMatchObject({ authorization: 'Bearer other', 'idempotency-key': 'mine' });
  });

  it('sends no Idempotency-Key on reads and leaves out an undefined query', async () => {
    const { sent, transport } = scripted({ status: 200, body: '{"secrets":[],"total":0,"next_cursor":null}' });
    await client(transport).listUserSecrets({ limit: 10, cursor: undefined });
    expect(sent[0]!.url.search).toBe('?limit=10');
    expect(sent[0]!.headers['idempotency-key']).toBeUndefined();
  });
});

describe('retries', () => {
  it('retries a write on 502, 504, 429 and network errors with one Idempotency-Key, honouring Retry-After', async () => {
    const delays: number[] = [];
    const { sent, transport } = scripted(
      v1Error(502, 'bad_gateway'),
      refused(),
      v1Error(429, 'rate_limit_error', { 'retry-after': '2' }),
      { status: 201, body: '{"id":"x"}' },
    );
    await expect(client(transport, delays).createUserSecret({ name: 'A', value: 'v' })).resolves.toEqual({ id: 'x' });
    expect(sent).toHaveLength(4);
    const keys = new Set(sent.map((request) => request.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toBeTruthy();
    expect(new Set(sent.map((request) => request.body)).size).toBe(1);
    expect(delays).toHaveLength(3);
    expect(delays[0]).toBeGreaterThanOrEqual(125);
    expect(delays[0]).toBeLessThanOrEqual(250);
    expect(delays[1]).toBeGreaterThanOrEqual(250);
    expect(delays[1]).toBeLessThanOrEqual(500);
    expect(delays[2]).toBe(2000);
  });

  it('gives each logical call its own key', async () => {
    const { sent, transport } = scripted({ status: 201, body: '{}' }, { status: 201, body: '{}' });
    const api = client(transport);
    await api.createEnvironment({ name: 'a' });
    await api.createEnvironment({ name: 'a' });
    expect(sent[0]!.headers['idempotency-key']).not.toBe(sent[1]!.headers['idempotency-key']);
  });

  it('waits for its own earlier attempt when a retry finds the key still in progress', async () => {
    const delays: number[] = [];
    const { sent, transport } = scripted(
      v1Error(504, 'gateway_timeout'),
      envError(409, 'REQUEST_IN_PROGRESS', { 'retry-after': '1' }),
      { status: 201, body: '{"id":"e"}' },
    );
    await expect(client(transport, delays).createEnvironment({ name: 'e' })).resolves.toEqual({ id: 'e' });
    expect(sent).toHaveLength(3);
    expect(delays[1]).toBe(1000);
  });

  it('does not retry a 409 on the first attempt, a 4xx, or a 500', async () => {
    for (const answer of [
      envError(409, 'SECRET_EXISTS', { 'retry-after': '1' }),
      v1Error(422, 'validation_error'),
      v1Error(500, 'internal_error'),
    ]) {
      const { sent, transport } = scripted(answer);
      await expect(client(transport).createUserSecret({ name: 'A', value: 'v' })).rejects.toBeInstanceOf(ApiError);
      expect(sent).toHaveLength(1);
    }
  });

  it('gives up after its retries with the last failure, and at once on a Retry-After longer than it waits', async () => {
    const delays: number[] = [];
    const { sent, transport } = scripted(...Array.from({ length: 5 }, () => v1Error(503, 'internal_error')));
    const error = await client(transport, delays)
      .injectUserSecrets()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServerError);
    expect(sent).toHaveLength(4);

    const long = scripted(v1Error(429, 'rate_limit_error', { 'retry-after': '120' }));
    const limited = await client(long.transport)
      .listUserSecrets()
      .catch((caught: unknown) => caught);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterSeconds).toBe(120);
    expect(long.sent).toHaveLength(1);
  });
});

describe('errors', () => {
  it('throws a typed error per status carrying the v1 envelope', async () => {
    const cases = [
      [401, 'authentication_error', UnauthorizedError],
      [403, 'permission_error', ForbiddenError],
      [404, 'not_found_error', NotFoundError],
      [409, 'conflict_error', ConflictError],
      [422, 'validation_error', InvalidRequestError],
    ] as const;
    for (const [status, type, kind] of cases) {
      const { transport } = scripted(v1Error(status, type));
      const error = (await client(transport)
        .getUserSecret('id')
        .catch((caught: unknown) => caught)) as ApiError;
      expect(error).toBeInstanceOf(kind);
      expect(error).toMatchObject({ status, family: 'v1', code: type, detail: `${type} happened`, requestId: 'req_1' });
      expect(error.envelope).toEqual({ code: status, detail: `${type} happened`, type });
      expect(error.v1).toBe(error.envelope);
      expect(error.environments).toBeUndefined();
    }
  });

  it('carries the environments envelope with its field and hint', async () => {
    const { transport } = scripted(envError(404, 'SECRET_NOT_FOUND'));
    const error = (await client(transport)
      .getEnvironmentSecret('e', 'K')
      .catch((caught: unknown) => caught)) as NotFoundError;
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ family: 'environments', code: 'SECRET_NOT_FOUND', field: 'key', hint: 'try this' });
    expect(error.environments?.requestId).toBe('req_2');
    expect(error.message).toBe('GET /api/environments/e/secrets/K → 404 SECRET_NOT_FOUND: SECRET_NOT_FOUND happened');
  });

  it('stands in for a body that is not an envelope, in the family shape', async () => {
    const { transport } = scripted({ status: 502, body: '<html>Bad Gateway</html>' });
    const error = (await new SecretsClient({ baseUrl: 'http://x', transport, retry: { retries: 0 } })
      .listEnvironments()
      .catch((caught: unknown) => caught)) as ServerError;
    expect(error).toBeInstanceOf(ServerError);
    expect(error.envelope).toEqual({
      code: 'INTERNAL_ERROR',
      message: 'HTTP 502 without an error body from the service',
      requestId: '',
    });
  });
});

describe('the node transport', () => {
  it('reports a refused connection and a timeout as NetworkError', async () => {
    const closed = new SecretsClient({ baseUrl: 'http://127.0.0.1:9', retry: { retries: 0 } });
    const refusedError = (await closed.listUserSecrets().catch((caught: unknown) => caught)) as NetworkError;
    expect(refusedError).toBeInstanceOf(NetworkError);
    expect(refusedError).toMatchObject({ errno: 'ECONNREFUSED', reason: 'connection refused' });
    closed.close();

    const silent = createServer(() => {
      // never answers
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const slow = new SecretsClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 100, retry: { retries: 0 } });
    try {
      const timeout = (await slow.listUserSecrets().catch((caught: unknown) => caught)) as NetworkError;
      expect(timeout).toBeInstanceOf(NetworkError);
      expect(timeout).toMatchObject({ errno: 'ETIMEDOUT', reason: 'timed out' });
    } finally {
      slow.close();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('speaks HTTP: status, headers and body both ways', async () => {
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        response.writeHead(201, { 'content-type': 'application/json', etag: '"1"', 'x-request-id': 'req_x' });
        response.end(
          JSON.stringify({ method: request.method, url: request.url, body, key: request.headers['idempotency-key'] }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const api = new SecretsClient({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      token: 't',
    });
    try {
      let version: number | undefined;
      const answer = await api.createUserSecret(
        { name: 'N', value: 'vé' },
        { idempotencyKey: 'k1', onResponse: (response) => (version = response.version) },
      );
      expect(answer).toEqual({
        method: 'POST',
        url: '/api/v1/user/secrets',
        body: '{"name":"N","value":"vé"}',
        key: 'k1',
      });
      expect(version).toBe(1);
    } finally {
      api.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
