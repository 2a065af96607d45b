import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoDbClient } from '../../infra/local/dynamodb.js';
import { type CallResult, startTestStack, type TestStack } from '../support/stack.js';

const ENVIRONMENTS = '/api/environments';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const REQUEST_ID = /^req_[0-9A-Z]{26}$/;
const SEED_004_BODY = '{"key":"example","value":"example","description":"example","neverReveal":false}';
const JSON_HEADERS = { 'content-type': 'application/json' };

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

/** The environments envelope: string code, message, requestId repeating x-request-id. */
function expectError(result: CallResult, status: number, code: string, field?: string) {
  expect(result.status).toBe(status);
  expect(result.body).toMatchObject({ code, message: expect.any(String) });
  expect(result.body.requestId).toMatch(REQUEST_ID);
  expect(result.body.requestId).toBe(result.headers.get('x-request-id'));
  if (field) expect(result.body.field).toBe(field);
}

async function newEnvironment(token: string, name = 'staging'): Promise<string> {
  const created = await stack.call('POST', ENVIRONMENTS, { token, body: { name } });
  expect(created.status).toBe(201);
  return created.body.id;
}

async function addSecret(token: string, id: string, key: string, value: string, extra: Record<string, unknown> = {}) {
  const created = await stack.call('POST', `${ENVIRONMENTS}/${id}/secrets`, { token, body: { key, value, ...extra } });
  expect(created.status).toBe(201);
  return created;
}

describe('environments', () => {
  it('creates an environment with the caller as owner, and lists it for the caller only', async () => {
    const owner = await stack.token('env-creator');
    const created = await stack.call('POST', ENVIRONMENTS, {
      token: owner,
      body: { name: '  production  ', description: 'Live' },
    });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['createdAt', 'description', 'id', 'name', 'role', 'updatedAt']);
    expect(created.body).toMatchObject({ name: 'production', description: 'Live', role: 'owner' });
    expect(created.body.id).toMatch(UUID);
    expect(created.body.createdAt).toMatch(TIMESTAMP);
    expect(created.headers.get('location')).toBe(`${ENVIRONMENTS}/${created.body.id}`);

    const list = await stack.call('GET', ENVIRONMENTS, { token: owner });
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ environments: [created.body], nextCursor: null });
    const other = await stack.call('GET', ENVIRONMENTS, { token: await stack.token('env-outsider') });
    expect(other.body).toEqual({ environments: [], nextCursor: null });
  });

  it('pages through the caller’s environments', async () => {
    const owner = await stack.token('env-pager');
    const ids = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) ids.push(await newEnvironment(owner, name));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: CallResult = await stack.call(
        'GET',
        `${ENVIRONMENTS}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token: owner },
      );
      expect(page.status).toBe(200);
      expect(page.body.environments.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.environments.map((environment: { id: string }) => environment.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].sort());
  });

  it('answers 400 VALIDATION_ERROR / UNKNOWN_FIELD / INVALID_JSON with the field', async () => {
    const token = await stack.token('env-validator');
    expectError(
      await stack.call('POST', ENVIRONMENTS, { token, body: { name: '   ' } }),
      400,
      'VALIDATION_ERROR',
      'name',
    );
    expectError(await stack.call('POST', ENVIRONMENTS, { token, body: {} }), 400, 'VALIDATION_ERROR', 'name');
    expectError(
      await stack.call('POST', ENVIRONMENTS, { token, body: { name: 'x', owner: 'me' } }),
      400,
      'UNKNOWN_FIELD',
      'owner',
    );
    expectError(
      await stack.call('POST', ENVIRONMENTS, { token, rawBody: '{"name":', headers: JSON_HEADERS }),
      400,
      'INVALID_JSON',
    );
    expectError(await stack.call('GET', `${ENVIRONMENTS}?limit=0`, { token }), 400, 'VALIDATION_ERROR', 'limit');
    expectError(await stack.call('GET', `${ENVIRONMENTS}?cursor=forged`, { token }), 400, 'VALIDATION_ERROR', 'cursor');
  });

  it('answers 400 VALIDATION_ERROR at field id for an id that is not a UUID, and accepts an upper-case one', async () => {
    const token = await stack.token('env-id-user');
    expectError(
      await stack.call('POST', `${ENVIRONMENTS}/example/secrets`, {
        token,
        rawBody: SEED_004_BODY,
        headers: JSON_HEADERS,
      }),
      400,
      'VALIDATION_ERROR',
      'id',
    );
    const id = await newEnvironment(token);
    expect((await stack.call('GET', `${ENVIRONMENTS}/${id.toUpperCase()}/secrets`, { token })).status).toBe(200);
  });
});

describe('create a secret (seed 004)', () => {
  let owner: string;
  let id: string;
  beforeAll(async () => {
    owner = await stack.token('seed-owner');
    id = await newEnvironment(owner);
  });

  it('stores the seed body and answers 201 with metadata, ETag and Location, never the value', async () => {
    const created = await stack.call('POST', `${ENVIRONMENTS}/${id}/secrets`, {
      token: owner,
      rawBody: SEED_004_BODY,
      headers: JSON_HEADERS,
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      key: 'example',
      description: 'example',
      neverReveal: false,
      maskedValue: '••••',
      version: 1,
      createdAt: expect.stringMatching(TIMESTAMP),
      updatedAt: created.body.createdAt,
      updatedBy: 'seed-owner',
    });
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.headers.get('location')).toBe(`${ENVIRONMENTS}/${id}/secrets/example`);
    expect(created.headers.get('x-request-id')).toMatch(REQUEST_ID);
  });

  it('answers 409 SECRET_EXISTS for a key the environment already has', async () => {
    const again = await stack.call('POST', `${ENVIRONMENTS}/${id}/secrets`, {
      token: owner,
      rawBody: SEED_004_BODY,
      headers: JSON_HEADERS,
    });
    expectError(again, 409, 'SECRET_EXISTS', 'key');
    expect(again.body.hint).toEqual(expect.any(String));
  });

  it('answers 400 INVALID_JSON for malformed JSON and for a non-JSON content type', async () => {
    const path = `${ENVIRONMENTS}/${id}/secrets`;
    expectError(
      await stack.call('POST', path, { token: owner, rawBody: '{"key": "X", ', headers: JSON_HEADERS }),
      400,
      'INVALID_JSON',
    );
    expectError(
      await stack.call('POST', path, { token: owner, rawBody: 'key=X', headers: { 'content-type': 'text/plain' } }),
      400,
      'INVALID_JSON',
    );
  });

  it('answers 400 VALIDATION_ERROR naming the field, and UNKNOWN_FIELD for an extra one', async () => {
    const path = `${ENVIRONMENTS}/${id}/secrets`;
    expectError(
      await stack.call('POST', path, { token: owner, body: { key: '1BAD', value: 'v' } }),
      400,
      'VALIDATION_ERROR',
      'key',
    );
    expectError(
      await stack.call('POST', path, { token: owner, body: { key: 'LD_PRELOAD', value: 'v' } }),
      400,
      'VALIDATION_ERROR',
      'key',
    );
    expectError(
      await stack.call('POST', path, { token: owner, body: { key: 'EMPTY', value: '' } }),
      400,
      'VALIDATION_ERROR',
      'value',
    );
    expectError(
      await stack.call('POST', path, { token: owner, body: { key: 'NO_VALUE' } }),
      400,
      'VALIDATION_ERROR',
      'value',
    );
    expectError(
      await stack.call('POST', path, { token: owner, body: { key: 'FLAG', value: 'v', neverReveal: 'yes' } }),
      400,
      'VALIDATION_ERROR',
      'neverReveal',
    );
    expectError(
      await stack.call('POST', path, { token: owner, body: { key: 'EXTRA', value: 'v', tags: [] } }),
      400,
      'UNKNOWN_FIELD',
      'tags',
    );
  });

  it('answers 413 PAYLOAD_TOO_LARGE for a body over 256 KiB', async () => {
    const result = await stack.call('POST', `${ENVIRONMENTS}/${id}/secrets`, {
      token: owner,
      body: { key: 'HUGE', value: 'x'.repeat(300 * 1024) },
    });
    expectError(result, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers 401 UNAUTHORIZED with a requestId equal to x-request-id', async () => {
    const path = `${ENVIRONMENTS}/${id}/secrets`;
    const [, payload] = owner.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    for (const token of [undefined, 'not.a.jwt', await stack.token('seed-owner', undefined, -60), unsigned]) {
      const result = await stack.call('POST', path, { token, rawBody: SEED_004_BODY, headers: JSON_HEADERS });
      expectError(result, 401, 'UNAUTHORIZED');
      expect(result.body.requestId).toMatch(/^req_[0-9A-Z]{26}$/);
    }
  });
});

describe('secret metadata, update and delete', () => {
  let owner: string;
  let id: string;
  beforeAll(async () => {
    owner = await stack.token('meta-owner');
    id = await newEnvironment(owner);
  });

  it('lists metadata sorted by key with an exact total and pages, never showing a value', async () => {
    const keys = ['ZETA', 'ALPHA', 'MIKE', 'BRAVO', 'YANKEE'];
    for (const key of keys) await addSecret(owner, id, key, `value-of-${key}`);
    const first = await stack.call('GET', `${ENVIRONMENTS}/${id}/secrets?limit=2`, { token: owner });
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(5);
    expect(first.body.secrets.map((s: { key: string }) => s.key)).toEqual(['ALPHA', 'BRAVO']);
    const seen = [...first.body.secrets];
    let cursor = first.body.nextCursor;
    while (cursor) {
      const page = await stack.call(
        'GET',
        `${ENVIRONMENTS}/${id}/secrets?limit=2&cursor=${encodeURIComponent(cursor)}`,
        { token: owner },
      );
      seen.push(...page.body.secrets);
      cursor = page.body.nextCursor;
    }
    expect(seen.map((s) => s.key)).toEqual([...keys].sort());
    expect(JSON.stringify(seen)).not.toContain('value-of');
  });

  it('masks a long value as head••••tail and fully for neverReveal', async () => {
    const visible = await addSecret(owner, id, 'LONG_KEY', 'sk-proj-0123456789abcdefghijkl789');
    expect(visible.body.maskedValue).toBe('sk-pro••••789');
    const hidden = await addSecret(owner, id, 'HIDDEN_LONG', 'sk-proj-0123456789abcdefghijkl789', {
      neverReveal: true,
    });
    expect(hidden.body).toMatchObject({ neverReveal: true, maskedValue: '••••' });
  });

  it('gets one secret with its ETag, and 404 SECRET_NOT_FOUND for a missing key', async () => {
    const created = await addSecret(owner, id, 'GET_ME', 'get-me-value');
    const result = await stack.call('GET', `${ENVIRONMENTS}/${id}/secrets/GET_ME`, { token: owner });
    expect(result.status).toBe(200);
    expect(result.body).toEqual(created.body);
    expect(result.headers.get('etag')).toBe('"1"');
    expect(result.text).not.toContain('get-me-value');
    expectError(
      await stack.call('GET', `${ENVIRONMENTS}/${id}/secrets/MISSING`, { token: owner }),
      404,
      'SECRET_NOT_FOUND',
    );
    expectError(
      await stack.call('GET', `${ENVIRONMENTS}/${id}/secrets/1bad`, { token: owner }),
      400,
      'VALIDATION_ERROR',
      'key',
    );
  });

  it('patches value and description, bumping version and ETag; reveal sees the new value', async () => {
    const created = await addSecret(owner, id, 'PATCH_ME', 'old-value', { description: 'before' });
    const path = `${ENVIRONMENTS}/${id}/secrets/PATCH_ME`;
    const editor = await stack.token('meta-editor');
    await stack.call('PUT', `${ENVIRONMENTS}/${id}/members/meta-editor`, { token: owner, body: { role: 'editor' } });
    const patched = await stack.call('PATCH', path, {
      token: editor,
      body: { value: 'sk-new-0123456789abcdef', description: 'after' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      key: 'PATCH_ME',
      description: 'after',
      neverReveal: false,
      maskedValue: 'sk-ne••••ef',
      version: 2,
      createdAt: created.body.createdAt,
      updatedBy: 'meta-editor',
    });
    expect(patched.headers.get('etag')).toBe('"2"');
    expect(patched.text).not.toContain('sk-new-0123456789abcdef');
    const descriptionOnly = await stack.call('PATCH', path, { token: owner, body: { description: 'again' } });
    expect(descriptionOnly.body).toMatchObject({ description: 'again', maskedValue: 'sk-ne••••ef', version: 3 });
    const reveal = await stack.call('GET', `${path}/value`, { token: owner });
    expect(reveal.body).toEqual({ key: 'PATCH_ME', value: 'sk-new-0123456789abcdef' });
  });

  it('answers 412 PRECONDITION_FAILED for a stale If-Match and keeps the secret', async () => {
    await addSecret(owner, id, 'GUARDED', 'keep-me');
    const path = `${ENVIRONMENTS}/${id}/secrets/GUARDED`;
    const fresh = await stack.call('PATCH', path, {
      token: owner,
      body: { value: 'second' },
      headers: { 'if-match': '"1"' },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('etag')).toBe('"2"');
    expectError(
      await stack.call('PATCH', path, { token: owner, body: { value: 'third' }, headers: { 'if-match': '"1"' } }),
      412,
      'PRECONDITION_FAILED',
    );
    expectError(
      await stack.call('DELETE', path, { token: owner, headers: { 'if-match': '"1"' } }),
      412,
      'PRECONDITION_FAILED',
    );
    const reveal = await stack.call('GET', `${path}/value`, { token: owner });
    expect(reveal.body.value).toBe('second');
  });

  it('answers 400 VALIDATION_ERROR for an empty PATCH and UNKNOWN_FIELD for a read-only key rename', async () => {
    await addSecret(owner, id, 'UNCHANGED', 'v');
    const path = `${ENVIRONMENTS}/${id}/secrets/UNCHANGED`;
    expectError(await stack.call('PATCH', path, { token: owner, body: {} }), 400, 'VALIDATION_ERROR');
    expectError(
      await stack.call('PATCH', path, { token: owner, body: { key: 'RENAMED' } }),
      400,
      'UNKNOWN_FIELD',
      'key',
    );
  });

  it('deletes with 204 into the trash, then answers 404, keeps total exact and the key reserved until purged', async () => {
    const env = await newEnvironment(owner, 'deletions');
    await addSecret(owner, env, 'GONE', 'bye');
    await addSecret(owner, env, 'STAYS', 'here');
    const deleted = await stack.call('DELETE', `${ENVIRONMENTS}/${env}/secrets/GONE`, {
      token: owner,
      headers: { 'if-match': '"1"' },
    });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectError(
      await stack.call('GET', `${ENVIRONMENTS}/${env}/secrets/GONE`, { token: owner }),
      404,
      'SECRET_NOT_FOUND',
    );
    expectError(
      await stack.call('DELETE', `${ENVIRONMENTS}/${env}/secrets/GONE`, { token: owner }),
      404,
      'SECRET_NOT_FOUND',
    );
    const list = await stack.call('GET', `${ENVIRONMENTS}/${env}/secrets`, { token: owner });
    expect(list.body).toMatchObject({ total: 1, nextCursor: null });
    expect(list.body.secrets.map((s: { key: string }) => s.key)).toEqual(['STAYS']);
    const reserved = await stack.call('POST', `${ENVIRONMENTS}/${env}/secrets`, {
      token: owner,
      body: { key: 'GONE', value: 'again' },
    });
    expectError(reserved, 409, 'SECRET_DELETED');
    expect(reserved.body.hint).toContain(`/api/environments/${env}/deleted-secrets/GONE/restore`);
    const purged = await stack.call('DELETE', `${ENVIRONMENTS}/${env}/deleted-secrets/GONE`, { token: owner });
    expect(purged.status).toBe(204);
    await addSecret(owner, env, 'GONE', 'again');
  });
});

describe('neverReveal', () => {
  let owner: string;
  let id: string;
  beforeAll(async () => {
    owner = await stack.token('nr-owner');
    id = await newEnvironment(owner);
  });

  it('may be turned on, which masks the value fully; reveal is then 403 SECRET_NEVER_REVEAL', async () => {
    await addSecret(owner, id, 'TURN_ON', 'sk-live-0123456789abcdefgh');
    const path = `${ENVIRONMENTS}/${id}/secrets/TURN_ON`;
    expect((await stack.call('GET', `${path}/value`, { token: owner })).status).toBe(200);
    const patched = await stack.call('PATCH', path, { token: owner, body: { neverReveal: true } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ neverReveal: true, maskedValue: '••••', version: 2 });
    const refused = await stack.call('GET', `${path}/value`, { token: owner });
    expectError(refused, 403, 'SECRET_NEVER_REVEAL');
    expect(refused.text).not.toContain('sk-live');
  });

  it('answers 400 READONLY_FIELD with field and hint when turned off, and changes nothing', async () => {
    await addSecret(owner, id, 'LOCKED', 'locked-value', { neverReveal: true });
    const path = `${ENVIRONMENTS}/${id}/secrets/LOCKED`;
    const result = await stack.call('PATCH', path, {
      token: owner,
      body: { neverReveal: false, description: 'sneaky' },
    });
    expectError(result, 400, 'READONLY_FIELD', 'neverReveal');
    expect(result.body.hint).toEqual(expect.any(String));
    const after = await stack.call('GET', path, { token: owner });
    expect(after.body).toMatchObject({ neverReveal: true, description: '', version: 1 });
    const stillOn = await stack.call('PATCH', path, {
      token: owner,
      body: { neverReveal: true, value: 'new-locked-value-123456' },
    });
    expect(stillOn.body).toMatchObject({ neverReveal: true, maskedValue: '••••', version: 2 });
  });

  it('is still injected into runtimes', async () => {
    const env = await stack.call('GET', `${ENVIRONMENTS}/${id}/env`, {
      token: await stack.token('nr-owner', 'secrets:inject'),
    });
    expect(env.status).toBe(200);
    expect(env.body.env).toEqual({ LOCKED: 'new-locked-value-123456', TURN_ON: 'sk-live-0123456789abcdefgh' });
  });
});

describe('reveal, inject and audit', () => {
  it('returns values, audits each change and access without values, and shows the audit newest first to owners', async () => {
    const owner = await stack.token('audit-owner');
    const injector = await stack.token('audit-owner', 'secrets:inject');
    const id = await newEnvironment(owner);
    await addSecret(owner, id, 'API_KEY', 'audit-secret-one');
    await addSecret(owner, id, 'DB_URL', 'postgres://ünïcødé✓@db/app');

    const reveal = await stack.call('GET', `${ENVIRONMENTS}/${id}/secrets/API_KEY/value`, { token: owner });
    expect(reveal.status).toBe(200);
    expect(reveal.body).toEqual({ key: 'API_KEY', value: 'audit-secret-one' });
    expect(reveal.headers.get('cache-control')).toBe('no-store');

    const inject = await stack.call('GET', `${ENVIRONMENTS}/${id}/env`, { token: injector });
    expect(inject.status).toBe(200);
    expect(inject.headers.get('cache-control')).toBe('no-store');
    expect(inject.body).toEqual({ env: { API_KEY: 'audit-secret-one', DB_URL: 'postgres://ünïcødé✓@db/app' } });

    const audit = await stack.call('GET', `${ENVIRONMENTS}/${id}/audit`, { token: owner });
    expect(audit.status).toBe(200);
    expect(audit.body).toEqual({
      events: [
        {
          action: 'inject',
          actor: 'audit-owner',
          keys: ['API_KEY', 'DB_URL'],
          requestId: inject.headers.get('x-request-id'),
          at: expect.any(String),
        },
        {
          action: 'reveal',
          actor: 'audit-owner',
          keys: ['API_KEY'],
          requestId: reveal.headers.get('x-request-id'),
          at: expect.any(String),
        },
        ...['DB_URL', 'API_KEY'].map((key) => ({
          action: 'create',
          actor: 'audit-owner',
          keys: [key],
          version: 1,
          requestId: expect.stringMatching(/^req_/),
          at: expect.any(String),
        })),
        {
          action: 'environment.create',
          actor: 'audit-owner',
          keys: [],
          requestId: expect.stringMatching(/^req_/),
          at: expect.any(String),
        },
      ],
      nextCursor: null,
    });
    expect(audit.text).not.toContain('audit-secret-one');
    expect(audit.text).not.toContain('postgres');

    const first = await stack.call('GET', `${ENVIRONMENTS}/${id}/audit?limit=1`, { token: owner });
    expect(first.body.events.map((e: { action: string }) => e.action)).toEqual(['inject']);
    const second = await stack.call(
      'GET',
      `${ENVIRONMENTS}/${id}/audit?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`,
      { token: owner },
    );
    expect(second.body).toMatchObject({ events: [{ action: 'reveal' }], nextCursor: expect.any(String) });
  });

  it('does not audit a refused reveal, and injects an empty environment as {}', async () => {
    const owner = await stack.token('quiet-owner');
    const id = await newEnvironment(owner);
    expect(
      (
        await stack.call('GET', `${ENVIRONMENTS}/${id}/env`, {
          token: await stack.token('quiet-owner', 'secrets:inject'),
        })
      ).body,
    ).toEqual({ env: {} });
    await addSecret(owner, id, 'SEALED', 'sealed-value', { neverReveal: true });
    expectError(
      await stack.call('GET', `${ENVIRONMENTS}/${id}/secrets/SEALED/value`, { token: owner }),
      403,
      'SECRET_NEVER_REVEAL',
    );
    expectError(
      await stack.call('GET', `${ENVIRONMENTS}/${id}/secrets/NOPE/value`, { token: owner }),
      404,
      'SECRET_NOT_FOUND',
    );
    const audit = await stack.call('GET', `${ENVIRONMENTS}/${id}/audit`, { token: owner });
    expect(audit.body.events.map((e: { action: string; keys: string[] }) => [e.action, e.keys])).toEqual([
      ['create', ['SEALED']],
      ['inject', []],
      ['environment.create', []],
    ]);
  });
});

describe('members', () => {
  it('adds a member, changes the role, and the member sees the environment with that role', async () => {
    const owner = await stack.token('team-owner');
    const id = await newEnvironment(owner, 'team');
    const added = await stack.call('PUT', `${ENVIRONMENTS}/${id}/members/team-dev`, {
      token: owner,
      body: { role: 'viewer' },
    });
    expect(added.status).toBe(200);
    expect(added.body).toEqual({
      userId: 'team-dev',
      role: 'viewer',
      createdAt: expect.stringMatching(TIMESTAMP),
      updatedAt: expect.stringMatching(TIMESTAMP),
      updatedBy: 'team-owner',
    });
    const dev = await stack.token('team-dev');
    expect((await stack.call('GET', ENVIRONMENTS, { token: dev })).body.environments).toEqual([
      expect.objectContaining({ id, name: 'team', role: 'viewer' }),
    ]);
    const promoted = await stack.call('PUT', `${ENVIRONMENTS}/${id}/members/team-dev`, {
      token: owner,
      body: { role: 'editor' },
    });
    expect(promoted.body).toMatchObject({ userId: 'team-dev', role: 'editor', createdAt: added.body.createdAt });
    const again = await stack.call('PUT', `${ENVIRONMENTS}/${id}/members/team-dev`, {
      token: owner,
      body: { role: 'editor' },
    });
    expect(again.body).toEqual(promoted.body);
    expect((await stack.call('GET', ENVIRONMENTS, { token: dev })).body.environments[0].role).toBe('editor');
    expectError(
      await stack.call('PUT', `${ENVIRONMENTS}/${id}/members/team-dev`, { token: owner, body: { role: 'admin' } }),
      400,
      'VALIDATION_ERROR',
      'role',
    );
  });

  it('removes a member, who then gets 404 and no longer lists the environment', async () => {
    const owner = await stack.token('rm-owner');
    const id = await newEnvironment(owner);
    await stack.call('PUT', `${ENVIRONMENTS}/${id}/members/rm-dev`, { token: owner, body: { role: 'editor' } });
    const removed = await stack.call('DELETE', `${ENVIRONMENTS}/${id}/members/rm-dev`, { token: owner });
    expect(removed.status).toBe(204);
    const dev = await stack.token('rm-dev');
    expectError(await stack.call('GET', `${ENVIRONMENTS}/${id}/secrets`, { token: dev }), 404, 'ENVIRONMENT_NOT_FOUND');
    expect((await stack.call('GET', ENVIRONMENTS, { token: dev })).body.environments).toEqual([]);
    expectError(
      await stack.call('DELETE', `${ENVIRONMENTS}/${id}/members/rm-dev`, { token: owner }),
      404,
      'MEMBER_NOT_FOUND',
    );
  });

  it('lets any member leave, but never the last owner (409 LAST_OWNER), by removal or demotion', async () => {
    const owner = await stack.token('solo-owner');
    const id = await newEnvironment(owner);
    await stack.call('PUT', `${ENVIRONMENTS}/${id}/members/solo-viewer`, { token: owner, body: { role: 'viewer' } });
    expect(
      (
        await stack.call('DELETE', `${ENVIRONMENTS}/${id}/members/solo-viewer`, {
          token: await stack.token('solo-viewer'),
        })
      ).status,
    ).toBe(204);

    expectError(
      await stack.call('DELETE', `${ENVIRONMENTS}/${id}/members/solo-owner`, { token: owner }),
      409,
      'LAST_OWNER',
    );
    expectError(
      await stack.call('PUT', `${ENVIRONMENTS}/${id}/members/solo-owner`, { token: owner, body: { role: 'editor' } }),
      409,
      'LAST_OWNER',
    );

    await stack.call('PUT', `${ENVIRONMENTS}/${id}/members/second-owner`, { token: owner, body: { role: 'owner' } });
    expect((await stack.call('DELETE', `${ENVIRONMENTS}/${id}/members/solo-owner`, { token: owner })).status).toBe(204);
    const second = await stack.token('second-owner');
    expectError(
      await stack.call('DELETE', `${ENVIRONMENTS}/${id}/members/second-owner`, { token: second }),
      409,
      'LAST_OWNER',
    );
  });

  it('keeps one owner when two owners demote each other concurrently', async () => {
    const first = await stack.token('duel-a');
    const second = await stack.token('duel-b');
    const id = await newEnvironment(first);
    await stack.call('PUT', `${ENVIRONMENTS}/${id}/members/duel-b`, { token: first, body: { role: 'owner' } });
    const results = await Promise.all([
      stack.call('PUT', `${ENVIRONMENTS}/${id}/members/duel-b`, { token: first, body: { role: 'viewer' } }),
      stack.call('PUT', `${ENVIRONMENTS}/${id}/members/duel-a`, { token: second, body: { role: 'viewer' } }),
    ]);
    // Either one demotion wins and the other finds itself no longer an owner (403) or the last one (409).
    const statuses = results.map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const meta = await ddb.send(new GetCommand({ TableName: stack.tableName, Key: { PK: `ENV#${id}`, SK: 'META' } }));
    expect(meta.Item?.owners).toBe(1);
  });
});

describe('storage and isolation', () => {
  it('keeps the binding conventions: META key_version and total, SECRET# kv/ct/version, MEMBER# on GSI1', async () => {
    const owner = await stack.token('layout-owner');
    const id = await newEnvironment(owner);
    await addSecret(owner, id, 'LAYOUT', 'layout-value');
    await stack.call('PATCH', `${ENVIRONMENTS}/${id}/secrets/LAYOUT`, {
      token: owner,
      body: { value: 'layout-value-2' },
    });
    const get = (SK: string) =>
      ddb.send(new GetCommand({ TableName: stack.tableName, Key: { PK: `ENV#${id}`, SK } })).then((r) => r.Item);
    expect(await get('META')).toMatchObject({ name: 'staging', key_version: 1, total: 1, owners: 1 });
    const secret = await get('SECRET#LAYOUT');
    expect(secret).toMatchObject({ key: 'LAYOUT', kv: 1, version: 2, never_reveal: false });
    expect(secret?.ct).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(secret!.ct).toString('utf8')).not.toContain('layout-value');
    expect(await get('MEMBER#layout-owner')).toMatchObject({
      role: 'owner',
      GSI1PK: 'USER#layout-owner',
      GSI1SK: `ENV#${id}`,
    });
    expect(await get('DATAKEY#000001')).toMatchObject({ status: 'active' });
  });

  it('gives each environment its own data key, so a ciphertext copied to another environment fails to decrypt', async () => {
    const owner = await stack.token('copy-owner');
    const source = await newEnvironment(owner, 'source');
    const target = await newEnvironment(owner, 'target');
    await addSecret(owner, source, 'COPIED', 'source-only-value');
    await addSecret(owner, target, 'COPIED', 'target-value');
    const { Item } = await ddb.send(
      new GetCommand({ TableName: stack.tableName, Key: { PK: `ENV#${source}`, SK: 'SECRET#COPIED' } }),
    );
    await ddb.send(new PutCommand({ TableName: stack.tableName, Item: { ...Item, PK: `ENV#${target}` } }));
    const reveal = await stack.call('GET', `${ENVIRONMENTS}/${target}/secrets/COPIED/value`, { token: owner });
    expectError(reveal, 500, 'INTERNAL_ERROR');
    expect(reveal.text).not.toContain('source-only-value');
  });
});

describe('concurrency', () => {
  it('lets exactly one of many concurrent creates of one key win and keeps total exact', async () => {
    const owner = await stack.token('racer');
    const id = await newEnvironment(owner);
    const path = `${ENVIRONMENTS}/${id}/secrets`;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        stack.call('POST', path, { token: owner, body: { key: 'CONTESTED', value: `v${i}` } }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.body.code === 'SECRET_EXISTS')).toHaveLength(11);
    const others = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        stack.call('POST', path, { token: owner, body: { key: `DISTINCT_${i}`, value: 'x' } }),
      ),
    );
    expect(others.every((r) => r.status === 201)).toBe(true);
    const list = await stack.call('GET', path, { token: owner });
    expect(list.body.total).toBe(11);
    expect(list.body.secrets).toHaveLength(11);
    const deletions = await Promise.all(
      Array.from({ length: 5 }, () => stack.call('DELETE', `${path}/DISTINCT_0`, { token: owner })),
    );
    expect(deletions.filter((r) => r.status === 204)).toHaveLength(1);
    expect((await stack.call('GET', path, { token: owner })).body.total).toBe(10);
  });
});

describe('lists of large items', () => {
  it('page past DynamoDB’s 1 MB read limit instead of dropping items', async () => {
    const token = await stack.token('big-lists', 'secrets:inject');
    const id = (await stack.call('POST', '/api/environments', { token, body: { name: 'big' } })).body.id;
    const keys = Array.from({ length: 24 }, (_, i) => `K${String(i).padStart(2, '0')}`);
    for (const key of keys) {
      const created = await stack.call('POST', `/api/environments/${id}/secrets`, {
        token,
        body: { key, value: 'x'.repeat(60_000) },
      });
      expect(created.status).toBe(201);
    }
    const listed = await stack.call('GET', `/api/environments/${id}/secrets?limit=100`, { token });
    expect(listed.body.total).toBe(24);
    expect(listed.body.secrets.map((secret: { key: string }) => secret.key)).toEqual(keys);
    expect(listed.body.nextCursor).toBeNull();
    const first = await stack.call('GET', `/api/environments/${id}/secrets?limit=20`, { token });
    const rest = await stack.call('GET', `/api/environments/${id}/secrets?limit=20&cursor=${first.body.nextCursor}`, {
      token,
    });
    expect([...first.body.secrets, ...rest.body.secrets].map((secret: { key: string }) => secret.key)).toEqual(keys);
  });

  it('read the audit past the 1 MB limit: 80 injects of 120 long keys each', async () => {
    const token = await stack.token('big-audit', 'secrets:inject');
    const id = (await stack.call('POST', '/api/environments', { token, body: { name: 'audit' } })).body.id;
    for (let i = 0; i < 120; i++) {
      const key = `K${String(i).padStart(3, '0')}_${'A'.repeat(123)}`;
      expect(
        (await stack.call('POST', `/api/environments/${id}/secrets`, { token, body: { key, value: 'v' } })).status,
      ).toBe(201);
    }
    for (let i = 0; i < 80; i++) {
      expect((await stack.call('GET', `/api/environments/${id}/env`, { token })).status).toBe(200);
    }
    const audit = await stack.call('GET', `/api/environments/${id}/audit?limit=100`, { token });
    const actions = audit.body.events.map((event: { action: string }) => event.action);
    expect(actions).toEqual([...Array(80).fill('inject'), ...Array(20).fill('create')]);
    expect(audit.body.nextCursor).toEqual(expect.any(String));
  });
});

describe('an environment and its members', () => {
  it('is where Location points after create, with the caller’s own role', async () => {
    const owner = await stack.token('lookup-owner');
    const viewer = await stack.token('lookup-viewer');
    const created = await stack.call('POST', '/api/environments', {
      token: owner,
      body: { name: 'lookup', description: 'found by id' },
    });
    const location = created.headers.get('location')!;
    const got = await stack.call('GET', location, { token: owner });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
    await stack.call('PUT', `${location}/members/lookup-viewer`, { token: owner, body: { role: 'viewer' } });
    expect(
      (
        await stack.call('GET', location.toUpperCase().replace('/API/ENVIRONMENTS', '/api/environments'), {
          token: viewer,
        })
      ).body,
    ).toMatchObject({
      id: created.body.id,
      role: 'viewer',
    });
    const missing = await stack.call('GET', '/api/environments/00000000-0000-4000-8000-000000000000', { token: owner });
    expectError(missing, 404, 'ENVIRONMENT_NOT_FOUND');
    expectError(await stack.call('GET', '/api/environments/not-a-uuid', { token: owner }), 400, 'VALIDATION_ERROR');
  });

  it('lists members in user id order, page by page, with who changed each', async () => {
    const owner = await stack.token('m-owner');
    const id = (await stack.call('POST', '/api/environments', { token: owner, body: { name: 'members' } })).body.id;
    for (const [user, role] of [
      ['m-c', 'viewer'],
      ['m-a', 'editor'],
      ['m-b', 'viewer'],
    ]) {
      await stack.call('PUT', `/api/environments/${id}/members/${user}`, { token: owner, body: { role } });
    }
    const first = await stack.call('GET', `/api/environments/${id}/members?limit=2`, { token: owner });
    expect(first.status).toBe(200);
    expect(first.body.members.map((m: { userId: string }) => m.userId)).toEqual(['m-a', 'm-b']);
    expect(first.body.members[0]).toEqual({
      userId: 'm-a',
      role: 'editor',
      createdAt: expect.stringMatching(/Z$/),
      updatedAt: expect.stringMatching(/Z$/),
      updatedBy: 'm-owner',
    });
    const rest = await stack.call('GET', `/api/environments/${id}/members?limit=2&cursor=${first.body.nextCursor}`, {
      token: owner,
    });
    expect(rest.body.members.map((m: { userId: string; role: string }) => [m.userId, m.role])).toEqual([
      ['m-c', 'viewer'],
      ['m-owner', 'owner'],
    ]);
    expect(rest.body.nextCursor).toBeNull();
    const foreign = await stack.call('GET', `/api/environments/${id}/members?cursor=${first.body.nextCursor}`, {
      token: await stack.token('m-outsider'),
    });
    expectError(foreign, 404, 'ENVIRONMENT_NOT_FOUND');
  });
});
