import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';

const SECRETS = '/api/v1/user/secrets';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;

let stack: TestStack;
let alice: string;

beforeAll(async () => {
  stack = await startTestStack();
  alice = await stack.token('alice');
});
afterAll(() => stack?.stop());

function expectV1Error(result: { status: number; body: any; headers: Headers }, status: number, type: string) {
  expect(result.status).toBe(status);
  expect(result.body).toMatchObject({ code: status, type });
  expect(typeof result.body.detail).toBe('string');
  expect(result.headers.get('x-request-id')).toMatch(REQUEST_ID);
}

describe('create (seed 000)', () => {
  it('stores the seed body and answers with metadata, Location and ETag, never the value', async () => {
    const created = await stack.call('POST', SECRETS, {
      token: alice,
      rawBody: '{"name":"OPENAI_API_KEY","provider":"openai","value":"example"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual([
      'created_at',
      'id',
      'masked_value',
      'name',
      'provider',
      'updated_at',
    ]);
    expect(created.body).toMatchObject({ name: 'OPENAI_API_KEY', provider: 'openai', masked_value: '••••' });
    expect(created.body.id).toMatch(UUID);
    expect(created.body.created_at).toMatch(TIMESTAMP);
    expect(created.headers.get('location')).toBe(`${SECRETS}/${created.body.id}`);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.headers.get('x-request-id')).toMatch(REQUEST_ID);
    expect(created.text).not.toContain('example');
  });

  it('masks a long value as head••••tail and defaults the provider to custom', async () => {
    const created = await stack.call('POST', SECRETS, {
      token: alice,
      body: { name: 'MASKED_ONE', value: 'sk-proj-0123456789abcdefghijkl789' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ provider: 'custom', masked_value: 'sk-pro••••789' });
  });

  it('answers 409 conflict_error for a name the user already has', async () => {
    await stack.call('POST', SECRETS, { token: alice, body: { name: 'DUPLICATE', value: 'first' } });
    const again = await stack.call('POST', SECRETS, { token: alice, body: { name: 'DUPLICATE', value: 'second' } });
    expectV1Error(again, 409, 'conflict_error');
    expect(again.body.detail).toBe(
      'A secret named DUPLICATE already exists; update it with PUT, or choose another name',
    );
  });

  it('answers 422 with located errors for bad names, unknown fields and empty values', async () => {
    const result = await stack.call('POST', SECRETS, {
      token: alice,
      body: { name: '1BAD', value: '', extra: true },
    });
    expectV1Error(result, 422, 'validation_error');
    const locs = result.body.errors.map((e: { loc: string[] }) => e.loc.join('.'));
    expect(locs).toEqual(expect.arrayContaining(['body.name', 'body.value', 'body.extra']));
    for (const error of result.body.errors) {
      expect(error).toEqual({ loc: expect.any(Array), msg: expect.any(String), type: expect.any(String) });
    }
    expect(result.body.errors.find((e: { loc: string[] }) => e.loc[1] === 'extra').type).toBe('extra_forbidden');
  });

  it.each([
    'PATH',
    'LD_PRELOAD',
    'DYLD_INSERT_LIBRARIES',
    'NODE_OPTIONS',
    'AWS_LAMBDA_RUNTIME_API',
    'path',
    'BASH_ENV',
  ])('refuses the runtime-hijacking name %s', async (name) => {
    const result = await stack.call('POST', SECRETS, { token: alice, body: { name, value: 'x' } });
    expectV1Error(result, 422, 'validation_error');
    expect(result.body.errors[0].loc).toEqual(['body', 'name']);
  });

  it('answers 422 when a required field is missing, with type missing', async () => {
    const result = await stack.call('POST', SECRETS, { token: alice, body: { name: 'NO_VALUE' } });
    expectV1Error(result, 422, 'validation_error');
    expect(result.body.errors).toEqual([{ loc: ['body', 'value'], msg: 'Field required', type: 'missing' }]);
  });

  it('accepts a 64 KiB value and refuses one byte more with 422', async () => {
    const max = 'v'.repeat(64 * 1024);
    const ok = await stack.call('POST', SECRETS, { token: alice, body: { name: 'BIG_OK', value: max } });
    expect(ok.status).toBe(201);
    const over = await stack.call('POST', SECRETS, { token: alice, body: { name: 'BIG_OVER', value: `${max}v` } });
    expectV1Error(over, 422, 'validation_error');
    expect(over.body.errors[0].loc).toEqual(['body', 'value']);
  });

  it('answers 413 for a body over 256 KiB', async () => {
    const result = await stack.call('POST', SECRETS, {
      token: alice,
      body: { name: 'HUGE', value: 'x'.repeat(300 * 1024) },
    });
    expectV1Error(result, 413, 'payload_too_large');
  });

  it('answers 400 for malformed JSON and for a non-JSON content type', async () => {
    const malformed = await stack.call('POST', SECRETS, {
      token: alice,
      rawBody: '{"name": "X", ',
      headers: { 'content-type': 'application/json' },
    });
    expectV1Error(malformed, 400, 'invalid_request_error');
    const wrongType = await stack.call('POST', SECRETS, {
      token: alice,
      rawBody: 'name=X',
      headers: { 'content-type': 'text/plain' },
    });
    expectV1Error(wrongType, 400, 'invalid_request_error');
  });
});

describe('create from preset (seed 001)', () => {
  it('names the secret from the preset table', async () => {
    const user = await stack.token('preset-user');
    const result = await stack.call('POST', `${SECRETS}/preset`, {
      token: user,
      rawBody: '{"provider":"openai","value":"example"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(result.status).toBe(201);
    expect(result.body).toMatchObject({ name: 'OPENAI_API_KEY', provider: 'openai' });
    for (const [provider, name] of [
      ['anthropic', 'ANTHROPIC_API_KEY'],
      ['github', 'GITHUB_TOKEN'],
      ['tinker', 'TINKER_API_KEY'],
    ]) {
      const preset = await stack.call('POST', `${SECRETS}/preset`, { token: user, body: { provider, value: 'v' } });
      expect(preset.body.name).toBe(name);
    }
  });

  it('answers 422 at body.provider for an unknown provider', async () => {
    const result = await stack.call('POST', `${SECRETS}/preset`, {
      token: alice,
      body: { provider: 'nope', value: 'v' },
    });
    expectV1Error(result, 422, 'validation_error');
    expect(result.body.errors[0].loc).toEqual(['body', 'provider']);
  });
});

describe('list (seed 002)', () => {
  it('pages through secrets sorted by name with an exact total and next_cursor', async () => {
    const user = await stack.token('lister');
    const names = ['ZETA', 'ALPHA', 'MIKE', 'BRAVO', 'YANKEE'];
    for (const name of names)
      await stack.call('POST', SECRETS, { token: user, body: { name, value: `value-of-${name}` } });

    const first = await stack.call('GET', `${SECRETS}?limit=2`, { token: user });
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(5);
    expect(first.body.secrets.map((s: { name: string }) => s.name)).toEqual(['ALPHA', 'BRAVO']);
    expect(typeof first.body.next_cursor).toBe('string');

    const seen = [...first.body.secrets];
    let cursor = first.body.next_cursor;
    while (cursor) {
      const page = await stack.call('GET', `${SECRETS}?limit=2&cursor=${encodeURIComponent(cursor)}`, { token: user });
      expect(page.status).toBe(200);
      seen.push(...page.body.secrets);
      cursor = page.body.next_cursor;
    }
    expect(seen.map((s) => s.name)).toEqual([...names].sort());
    expect(JSON.stringify(seen)).not.toContain('value-of');
  });

  it('answers the seed shape with default paging', async () => {
    const result = await stack.call('GET', SECRETS, { token: await stack.token('empty-user') });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ secrets: [], total: 0, next_cursor: null });
  });

  it('answers 422 for a limit out of range and for a forged cursor', async () => {
    expectV1Error(await stack.call('GET', `${SECRETS}?limit=0`, { token: alice }), 422, 'validation_error');
    expectV1Error(await stack.call('GET', `${SECRETS}?limit=101`, { token: alice }), 422, 'validation_error');
    const forged = await stack.call('GET', `${SECRETS}?cursor=not-a-cursor`, { token: alice });
    expectV1Error(forged, 422, 'validation_error');
    expect(forged.body.errors[0].loc).toEqual(['query', 'cursor']);
  });
});

describe('get, update (seed 003) and delete', () => {
  it('reads one secret with its ETag, accepting an upper-case id', async () => {
    const created = await stack.call('POST', SECRETS, { token: alice, body: { name: 'GET_ME', value: 'abc' } });
    const result = await stack.call('GET', `${SECRETS}/${created.body.id.toUpperCase()}`, { token: alice });
    expect(result.status).toBe(200);
    expect(result.body).toEqual(created.body);
    expect(result.headers.get('etag')).toBe('"1"');
  });

  it('updates the value with the seed body, bumps the ETag, and inject sees the new value', async () => {
    const user = await stack.token('updater');
    const created = await stack.call('POST', SECRETS, {
      token: user,
      body: { name: 'ROTATE_ME', value: 'old-value-000000' },
    });
    const updated = await stack.call('PUT', `${SECRETS}/${created.body.id}`, {
      token: user,
      rawBody: '{"value":"example"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      id: created.body.id,
      name: 'ROTATE_ME',
      masked_value: '••••',
      created_at: created.body.created_at,
    });
    expect(updated.headers.get('etag')).toBe('"2"');
    const env = await stack.call('GET', `${SECRETS}/env`, { token: await stack.token('updater', 'secrets:inject') });
    expect(env.body.env).toEqual({ ROTATE_ME: 'example' });
  });

  it('answers 412 for a stale If-Match and keeps the value', async () => {
    const user = await stack.token('etag-user');
    const created = await stack.call('POST', SECRETS, { token: user, body: { name: 'GUARDED', value: 'keep-me' } });
    const path = `${SECRETS}/${created.body.id}`;
    const fresh = await stack.call('PUT', path, {
      token: user,
      body: { value: 'second' },
      headers: { 'if-match': '"1"' },
    });
    expect(fresh.status).toBe(200);
    const stale = await stack.call('PUT', path, {
      token: user,
      body: { value: 'third' },
      headers: { 'if-match': '"1"' },
    });
    expectV1Error(stale, 412, 'precondition_failed');
    const staleDelete = await stack.call('DELETE', path, { token: user, headers: { 'if-match': '"1"' } });
    expectV1Error(staleDelete, 412, 'precondition_failed');
    const env = await stack.call('GET', `${SECRETS}/env`, { token: await stack.token('etag-user', 'secrets:inject') });
    expect(env.body.env).toEqual({ GUARDED: 'second' });
  });

  it('deletes with 204 into the trash, then answers 404, frees the total and keeps the name until purged', async () => {
    const user = await stack.token('deleter');
    const created = await stack.call('POST', SECRETS, { token: user, body: { name: 'GONE', value: 'bye' } });
    const deleted = await stack.call('DELETE', `${SECRETS}/${created.body.id}`, {
      token: user,
      headers: { 'if-match': '"1"' },
    });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectV1Error(await stack.call('GET', `${SECRETS}/${created.body.id}`, { token: user }), 404, 'not_found_error');
    expectV1Error(await stack.call('DELETE', `${SECRETS}/${created.body.id}`, { token: user }), 404, 'not_found_error');
    const list = await stack.call('GET', SECRETS, { token: user });
    expect(list.body).toMatchObject({ secrets: [], total: 0 });
    const reserved = await stack.call('POST', SECRETS, { token: user, body: { name: 'GONE', value: 'again' } });
    expectV1Error(reserved, 409, 'conflict_error');
    expect(reserved.body.detail).toContain(`/api/v1/user/secrets/deleted/${created.body.id}/restore`);
    expect((await stack.call('DELETE', `${SECRETS}/deleted/${created.body.id}`, { token: user })).status).toBe(204);
    const recreated = await stack.call('POST', SECRETS, { token: user, body: { name: 'GONE', value: 'again' } });
    expect(recreated.status).toBe(201);
  });

  it('answers 404 not_found_error for an id the user has no secret under', async () => {
    const missing = await stack.call('GET', `${SECRETS}/00000000-0000-4000-8000-000000000000`, { token: alice });
    expect(missing.body).toEqual({ code: 404, detail: 'Secret not found', type: 'not_found_error' });
  });

  it('answers 422 at path.id for a malformed id', async () => {
    const result = await stack.call('GET', `${SECRETS}/not-a-uuid`, { token: alice });
    expectV1Error(result, 422, 'validation_error');
    expect(result.body.errors[0]).toMatchObject({ loc: ['path', 'id'], type: 'uuid_parsing' });
  });
});

describe('isolation between users', () => {
  it("answers 404 for another user's secret on every id route and leaves it untouched", async () => {
    const owner = await stack.token('owner-user');
    const intruder = await stack.token('intruder');
    const created = await stack.call('POST', SECRETS, { token: owner, body: { name: 'PRIVATE', value: 'owner-only' } });
    const path = `${SECRETS}/${created.body.id}`;
    expectV1Error(await stack.call('GET', path, { token: intruder }), 404, 'not_found_error');
    expectV1Error(
      await stack.call('PUT', path, { token: intruder, body: { value: 'hijacked' } }),
      404,
      'not_found_error',
    );
    expectV1Error(await stack.call('DELETE', path, { token: intruder }), 404, 'not_found_error');
    const intruderList = await stack.call('GET', SECRETS, { token: intruder });
    expect(intruderList.body.total).toBe(0);
    const intruderEnv = await stack.call('GET', `${SECRETS}/env`, {
      token: await stack.token('intruder', 'secrets:inject'),
    });
    expect(intruderEnv.body.env).toEqual({});
    const env = await stack.call('GET', `${SECRETS}/env`, { token: await stack.token('owner-user', 'secrets:inject') });
    expect(env.body.env).toEqual({ PRIVATE: 'owner-only' });
  });
});

describe('inject', () => {
  it('returns every value with Cache-Control: no-store', async () => {
    const user = await stack.token('injector');
    await stack.call('POST', SECRETS, { token: user, body: { name: 'ONE', value: 'first value' } });
    await stack.call('POST', `${SECRETS}/preset`, { token: user, body: { provider: 'github', value: 'ghp_ünïcødé✓' } });
    const result = await stack.call('GET', `${SECRETS}/env`, {
      token: await stack.token('injector', 'secrets:inject'),
    });
    expect(result.status).toBe(200);
    expect(result.headers.get('cache-control')).toBe('no-store');
    expect(result.body).toEqual({ env: { ONE: 'first value', GITHUB_TOKEN: 'ghp_ünïcødé✓' } });
  });

  it('answers 403 permission_error without the secrets:inject scope', async () => {
    expectV1Error(await stack.call('GET', `${SECRETS}/env`, { token: alice }), 403, 'permission_error');
  });

  it('audits each inject with who, which names, when and the request id, never a value', async () => {
    const sub = 'audited-injector';
    const user = await stack.token(sub);
    await stack.call('POST', SECRETS, { token: user, body: { name: 'FIRST', value: 'audited-value-one' } });
    await stack.call('POST', SECRETS, { token: user, body: { name: 'SECOND', value: 'audited-value-two' } });
    const before = Date.now();
    const injects = [];
    for (let i = 0; i < 2; i++)
      injects.push(await stack.call('GET', `${SECRETS}/env`, { token: await stack.token(sub, 'secrets:inject') }));
    const after = Date.now();

    const Items = (await stack.items(`USER#${sub}`, 'AUDIT#')).filter((item) => item.action === 'inject');
    expect(Items).toHaveLength(2);
    expect(JSON.stringify(Items)).not.toMatch(/audited-value/);
    expect(Items.map((item) => item.request_id).sort()).toEqual(
      injects.map((inject) => inject.headers.get('x-request-id')).sort(),
    );
    for (const item of Items) {
      expect(Object.keys(item).sort()).toEqual([
        'PK',
        'SK',
        'action',
        'actor',
        'at',
        'expires_at',
        'keys',
        'request_id',
      ]);
      expect(item).toMatchObject({ action: 'inject', actor: sub });
      expect([...item.keys].sort()).toEqual(['FIRST', 'SECOND']);
      const at = Date.parse(item.at);
      expect(at).toBeGreaterThanOrEqual(before - 1000);
      expect(at).toBeLessThanOrEqual(after);
      // Kept for the configured retention (90 days by default), then expired by TTL.
      expect(item.expires_at).toBe(Math.floor(at / 1000) + 90 * 86400);
    }
  });
});

describe('GET /api/v1/user/audit', () => {
  it('lists every change and inject of the caller’s secrets, newest first, never a value', async () => {
    const sub = 'audit-reader';
    const user = await stack.token(sub);
    const created = await stack.call('POST', SECRETS, {
      token: user,
      body: { name: 'AUDITED', value: 'audit-v1-value' },
    });
    const updated = await stack.call('PUT', `${SECRETS}/${created.body.id}`, {
      token: user,
      body: { value: 'audit-v2-value' },
    });
    const injected = await stack.call('GET', `${SECRETS}/env`, { token: await stack.token(sub, 'secrets:inject') });
    const deleted = await stack.call('DELETE', `${SECRETS}/${created.body.id}`, { token: user });
    expect([created.status, updated.status, injected.status, deleted.status]).toEqual([201, 200, 200, 204]);

    const audit = await stack.call('GET', '/api/v1/user/audit', { token: user });
    expect(audit.status).toBe(200);
    const requestIds = [deleted, injected, updated, created].map((call) => call.headers.get('x-request-id'));
    expect(audit.body).toEqual({
      events: [
        ['delete', 2],
        ['inject', null],
        ['update', 2],
        ['create', 1],
      ].map(([action, version], index) => ({
        action,
        actor: sub,
        names: ['AUDITED'],
        version,
        request_id: requestIds[index],
        at: expect.any(String),
      })),
      next_cursor: null,
    });
    expect(audit.text).not.toMatch(/audit-v\d-value/);

    const first = await stack.call('GET', '/api/v1/user/audit?limit=3', { token: user });
    const rest = await stack.call('GET', `/api/v1/user/audit?cursor=${encodeURIComponent(first.body.next_cursor)}`, {
      token: user,
    });
    expect([...first.body.events, ...rest.body.events]).toEqual(audit.body.events);
    expect(rest.body.next_cursor).toBeNull();
    const stranger = await stack.call('GET', '/api/v1/user/audit', { token: await stack.token('audit-stranger') });
    expect(stranger.body).toEqual({ events: [], next_cursor: null });
  });

  it('keeps the audit unchanged when a write fails', async () => {
    const user = await stack.token('audit-failure');
    const created = await stack.call('POST', SECRETS, { token: user, body: { name: 'KEPT', value: 'kept-value' } });
    const conflict = await stack.call('POST', SECRETS, { token: user, body: { name: 'KEPT', value: 'other-value' } });
    const stale = await stack.call('PUT', `${SECRETS}/${created.body.id}`, {
      token: user,
      body: { value: 'stale-value' },
      headers: { 'if-match': '"7"' },
    });
    expect([conflict.status, stale.status]).toEqual([409, 412]);
    const audit = await stack.call('GET', '/api/v1/user/audit', { token: user });
    expect(audit.body.events.map((event: { action: string }) => event.action)).toEqual(['create']);
  });
});

describe('authentication', () => {
  it('answers 401 authentication_error for missing, malformed, expired and foreign tokens', async () => {
    expectV1Error(await stack.call('GET', SECRETS), 401, 'authentication_error');
    expectV1Error(await stack.call('GET', SECRETS, { token: 'not.a.jwt' }), 401, 'authentication_error');
    expectV1Error(
      await stack.call('GET', SECRETS, { token: await stack.token('alice', undefined, -60) }),
      401,
      'authentication_error',
    );
    const [header, payload] = alice.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    expectV1Error(await stack.call('GET', SECRETS, { token: unsigned }), 401, 'authentication_error');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ sub: 'mallory', exp: 9999999999 })).toString('base64url')}.${alice.split('.')[2]}`;
    expectV1Error(await stack.call('GET', SECRETS, { token: tampered }), 401, 'authentication_error');
  });
});

describe('client version', () => {
  it('answers 426 upgrade_required below the minimum and serves at or above it', async () => {
    expectV1Error(
      await stack.call('GET', SECRETS, { token: alice, headers: { 'x-client-version': '0.9.9' } }),
      426,
      'upgrade_required',
    );
    expect((await stack.call('GET', SECRETS, { token: alice, headers: { 'x-client-version': '1.0.0' } })).status).toBe(
      200,
    );
  });
});

describe('concurrency', () => {
  it('lets exactly one of many concurrent creates of one name win and keeps total exact', async () => {
    const user = await stack.token('racer');
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        stack.call('POST', SECRETS, { token: user, body: { name: 'CONTESTED', value: `v${i}` } }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(11);
    const others = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        stack.call('POST', SECRETS, { token: user, body: { name: `DISTINCT_${i}`, value: 'x' } }),
      ),
    );
    expect(others.every((r) => r.status === 201)).toBe(true);
    const list = await stack.call('GET', SECRETS, { token: user });
    expect(list.body.total).toBe(11);
    expect(list.body.secrets).toHaveLength(11);
  });
});
