import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';

/** Hostile and careless input, and contention: refused cleanly or absorbed, never a 5xx. */
const SECRETS = '/api/v1/user/secrets';
const JSON_HEADERS = { 'content-type': 'application/json' };

let stack: TestStack;
let alice: string;

beforeAll(async () => {
  stack = await startTestStack();
  alice = await stack.token('alice', 'secrets:inject');
});
afterAll(() => stack?.stop());

async function newEnvironment(): Promise<string> {
  const created = await stack.call('POST', '/api/environments', { token: alice, body: { name: 'hardening' } });
  expect(created.status).toBe(201);
  return created.body.id;
}

describe('values that are not valid Unicode', () => {
  it('refuses a lone surrogate with 422 (v1) and 400 (environments), storing nothing', async () => {
    const v1 = await stack.call('POST', SECRETS, {
      token: alice,
      rawBody: '{"name":"LONE","value":"abc\\ud800def"}',
      headers: JSON_HEADERS,
    });
    expect(v1.status).toBe(422);
    expect(v1.body.errors).toEqual([expect.objectContaining({ loc: ['body', 'value'] })]);
    expect(v1.body.errors[0].msg).toMatch(/valid Unicode/);

    const id = await newEnvironment();
    const environments = await stack.call('POST', `/api/environments/${id}/secrets`, {
      token: alice,
      rawBody: '{"key":"LONE","value":"\\udfff"}',
      headers: JSON_HEADERS,
    });
    expect(environments.status).toBe(400);
    expect(environments.body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'value' });
    expect((await stack.call('GET', `${SECRETS}/env`, { token: alice })).body.env).not.toHaveProperty('LONE');
  });

  it('refuses a body with bytes that are not UTF-8 instead of altering them', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"name":"BYTES","value":"a'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('b"}'),
    ]);
    const result = await stack.call('POST', SECRETS, { token: alice, rawBody: bytes, headers: JSON_HEADERS });
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ type: 'invalid_request_error', detail: 'Request body is not valid UTF-8' });
    expect((await stack.call('GET', `${SECRETS}/env`, { token: alice })).body.env).not.toHaveProperty('BYTES');
  });

  it('keeps valid non-ASCII values byte for byte, pairs of surrogates included', async () => {
    const value = 'pässwörd-🔑-密码-\u0000-end';
    const created = await stack.call('POST', SECRETS, { token: alice, body: { name: 'UNICODE_OK', value } });
    expect(created.status).toBe(201);
    expect((await stack.call('GET', `${SECRETS}/env`, { token: alice })).body.env.UNICODE_OK).toBe(value);
  });
});

describe('error lists', () => {
  it('are capped at 20 entries, so a body of thousands of unknown keys gets a small answer', async () => {
    const body: Record<string, string> = { name: 'X', value: 'y' };
    for (let i = 0; i < 5000; i++) body[`unknown_${i}`] = 'z';
    const result = await stack.call('POST', SECRETS, { token: alice, body });
    expect(result.status).toBe(422);
    expect(result.body.errors).toHaveLength(20);
    expect(result.body.errors[0]).toMatchObject({ loc: ['body', 'unknown_0'], type: 'extra_forbidden' });
    expect(result.text.length).toBeLessThan(4096);
  });
});

describe('many writers of one secret without If-Match', () => {
  it('v1 PUT: every writer is acknowledged, no version is lost and the last acknowledged value wins', async () => {
    const created = await stack.call('POST', SECRETS, {
      token: alice,
      body: { name: 'RACED', value: 'initial-value' },
    });
    const id = created.body.id;
    const acknowledged: { value: string; etag: number }[] = [];
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const value = `value-number-${i}`;
        const result = await stack.call('PUT', `${SECRETS}/${id}`, { token: alice, body: { value } });
        if (result.status === 200) acknowledged.push({ value, etag: Number(result.headers.get('etag')!.slice(1, -1)) });
        return result.status;
      }),
    );
    expect(results).toEqual(Array(20).fill(200));
    // Each write got its own version, 2…21, and the stored value is the one acknowledged last.
    expect(acknowledged.map((write) => write.etag).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 2),
    );
    const newest = acknowledged.find((write) => write.etag === 21)!;
    expect((await stack.call('GET', `${SECRETS}/env`, { token: alice })).body.env.RACED).toBe(newest.value);
  });

  it('environments PATCH: every writer is acknowledged with its own version', async () => {
    const id = await newEnvironment();
    const path = `/api/environments/${id}/secrets/RACED`;
    expect(
      (
        await stack.call('POST', `/api/environments/${id}/secrets`, {
          token: alice,
          body: { key: 'RACED', value: 'v0' },
        })
      ).status,
    ).toBe(201);
    const versions = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const result = await stack.call('PATCH', path, { token: alice, body: { value: `value-number-${i}` } });
        expect(result.status).toBe(200);
        return result.body.version as number;
      }),
    );
    expect(versions.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect((await stack.call('GET', path, { token: alice })).body.version).toBe(21);
  });
});
