import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoDbClient } from '../../infra/local/dynamodb.js';
import { type CallResult, startTestStack, type TestStack } from '../support/stack.js';

/** Service tokens over HTTP: made by owners, shown once, stored as a hash, inject one environment only. */
const ENVIRONMENTS = '/api/environments';
const SERVICE_ENV = '/api/service/env';
const TOKEN = /^sst_[A-Za-z0-9_-]{43}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const DAY_MS = 86_400_000;

let stack: TestStack;
let ddb: DynamoDBDocumentClient;

beforeAll(async () => {
  stack = await startTestStack();
  ddb = DynamoDBDocumentClient.from(localDynamoDbClient(stack.dynamoDbEndpoint));
});
afterAll(async () => {
  ddb?.destroy();
  await stack?.stop();
});

function expectError(result: CallResult, status: number, code: string) {
  expect(result.status).toBe(status);
  expect(result.body).toMatchObject({ code, message: expect.any(String) });
  expect(result.body.requestId).toBe(result.headers.get('x-request-id'));
}

const withToken = (token: string) => stack.call('GET', SERVICE_ENV, { headers: { authorization: `Bearer ${token}` } });

/** An environment with an editor, a viewer and two secrets; and a second one of the same owner. */
async function setUp(prefix: string) {
  const people = {
    owner: await stack.token(`${prefix}-owner`),
    editor: await stack.token(`${prefix}-editor`),
    viewer: await stack.token(`${prefix}-viewer`),
    stranger: await stack.token(`${prefix}-stranger`),
  };
  const environment = async (name: string, secrets: Record<string, string>) => {
    const id: string = (await stack.call('POST', ENVIRONMENTS, { token: people.owner, body: { name } })).body.id;
    for (const [key, value] of Object.entries(secrets)) {
      const created = await stack.call('POST', `${ENVIRONMENTS}/${id}/secrets`, {
        token: people.owner,
        body: { key, value, neverReveal: key === 'SEALED' },
      });
      expect(created.status).toBe(201);
    }
    return id;
  };
  const id = await environment(`${prefix} production`, { API_KEY: `${prefix}-api-value`, SEALED: `${prefix}-sealed` });
  const otherId = await environment(`${prefix} staging`, { OTHER_KEY: `${prefix}-other-value` });
  for (const role of ['editor', 'viewer'] as const) {
    await stack.call('PUT', `${ENVIRONMENTS}/${id}/members/${prefix}-${role}`, { token: people.owner, body: { role } });
  }
  const create = (body: unknown = { name: 'deploy' }, token = people.owner) =>
    stack.call('POST', `${ENVIRONMENTS}/${id}/tokens`, { token, body });
  return { people, id, otherId, create };
}

describe('creating and listing tokens', () => {
  it('shows a token once, lists it without the token, and keeps only its SHA-256', async () => {
    const { people, id, create } = await setUp('shown-once');
    const before = Date.now();
    const created = await create({ name: 'ci deploy' });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'ci deploy',
      token: expect.stringMatching(TOKEN),
      createdAt: expect.stringMatching(TIMESTAMP),
      createdBy: 'shown-once-owner',
      expiresAt: expect.stringMatching(TIMESTAMP),
      lastUsedAt: null,
    });
    expect(Date.parse(created.body.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    // 90 days unless asked otherwise.
    expect(Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt)).toBe(90 * DAY_MS);
    const short = await create({ name: 'one day', expiresInDays: 1 });
    expect(Date.parse(short.body.expiresAt) - Date.parse(short.body.createdAt)).toBe(DAY_MS);

    const list = await stack.call('GET', `${ENVIRONMENTS}/${id}/tokens`, { token: people.owner });
    expect(list.status).toBe(200);
    const { token: _shown, ...listed } = created.body;
    expect(list.body.tokens).toEqual(expect.arrayContaining([listed]));
    expect(list.body.tokens).toHaveLength(2);
    expect(list.body.nextCursor).toBeNull();
    expect(list.text).not.toContain(created.body.token);

    // Nothing in the table holds the token; its hash finds it.
    const { Items = [] } = await ddb.send(new ScanCommand({ TableName: stack.tableName }));
    expect(JSON.stringify(Items)).not.toContain(created.body.token.slice(4));
    const hash = createHash('sha256').update(created.body.token).digest('hex');
    expect(Items.find((item) => item.PK === `SERVICETOKEN#${hash}`)).toMatchObject({
      environment_id: id,
      token_id: created.body.id,
    });
  });

  it('lets owners only manage tokens, answers 404 to non-members, and validates the body', async () => {
    const { people, id, create } = await setUp('token-roles');
    const made = (await create()).body;
    for (const who of ['editor', 'viewer'] as const) {
      expectError(await create({ name: 'x' }, people[who]), 403, 'FORBIDDEN');
      expectError(await stack.call('GET', `${ENVIRONMENTS}/${id}/tokens`, { token: people[who] }), 403, 'FORBIDDEN');
      expectError(
        await stack.call('DELETE', `${ENVIRONMENTS}/${id}/tokens/${made.id}`, { token: people[who] }),
        403,
        'FORBIDDEN',
      );
    }
    expectError(await create({ name: 'x' }, people.stranger), 404, 'ENVIRONMENT_NOT_FOUND');
    expectError(
      await stack.call('GET', `${ENVIRONMENTS}/${id}/tokens`, { token: people.stranger }),
      404,
      'ENVIRONMENT_NOT_FOUND',
    );
    expectError(
      await stack.call('DELETE', `${ENVIRONMENTS}/${id}/tokens/${made.id}`, { token: people.stranger }),
      404,
      'ENVIRONMENT_NOT_FOUND',
    );
    for (const body of [
      {},
      { name: '' },
      { name: 'x', expiresInDays: 0 },
      { name: 'x', expiresInDays: 366 },
      { name: 'x', expiresInDays: 1.5 },
    ]) {
      expectError(await create(body), 400, 'VALIDATION_ERROR');
    }
    expectError(await create({ name: 'x', scope: 'all' }), 400, 'UNKNOWN_FIELD');
    expect((await withToken(made.token)).status).toBe(200);
  });
  it('answers a retry with the same Idempotency-Key with the first token’s metadata, never the token again', async () => {
    const { people, id } = await setUp('replayed');
    const send = () =>
      stack.call('POST', `${ENVIRONMENTS}/${id}/tokens`, {
        token: people.owner,
        body: { name: 'retried' },
        headers: { 'idempotency-key': 'create-token-once' },
      });
    const first = await send();
    const again = await send();
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const { token, ...metadata } = first.body;
    expect(again.body).toEqual(metadata);
    expect(again.text).not.toContain(token);
    const listed = await stack.call('GET', `${ENVIRONMENTS}/${id}/tokens`, { token: people.owner });
    expect(listed.body.tokens).toEqual([metadata]);
    const { Items = [] } = await ddb.send(new ScanCommand({ TableName: stack.tableName }));
    expect(JSON.stringify(Items)).not.toContain(token.slice(4));
  });
});

describe('GET /api/service/env', () => {
  it('injects that one environment, neverReveal included, audited as the token', async () => {
    const { people, id, create } = await setUp('inject');
    const made = (await create({ name: 'runtime' })).body;
    const injected = await withToken(made.token);
    expect(injected.status).toBe(200);
    expect(injected.headers.get('cache-control')).toBe('no-store');
    expect(injected.body).toEqual({ env: { API_KEY: 'inject-api-value', SEALED: 'inject-sealed' } });

    const audit = await stack.call('GET', `${ENVIRONMENTS}/${id}/audit?limit=2`, { token: people.owner });
    expect(audit.body.events).toEqual([
      {
        action: 'inject',
        actor: `token:${made.id}`,
        keys: ['API_KEY', 'SEALED'],
        requestId: injected.headers.get('x-request-id'),
        at: expect.any(String),
      },
      expect.objectContaining({ action: 'token.create', actor: 'inject-owner', tokenId: made.id }),
    ]);
    expect(audit.text).not.toContain(made.token);
  });

  it('notes the last use at most once a minute', async () => {
    const { people, id, create } = await setUp('last-use');
    const made = (await create()).body;
    const lastUse = async () =>
      (await stack.call('GET', `${ENVIRONMENTS}/${id}/tokens`, { token: people.owner })).body.tokens[0].lastUsedAt;
    expect(await lastUse()).toBeNull();
    expect((await withToken(made.token)).status).toBe(200);
    const first = await lastUse();
    expect(first).toMatch(TIMESTAMP);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await withToken(made.token)).status).toBe(200);
    expect(await lastUse()).toBe(first);
  });

  it('refuses a JWT, a token elsewhere, and unknown, malformed, missing or doubled tokens with 401', async () => {
    const { id, create } = await setUp('refused');
    const made = (await create()).body;
    const refusals = [
      await withToken(await stack.token('refused-owner', 'secrets:inject')),
      await withToken(`sst_${'A'.repeat(43)}`),
      await withToken('sst_short'),
      await stack.call('GET', SERVICE_ENV),
      await stack.call('GET', SERVICE_ENV, { headers: { authorization: made.token } }),
    ];
    for (const refused of refusals) {
      expectError(refused, 401, 'UNAUTHORIZED');
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    }
    // A service token is valid on /api/service/env only.
    for (const path of [`${ENVIRONMENTS}/${id}/env`, `${ENVIRONMENTS}/${id}/secrets`, '/api/v1/user/secrets/env']) {
      expect((await stack.call('GET', path, { headers: { authorization: `Bearer ${made.token}` } })).status).toBe(401);
    }
    expect(await doubledAuthorization(made.token)).toBe(401);
    expect((await withToken(made.token)).status).toBe(200);
  });

  it('stops a revoked token at once and answers a second revoke with 404', async () => {
    const { people, id, create } = await setUp('revoked');
    const made = (await create()).body;
    const kept = (await create({ name: 'kept' })).body;
    expect((await withToken(made.token)).status).toBe(200);
    const revoked = await stack.call('DELETE', `${ENVIRONMENTS}/${id}/tokens/${made.id}`, { token: people.owner });
    expect(revoked.status).toBe(204);
    expectError(await withToken(made.token), 401, 'UNAUTHORIZED');
    expect((await withToken(kept.token)).status).toBe(200);
    expectError(
      await stack.call('DELETE', `${ENVIRONMENTS}/${id}/tokens/${made.id}`, { token: people.owner }),
      404,
      'TOKEN_NOT_FOUND',
    );
    const listed = await stack.call('GET', `${ENVIRONMENTS}/${id}/tokens`, { token: people.owner });
    expect(listed.body.tokens.map((token: { id: string }) => token.id)).toEqual([kept.id]);
    const audit = await stack.call('GET', `${ENVIRONMENTS}/${id}/audit`, { token: people.owner });
    expect(audit.body.events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'token.revoke', actor: 'revoked-owner', tokenId: made.id }),
      ]),
    );
  });

  it('refuses an expired token, and a token of a deleted environment until it is restored', async () => {
    const { people, id, create } = await setUp('lifetime');
    const expiring = (await create({ name: 'expiring' })).body;
    const lasting = (await create({ name: 'lasting' })).body;
    const hash = createHash('sha256').update(expiring.token).digest('hex');
    await ddb.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { PK: `SERVICETOKEN#${hash}`, SK: 'META' },
        UpdateExpression: 'SET expiry = :past',
        ExpressionAttributeValues: { ':past': new Date(Date.now() - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
      }),
    );
    const expired = await withToken(expiring.token);
    expectError(expired, 401, 'UNAUTHORIZED');
    expect(expired.headers.get('www-authenticate')).toContain('expired');

    expect((await stack.call('DELETE', `${ENVIRONMENTS}/${id}`, { token: people.owner })).status).toBe(204);
    expectError(await withToken(lasting.token), 401, 'UNAUTHORIZED');
    expect((await stack.call('POST', `${ENVIRONMENTS}/${id}/restore`, { token: people.owner })).status).toBe(200);
    expect((await withToken(lasting.token)).body.env).toHaveProperty('API_KEY', 'lifetime-api-value');
  });
});

/** Two Authorization headers on one request (fetch would merge them). */
function doubledAuthorization(token: string): Promise<number> {
  const { hostname, port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const headers = { authorization: [`Bearer ${token}`, `Bearer ${token}`] } as unknown as Record<string, string>;
    const req = request({ hostname, port, path: SERVICE_ENV, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
