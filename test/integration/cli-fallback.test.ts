import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CliSandbox, cliSandbox } from '../cli/support.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * The offline fallback of `secrets run`: each good run keeps its set encrypted on disk; when
 * the service cannot be reached (or fails with a 5xx) the next run uses it with a warning, and
 * never when the service said no (401/403/404).
 */
let stack: TestStack;
let cli: CliSandbox;
let stackStopped = false;
let alice: string;

// Each spawn of the CLI is a node start; on a loaded machine the longer tests need more than the default.
vi.setConfig({ testTimeout: 90_000 });

const VALUE = 'fallback-plaintext-value-7f3a9c';
const PRINT = ['node', '-e', 'process.stdout.write(String(process.env.FALLBACK_SECRET))'];

beforeAll(async () => {
  [stack, cli] = await Promise.all([startTestStack(), cliSandbox()]);
  alice = await stack.token('fallback-alice', 'secrets:inject');
  const created = await stack.call('POST', '/api/v1/user/secrets', {
    token: alice,
    body: { name: 'FALLBACK_SECRET', value: VALUE },
  });
  expect(created.status).toBe(201);
});
afterAll(async () => {
  if (!stackStopped) await stack?.stop();
  cli?.cleanup();
});

const run = (args: string[], env: Record<string, string> = {}) =>
  cli.run(['run', ...args], { env: { SECRETS_URL: stack.url, SECRETS_TOKEN: alice, ...env } });

const fallbackFiles = () => readdirSync(cli.fallbackDir).map((name) => join(cli.fallbackDir, name));

describe('offline fallback', () => {
  it('keeps the last good set in a 0600 file that holds no plaintext', async () => {
    const online = await run(['--', ...PRINT]);
    expect(online).toMatchObject({ code: 0, stdout: VALUE, stderr: '' });
    const files = fallbackFiles();
    expect(files).toHaveLength(1);
    expect(statSync(files[0]!).mode & 0o777).toBe(0o600);
    expect(statSync(cli.fallbackDir).mode & 0o777).toBe(0o700);
    const content = readFileSync(files[0]!);
    for (const needle of [VALUE, 'FALLBACK_SECRET', alice, stack.url]) {
      for (const encoding of ['utf8', 'base64', 'hex'] as const) {
        expect(content.includes(Buffer.from(needle).toString(encoding))).toBe(false);
      }
    }
    expect(JSON.parse(content.toString('utf8'))).toEqual({
      v: 1,
      kdf: 'hkdf-sha256',
      salt: expect.any(String),
      iv: expect.any(String),
      tag: expect.any(String),
      data: expect.any(String),
    });
    // --no-fallback neither reads nor writes it.
    const before = content.toString('utf8');
    expect((await run(['--no-fallback', '--', ...PRINT])).stdout).toBe(VALUE);
    expect(readFileSync(files[0]!, 'utf8')).toBe(before);
  });

  it('is never used when the service refuses: a revoked service token (401), a deleted environment (404)', async () => {
    const owner = await stack.token('fallback-owner', 'secrets:inject');
    const environment = (await stack.call('POST', '/api/environments', { token: owner, body: { name: 'fb' } })).body;
    await stack.call('POST', `/api/environments/${environment.id}/secrets`, {
      token: owner,
      body: { key: 'FALLBACK_SECRET', value: 'environment-value-123' },
    });
    const created = await stack.call('POST', `/api/environments/${environment.id}/tokens`, {
      token: owner,
      body: { name: 'ci' },
    });
    const serviceToken: string = created.body.token;

    expect((await run(['--', ...PRINT], { SECRETS_TOKEN: serviceToken })).stdout).toBe('environment-value-123');
    await stack.call('DELETE', `/api/environments/${environment.id}/tokens/${created.body.id}`, { token: owner });
    const revoked = await run(['--', ...PRINT], { SECRETS_TOKEN: serviceToken });
    expect(revoked.code).toBe(3);
    expect(revoked.stdout).toBe('');
    expect(revoked.stderr).toContain('401 UNAUTHORIZED');
    expect(revoked.stderr).not.toContain('fallback');

    expect((await run(['--env', environment.id, '--', ...PRINT], { SECRETS_TOKEN: owner })).stdout).toBe(
      'environment-value-123',
    );
    await stack.call('DELETE', `/api/environments/${environment.id}`, { token: owner });
    const deleted = await run(['--env', environment.id, '--', ...PRINT], { SECRETS_TOKEN: owner });
    expect(deleted.code).toBe(4);
    expect(deleted.stdout).toBe('');
    expect(deleted.stderr).not.toContain('fallback');
  });

  it('stands in when the service answers 5xx, and never when it answers 401, 403 or 404', async () => {
    // A gateway in front of the stack that passes requests on until it is told to answer otherwise.
    let answer: { status: number; body: object } | undefined;
    const proxy: Server = createServer(async (request, response) => {
      if (answer) {
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answer.body));
        return;
      }
      const upstream = await fetch(`${stack.url}${request.url}`, {
        headers: { authorization: request.headers.authorization ?? '' },
      });
      response.writeHead(upstream.status, { 'content-type': 'application/json' });
      response.end(await upstream.text());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const v1 = (status: number, type: string) => ({ status, body: { code: status, detail: `${type} here`, type } });
    try {
      expect((await run(['--', ...PRINT], { SECRETS_URL: url })).stdout).toBe(VALUE);

      for (const [status, type] of [
        [502, 'bad_gateway'],
        [503, 'internal_error'],
        [504, 'gateway_timeout'],
        [500, 'internal_error'],
      ] as const) {
        answer = v1(status, type);
        const result = await run(['--', ...PRINT], { SECRETS_URL: url });
        expect({ status, code: result.code, stdout: result.stdout }).toEqual({ status, code: 0, stdout: VALUE });
        expect(result.stderr).toMatch(
          new RegExp(`warning: ${url} answered ${status} ${type}; running with the values saved .* offline fallback`),
        );
      }

      for (const [status, type, code] of [
        [401, 'authentication_error', 3],
        [403, 'permission_error', 3],
        [404, 'not_found_error', 4],
      ] as const) {
        answer = v1(status, type);
        const result = await run(['--', ...PRINT], { SECRETS_URL: url });
        expect({ status, code: result.code, stdout: result.stdout }).toEqual({ status, code, stdout: '' });
        expect(result.stderr).toContain(`${status} ${type}`);
        expect(result.stderr).not.toContain('fallback');
      }
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('runs from the fallback with a warning once the service is down, within --fallback-max-age', async () => {
    await stack.stop();
    stackStopped = true;

    const offline = await run(['--', ...PRINT]);
    expect(offline.code).toBe(0);
    expect(offline.stdout).toBe(VALUE);
    expect(offline.stderr).toMatch(
      /^secrets: warning: cannot reach http:\/\/127\.0\.0\.1:\d+ \(connection refused\); running with the values saved \d+s ago \(.*\) from the offline fallback\n$/,
    );
    expect((await run(['--fallback-max-age', '1h', '--', ...PRINT])).stdout).toBe(VALUE);
    // The exit code of the child still passes through.
    expect((await run(['--', 'node', '-e', 'process.exit(9)'])).code).toBe(9);

    const tooOld = await run(['--fallback-max-age', '1ms', '--', ...PRINT]);
    expect(tooOld).toMatchObject({ code: 5, stdout: '' });
    expect(tooOld.stderr).toContain('older than --fallback-max-age allows');

    const disabled = await run(['--no-fallback', '--', ...PRINT]);
    expect(disabled).toMatchObject({ code: 5, stdout: '' });
    expect(disabled.stderr).toContain('connection refused');

    // Another token cannot open it.
    const other = await run(['--', ...PRINT], { SECRETS_TOKEN: `${alice.slice(0, -4)}AAAA` });
    expect(other).toMatchObject({ code: 5, stdout: '' });
    expect(other.stderr).toContain('saved with another token');

    // Nor is there one for a scope that never ran.
    const unknown = await run(['--env', '7a1b2c3d-0000-4000-8000-000000000000', '--', ...PRINT]);
    expect(unknown).toMatchObject({ code: 5, stdout: '' });
    expect(unknown.stderr).toContain('no values were saved for it yet');
  });
});
