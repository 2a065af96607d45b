import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * Per-tenant quotas, lowered for the test: 3 live secrets and 100 bytes of current values per
 * user or environment. A write past either is refused whole, also under concurrency.
 */
const SECRETS = '/api/v1/user/secrets';

let stack: TestStack;
let users = 0;

beforeAll(async () => {
  vi.stubEnv('MAX_SECRETS_PER_TENANT', '3');
  vi.stubEnv('MAX_VALUE_BYTES_PER_TENANT', '100');
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
  vi.unstubAllEnvs();
});

async function freshUser(): Promise<string> {
  return stack.token(`quota-${++users}`, 'secrets:inject');
}

const create = (token: string, name: string, value: string) =>
  stack.call('POST', SECRETS, { token, body: { name, value } });

describe('v1 quotas', () => {
  it('refuses a secret past the count with 409 conflict_error and writes nothing', async () => {
    const token = await freshUser();
    for (const name of ['A', 'B', 'C']) expect((await create(token, name, 'v')).status).toBe(201);
    const refused = await create(token, 'D', 'v');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ type: 'conflict_error', detail: 'This would pass the quota of 3 secrets' });
    const listed = await stack.call('GET', SECRETS, { token });
    expect(listed.body.total).toBe(3);
    expect((await stack.call('GET', `${SECRETS}/env`, { token })).body.env).not.toHaveProperty('D');
  });

  it('counts the bytes of current values across creates, updates and deletes', async () => {
    const token = await freshUser();
    const first = await create(token, 'FIRST', 'x'.repeat(60));
    expect(first.status).toBe(201);
    expect((await create(token, 'SECOND', 'y'.repeat(50))).status).toBe(409);
    // Replacing a value counts the difference: 60 → 90 fits, 90 → 101 does not.
    const put = (value: string) => stack.call('PUT', `${SECRETS}/${first.body.id}`, { token, body: { value } });
    expect((await put('z'.repeat(90))).status).toBe(200);
    expect((await put('z'.repeat(101))).status).toBe(409);
    expect((await stack.call('GET', `${SECRETS}/env`, { token })).body.env.FIRST).toBe('z'.repeat(90));
    // Values count as inject carries them: 4 × '€' is 12 UTF-8 bytes, 90 + 12 > 100; a
    // control character is escaped to 7 bytes in the Lambda payload, so 2 of them are 14.
    expect((await create(token, 'CONTROL', '\u0001\u0001')).status).toBe(409);
    expect((await create(token, 'EURO', '€€€€')).status).toBe(409);
    expect((await create(token, 'SMALL', '€€€')).status).toBe(201);
    // A delete gives its bytes and its slot back.
    expect((await stack.call('DELETE', `${SECRETS}/${first.body.id}`, { token })).status).toBe(204);
    expect((await create(token, 'AFTER', 'w'.repeat(80))).status).toBe(201);
  });

  it('lets exactly as many concurrent creates through as there are free slots', async () => {
    const token = await freshUser();
    expect((await create(token, 'ONE', 'v')).status).toBe(201);
    expect((await create(token, 'TWO', 'v')).status).toBe(201);
    const statuses = await Promise.all(Array.from({ length: 6 }, (_, i) => create(token, `RACE_${i}`, 'v')));
    expect(statuses.map((result) => result.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    expect((await stack.call('GET', SECRETS, { token })).body.total).toBe(3);
  });
});

describe('environment quotas', () => {
  it('answers 409 QUOTA_EXCEEDED with a hint for a create or a PATCH past the quota', async () => {
    const token = await freshUser();
    const id = (await stack.call('POST', '/api/environments', { token, body: { name: 'quota' } })).body.id;
    const secrets = `/api/environments/${id}/secrets`;
    expect((await stack.call('POST', secrets, { token, body: { key: 'BIG', value: 'b'.repeat(70) } })).status).toBe(
      201,
    );
    const refused = await stack.call('POST', secrets, { token, body: { key: 'MORE', value: 'm'.repeat(31) } });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'QUOTA_EXCEEDED', hint: expect.stringContaining('delete secrets') });
    const patched = await stack.call('PATCH', `${secrets}/BIG`, { token, body: { value: 'b'.repeat(101) } });
    expect(patched.body).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    // A description-only change stores no value and is never refused by the byte quota.
    const described = await stack.call('PATCH', `${secrets}/BIG`, { token, body: { description: 'still fits' } });
    expect(described.status).toBe(200);
    expect(described.body.version).toBe(2);
  });
});
