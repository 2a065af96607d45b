import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { storeDeps } from '../../lib/app/process-deps.js';
import { beginIdempotentRequest, LOCK_MS } from '../../lib/idempotency/idempotency.js';
import { aroundDynamoDbCalls, aroundKmsCalls } from '../support/faults.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/** Idempotency-Key: a retried write gets the first answer and writes nothing more. */
const SECRETS = '/api/v1/user/secrets';

let stack: TestStack;
let users = 0;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());
afterEach(() => vi.restoreAllMocks());

/** A user of their own for each test, so counts start at zero. */
async function freshUser(): Promise<{ sub: string; token: string }> {
  const sub = `idem-${++users}`;
  return { sub, token: await stack.token(sub, 'secrets:inject') };
}

const timeout = () => Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });

describe('a retried create', () => {
  it('answers the first response again, marked as a replay, and stores one secret', async () => {
    const { token } = await freshUser();
    const send = () =>
      stack.call('POST', SECRETS, {
        token,
        body: { name: 'ONCE', value: 'first-value-1234' },
        headers: { 'idempotency-key': 'create-once' },
      });
    const first = await send();
    const second = await send();
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('x-request-id')).toBe(first.headers.get('x-request-id'));
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect((await stack.call('GET', SECRETS, { token })).body.total).toBe(1);
  });

  it('keeps keys per caller: the same key from another user is a request of its own', async () => {
    const alice = await freshUser();
    const bob = await freshUser();
    const headers = { 'idempotency-key': 'shared-key' };
    const a = await stack.call('POST', SECRETS, { token: alice.token, body: { name: 'A', value: 'v' }, headers });
    const b = await stack.call('POST', SECRETS, { token: bob.token, body: { name: 'A', value: 'v' }, headers });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.id).not.toBe(a.body.id);
  });

  it('replays a refusal too: a 409 stays the answer to that request', async () => {
    const { token } = await freshUser();
    await stack.call('POST', SECRETS, { token, body: { name: 'TAKEN', value: 'v' } });
    const send = () =>
      stack.call('POST', SECRETS, {
        token,
        body: { name: 'TAKEN', value: 'w' },
        headers: { 'idempotency-key': 'k409' },
      });
    const first = await send();
    const second = await send();
    expect([first.status, second.status]).toEqual([409, 409]);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
  });
});

describe('a key reused with another request', () => {
  it('is refused with 422 (v1) and 400 IDEMPOTENCY_KEY_REUSED (environments)', async () => {
    const { token } = await freshUser();
    const headers = { 'idempotency-key': 'reused' };
    expect((await stack.call('POST', SECRETS, { token, body: { name: 'R', value: 'one' }, headers })).status).toBe(201);
    const other = await stack.call('POST', SECRETS, { token, body: { name: 'R', value: 'two' }, headers });
    expect(other.status).toBe(422);
    expect(other.body.errors).toEqual([
      expect.objectContaining({ loc: ['header', 'Idempotency-Key'], type: 'idempotency_key_reused' }),
    ]);

    const created = await stack.call('POST', '/api/environments', {
      token,
      body: { name: 'e' },
      headers: { 'idempotency-key': 'env' },
    });
    const again = await stack.call('POST', '/api/environments', {
      token,
      body: { name: 'f' },
      headers: { 'idempotency-key': 'env' },
    });
    expect(created.status).toBe(201);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', field: 'Idempotency-Key' });
  });

  it('refuses keys that are not 1–255 printable ASCII characters', async () => {
    const { token } = await freshUser();
    for (const key of ['', 'x'.repeat(256), 'tab\there']) {
      const result = await stack.call('POST', SECRETS, {
        token,
        body: { name: 'K', value: 'v' },
        headers: { 'idempotency-key': key },
      });
      expect(result.status, JSON.stringify(key)).toBe(422);
    }
    expect((await stack.call('GET', SECRETS, { token })).body.total).toBe(0);
  });
});

describe('a retry while the first request runs', () => {
  it('answers 409 REQUEST_IN_PROGRESS with Retry-After, then the first response once it is done', async () => {
    const { token } = await freshUser();
    const id = (await stack.call('POST', '/api/environments', { token, body: { name: 'busy' } })).body.id;
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached!: () => void;
    const writing = new Promise<void>((resolve) => {
      reached = resolve;
    });
    aroundDynamoDbCalls(async (command, send) => {
      if (command instanceof TransactWriteCommand) {
        reached();
        await held;
      }
      return send();
    });
    const request = () =>
      stack.call('POST', `/api/environments/${id}/secrets`, {
        token,
        body: { key: 'SLOW', value: 'slow-value' },
        headers: { 'idempotency-key': 'slow' },
      });
    const first = request();
    await writing;
    const during = await request();
    expect(during.status).toBe(409);
    expect(during.body).toMatchObject({ code: 'REQUEST_IN_PROGRESS' });
    expect(during.headers.get('retry-after')).toBe('1');
    release();
    const done = await first;
    vi.restoreAllMocks();
    const after = await request();
    expect(done.status).toBe(201);
    expect(after.status).toBe(201);
    expect(after.body).toEqual(done.body);
    expect(after.headers.get('idempotent-replayed')).toBe('true');
  });
});

describe('a write whose outcome was unknown (504 after DynamoDB committed it)', () => {
  /** The write (the transaction carrying the key's record) commits, but its answer is lost on the way back. */
  function loseTheFirstCommitAnswer() {
    let lost = false;
    const completesAKey = (command: TransactWriteCommand) =>
      JSON.stringify(command.input.TransactItems).includes('"IDEMPOTENCY#');
    aroundDynamoDbCalls(async (command, send) => {
      const result = await send();
      if (command instanceof TransactWriteCommand && completesAKey(command) && !lost) {
        lost = true;
        throw timeout();
      }
      return result;
    });
  }

  it('v1 create: the retry replays the created secret; exactly one exists', async () => {
    const { token } = await freshUser();
    loseTheFirstCommitAnswer();
    const send = () =>
      stack.call('POST', SECRETS, {
        token,
        body: { name: 'UNKNOWN', value: 'value-of-unknown' },
        headers: { 'idempotency-key': 'unknown-create' },
      });
    expect((await send()).status).toBe(504);
    const retry = await send();
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const listed = await stack.call('GET', SECRETS, { token });
    expect(listed.body.total).toBe(1);
    expect(listed.body.secrets[0].id).toBe(retry.body.id);
  });

  it('environments PATCH: the retry replays the new version and the secret was written once', async () => {
    const { token } = await freshUser();
    const id = (await stack.call('POST', '/api/environments', { token, body: { name: 'patch' } })).body.id;
    const path = `/api/environments/${id}/secrets/DB_URL`;
    await stack.call('POST', `/api/environments/${id}/secrets`, { token, body: { key: 'DB_URL', value: 'v1-value' } });
    loseTheFirstCommitAnswer();
    const send = () =>
      stack.call('PATCH', path, {
        token,
        body: { value: 'v2-value' },
        headers: { 'idempotency-key': 'unknown-patch' },
      });
    expect((await send()).status).toBe(504);
    const retry = await send();
    expect(retry.status).toBe(200);
    expect(retry.body.version).toBe(2);
    expect((await stack.call('GET', path, { token })).body.version).toBe(2);
  });

  it('v1 delete: the retry replays 204, and the total moved once', async () => {
    const { token } = await freshUser();
    const kept = await stack.call('POST', SECRETS, { token, body: { name: 'KEPT', value: 'v' } });
    const gone = await stack.call('POST', SECRETS, { token, body: { name: 'GONE', value: 'v' } });
    loseTheFirstCommitAnswer();
    const send = () =>
      stack.call('DELETE', `${SECRETS}/${gone.body.id}`, { token, headers: { 'idempotency-key': 'del' } });
    expect((await send()).status).toBe(504);
    expect((await send()).status).toBe(204);
    const listed = await stack.call('GET', SECRETS, { token });
    expect(listed.body.total).toBe(1);
    expect(listed.body.secrets.map((s: { id: string }) => s.id)).toEqual([kept.body.id]);
  });
});

describe('a write that failed before it was sent', () => {
  it('gives its key back: a retry right away runs and writes once', async () => {
    const { token } = await freshUser();
    let failed = false;
    aroundKmsCalls(async (_command, send) => {
      if (failed) return send();
      failed = true;
      throw Object.assign(new Error('KMS is down'), { name: 'KMSInternalException', $fault: 'server' });
    });
    const send = () =>
      stack.call('POST', SECRETS, {
        token,
        body: { name: 'AFTER_KMS', value: 'value-after-kms' },
        headers: { 'idempotency-key': 'kms-down' },
      });
    expect((await send()).status).toBe(502);
    const retry = await send();
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect((await send()).headers.get('idempotent-replayed')).toBe('true');
    expect((await stack.call('GET', SECRETS, { token })).body.total).toBe(1);
  });
});

describe('a throttled write', () => {
  it('is not replayed: the retry with the same key runs', async () => {
    const { token } = await freshUser();
    await stack.call('POST', SECRETS, { token, body: { name: 'WARM', value: 'v' } });
    let throttled = false;
    aroundDynamoDbCalls(async (command, send) => {
      if (command instanceof TransactWriteCommand && !throttled) {
        throttled = true;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' });
      }
      return send();
    });
    const send = () =>
      stack.call('POST', SECRETS, {
        token,
        body: { name: 'THROTTLED', value: 'some-value-123' },
        headers: { 'idempotency-key': 'retry-after-429' },
      });
    expect((await send()).status).toBe(429);
    const retry = await send();
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect((await stack.call('GET', SECRETS, { token })).body.total).toBe(2);
  });
});

describe('a request whose lock ran out', () => {
  it('is taken over by a retry, and the stale write then fails on its lost claim', async () => {
    const deps = storeDeps();
    const at = (ms: number) => ({ ...deps, clock: { now: () => new Date(ms) } });
    const start = Date.now();
    const request = { sub: 'lock-user', key: 'lock', fingerprint: 'same-request' };
    const first = await beginIdempotentRequest(at(start), request);
    expect(first).toHaveProperty('claimed');
    await expect(beginIdempotentRequest(at(start + LOCK_MS - 1), request)).rejects.toMatchObject({
      code: 'REQUEST_IN_PROGRESS',
    });
    await expect(
      beginIdempotentRequest(at(start + LOCK_MS + 1), { ...request, fingerprint: 'another-request' }),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    const second = await beginIdempotentRequest(at(start + LOCK_MS + 1), request);
    expect(second).toHaveProperty('claimed');
    expect((second as { claimed: { claim: string } }).claimed.claim).not.toBe(
      (first as { claimed: { claim: string } }).claimed.claim,
    );
  });
});
