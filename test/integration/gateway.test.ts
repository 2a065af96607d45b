import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { importPKCS8, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../infra/local/dev-issuer.js';
import { aroundDynamoDbCalls } from '../support/faults.js';
import { type CallResult, startTestStack, type TestStack } from '../support/stack.js';

/**
 * What the gateway answers before any handler runs: unknown paths and methods, malformed
 * paths, refused tokens, and the limits Lambda applies in AWS.
 */
const SECRETS = '/api/v1/user/secrets';
const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;

let stack: TestStack;
let alice: string;

beforeAll(async () => {
  stack = await startTestStack();
  alice = await stack.token('alice');
});
afterAll(() => stack?.stop());

/** A token signed with the stack's own key, with whatever claims a test needs. */
async function signed(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const key = await importPKCS8(readFileSync(join(stack.dataDir, 'jwt', 'signing-key.pem'), 'utf8'), 'RS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'local-dev-1', ...header }).sign(key);
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

function expectRefusal(result: CallResult, status: number, v1Type: string) {
  expect(result.status).toBe(status);
  expect(result.body).toMatchObject({ code: status, type: v1Type });
  expect(result.headers.get('x-request-id')).toMatch(REQUEST_ID);
}

describe('paths and methods no route has', () => {
  it('answers an unknown path with 404 in the family of its prefix', async () => {
    expectRefusal(await stack.call('GET', '/api/v1/nothing-here', { token: alice }), 404, 'not_found_error');
    const environments = await stack.call('GET', '/api/environments/x/y/z/w', { token: alice });
    expect(environments.status).toBe(404);
    expect(environments.body).toMatchObject({ code: 'NOT_FOUND', requestId: environments.headers.get('x-request-id') });
  });

  it('answers a known path with another method with 405 and Allow', async () => {
    const result = await stack.call('PATCH', `${SECRETS}/00000000-0000-4000-8000-000000000000`, { token: alice });
    expectRefusal(result, 405, 'method_not_allowed');
    expect(result.headers.get('allow')).toBe('GET, PUT, DELETE');
    const environments = await stack.call('DELETE', '/api/environments', { token: alice });
    expect(environments.status).toBe(405);
    expect(environments.body).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    expect(environments.headers.get('allow')).toBe('POST, GET');
  });

  it('answers malformed percent-encoding with 400, with or without a token', async () => {
    expectRefusal(await stack.call('GET', `${SECRETS}/%ZZ`, { token: alice }), 400, 'invalid_request_error');
    expectRefusal(await stack.call('GET', `${SECRETS}/%E0%A4%A`), 400, 'invalid_request_error');
  });
});

describe('tokens', () => {
  const refusedBecause = async (token: string | undefined, reason: string) => {
    const result = await stack.call('GET', SECRETS, { token });
    expectRefusal(result, 401, 'authentication_error');
    expect(result.body.detail).toBe(`Authentication failed: ${reason}`);
    expect(result.headers.get('www-authenticate')).toBe(`Bearer error="invalid_token", error_description="${reason}"`);
  };

  it('says in WWW-Authenticate why a token is refused', async () => {
    const base = { iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, sub: 'alice', exp: inAnHour() };
    await refusedBecause(undefined, 'no bearer token was sent');
    await refusedBecause('not.a.jwt', 'the token is malformed');
    await refusedBecause(await stack.token('alice', undefined, -60), 'the token has expired');
    await refusedBecause(await signed({ ...base, nbf: inAnHour() }), 'the token is not yet valid');
    await refusedBecause(await signed({ ...base, aud: 'another-api' }), 'the token is for another audience');
    await refusedBecause(await signed({ ...base, iss: 'https://elsewhere/' }), 'the token is from another issuer');
    const [header, payload, signature] = alice.split('.');
    const forged = Buffer.from(JSON.stringify({ ...base, sub: 'mallory' })).toString('base64url');
    await refusedBecause(`${header}.${forged}.${signature}`, 'the token signature does not verify');
    await refusedBecause(`${header}.${payload}.${signature}x`, 'the token signature does not verify');
  });

  it('refuses a validly signed token whose sub is not a string', async () => {
    const base = { iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, exp: inAnHour() };
    await refusedBecause(await signed({ ...base, sub: 1234 }), 'the sub claim is not a string');
    await refusedBecause(await signed({ ...base, sub: { id: 'alice' } }), 'the sub claim is not a string');
  });

  it('refuses two Authorization headers, even when the first is valid', async () => {
    const answer = await new Promise<{ status: number; body: string; authenticate?: string }>((resolve, reject) => {
      const req = request(`${stack.url}${SECRETS}`, { method: 'GET' }, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode!, body, authenticate: res.headers['www-authenticate'] as string }),
        );
      });
      req.setHeader('authorization', [`Bearer ${alice}`, 'Bearer garbage']);
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({
      type: 'authentication_error',
      detail: 'Authentication failed: more than one Authorization header was sent',
    });
  });

  it('checks the token before reading the body: an anonymous upload is refused unread', async () => {
    // A body announced as 5 MB of which nothing is sent: a gateway that read it would wait.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${stack.url}${SECRETS}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(5 * 1024 * 1024) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
      req.flushHeaders();
    });
    expect(status).toBe(401);
  });
});

describe('Lambda limits', () => {
  let limited: TestStack;
  beforeAll(async () => {
    limited = await startTestStack({ lambdaLimits: { payloadBytes: 100 * 1024, timeoutMs: 15_000 } });
  });
  afterAll(() => limited?.stop());

  it('refuses a request over the payload limit with 413, as Lambda would', async () => {
    const token = await limited.token('bob');
    const result = await limited.call('POST', SECRETS, {
      token,
      rawBody: JSON.stringify({ name: 'BIG', value: 'x'.repeat(101 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(result.status).toBe(413);
    expect(result.body).toMatchObject({ code: 413, type: 'payload_too_large' });
  });

  it('answers a response over the payload limit with the 500 API Gateway gives', async () => {
    const token = await limited.token('carol', 'secrets:inject');
    for (const name of ['A', 'B']) {
      const created = await limited.call('POST', SECRETS, { token, body: { name, value: 'v'.repeat(60 * 1024) } });
      expect(created.status).toBe(201);
    }
    const injected = await limited.call('GET', `${SECRETS}/env`, { token });
    expect(injected.status).toBe(500);
    expect(injected.body).toEqual({ message: 'Internal Server Error' });
  });

  it('answers a function that runs past its timeout with 503', async () => {
    const slow = await startTestStack({ lambdaLimits: { payloadBytes: 6 * 1024 * 1024, timeoutMs: 100 } });
    const token = await slow.token('dave');
    // DynamoDB answers, but only after the function's time is up.
    aroundDynamoDbCalls(async (_command, send) => {
      await sleep(300);
      return send();
    });
    try {
      const result = await slow.call('GET', SECRETS, { token });
      expect(result.status).toBe(503);
      expect(result.body).toEqual({ message: 'Service Unavailable' });
    } finally {
      vi.restoreAllMocks();
      await slow.stop();
    }
  });
});
