import { KMSClient } from '@aws-sdk/client-kms';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { failDynamoDbCalls } from '../support/faults.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * Upstream faults a real DynamoDB or KMS will not produce on demand are injected by failing
 * one SDK call; everything else in the path is the real stack.
 */
const SECRETS = '/api/v1/user/secrets';
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());
afterEach(() => {
  vi.restoreAllMocks();
});

const upstream = (name: string, message = 'arn:aws:kms:us-east-1:123:key/abc internal detail') =>
  Object.assign(new Error(message), { name, $fault: 'server', $metadata: { httpStatusCode: 500 } });

function failTransactions(error: Error) {
  failDynamoDbCalls((command) => (command instanceof TransactWriteCommand ? error : undefined));
}

async function injected(sub: string) {
  return (await stack.call('GET', `${SECRETS}/env`, { token: await stack.token(sub, 'secrets:inject') })).body.env;
}

describe('upstream failures', () => {
  it('answers 502 bad_gateway when KMS fails on create, with no internals and nothing stored', async () => {
    const token = await stack.token('kms-down');
    vi.spyOn(KMSClient.prototype, 'send').mockRejectedValue(upstream('KMSInternalException'));
    const result = await stack.call('POST', SECRETS, { token, body: { name: 'NEVER', value: 'never-stored' } });
    vi.restoreAllMocks();
    expect(result.status).toBe(502);
    expect(result.body).toEqual({ code: 502, detail: expect.any(String), type: 'bad_gateway' });
    expect(result.text).not.toMatch(/arn:aws|internal detail|never-stored/);
    const list = await stack.call('GET', SECRETS, { token });
    expect(list.body).toMatchObject({ secrets: [], total: 0 });
  });

  it('answers 502 when the update transaction fails and keeps the previous value, version and total', async () => {
    const sub = 'ddb-down';
    const token = await stack.token(sub);
    const created = await stack.call('POST', SECRETS, { token, body: { name: 'STABLE', value: 'original-value' } });
    failTransactions(upstream('InternalServerError'));
    const update = await stack.call('PUT', `${SECRETS}/${created.body.id}`, { token, body: { value: 'lost-update' } });
    const remove = await stack.call('DELETE', `${SECRETS}/${created.body.id}`, { token });
    const second = await stack.call('POST', SECRETS, { token, body: { name: 'SECOND', value: 'x' } });
    vi.restoreAllMocks();
    expect([update.status, remove.status, second.status]).toEqual([502, 502, 502]);
    const after = await stack.call('GET', `${SECRETS}/${created.body.id}`, { token });
    expect(after.body).toEqual(created.body);
    expect(after.headers.get('etag')).toBe('"1"');
    expect(await injected(sub)).toEqual({ STABLE: 'original-value' });
    expect((await stack.call('GET', SECRETS, { token })).body.total).toBe(1);
  });

  it('answers 504 gateway_timeout when an upstream call times out', async () => {
    const token = await stack.token('slow-upstream');
    vi.spyOn(KMSClient.prototype, 'send').mockRejectedValue(
      Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }),
    );
    const result = await stack.call('POST', SECRETS, { token, body: { name: 'SLOW', value: 'v' } });
    expect(result.status).toBe(504);
    expect(result.body).toMatchObject({ code: 504, type: 'gateway_timeout' });
  });

  it('answers 429 rate_limit_error with Retry-After when DynamoDB throttles', async () => {
    const token = await stack.token('throttled');
    failTransactions(upstream('ThrottlingException'));
    const result = await stack.call('POST', SECRETS, { token, body: { name: 'BUSY', value: 'v' } });
    expect(result.status).toBe(429);
    expect(result.body).toMatchObject({ code: 429, type: 'rate_limit_error' });
    expect(result.headers.get('retry-after')).toBe('1');
  });

  it('answers 500 internal_error with no internals for an unexpected failure', async () => {
    const token = await stack.token('bug');
    vi.spyOn(KMSClient.prototype, 'send').mockRejectedValue(
      new TypeError('Cannot read properties of undefined (reading "x")'),
    );
    const result = await stack.call('POST', SECRETS, { token, body: { name: 'BUG', value: 'v' } });
    expect(result.status).toBe(500);
    expect(result.body).toEqual({ code: 500, detail: 'Internal server error', type: 'internal_error' });
  });
});

describe('logs', () => {
  it('never carry a secret value, on success or on any error path', async () => {
    const value = `canary-${Date.now()}-value-that-must-not-leak`;
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.env.LOG_LEVEL = 'debug';
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(String(chunk));
      return (write as any)(chunk, ...rest);
    }) as typeof process.stdout.write);
    try {
      const token = await stack.token('logged');
      const created = await stack.call('POST', SECRETS, { token, body: { name: 'LOGGED', value } });
      await stack.call('POST', SECRETS, { token, body: { name: 'LOGGED', value } });
      await stack.call('POST', SECRETS, {
        token,
        rawBody: `{"name":"BROKEN","value":"${value}"`,
        headers: { 'content-type': 'application/json' },
      });
      await stack.call('POST', SECRETS, { token, body: { name: 'PATH', value, extra: value } });
      await stack.call('PUT', `${SECRETS}/${created.body.id}`, {
        token,
        body: { value: `${value}-2` },
        headers: { 'if-match': '"9"' },
      });
      await stack.call('GET', `${SECRETS}/env`, { token: await stack.token('logged', 'secrets:inject') });
      failTransactions(upstream('InternalServerError', `failure mentioning ${value}`));
      await stack.call('PUT', `${SECRETS}/${created.body.id}`, { token, body: { value: `${value}-3` } });
    } finally {
      process.env.LOG_LEVEL = 'silent';
    }
    const logged = lines.join('');
    expect(logged).toContain('"msg":"request"');
    expect(logged).toContain('"status":502');
    expect(logged).not.toContain(value);
  });
});
