import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/paths.js';
import { freePort } from '../support/ports.js';

/**
 * `npm start` as a user runs it: its own DynamoDB Local with data on disk, the local KMS and
 * the gateway, in a child process. Proves the seed examples work, data survives a restart,
 * and no value is ever written to disk in the clear.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'secrets-local-'));
const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const VALUE = `sk-proj-${'Zq9'.repeat(12)}-plaintext-canary`;
let running: ChildProcess | undefined;

afterAll(async () => {
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(port: number, dynamoDbPort: number): Promise<string> {
  const child = spawn(TSX, ['infra/local/start.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      // The stack's record stays with the test's data, not in the checkout's .data/.
      RUNNING_STACK_FILE: join(dataDir, 'running-stack.json'),
      PORT: String(port),
      DYNAMODB_PORT: String(dynamoDbPort),
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running = child;
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output}`)), 45_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
}

async function stop(): Promise<void> {
  const child = running;
  running = undefined;
  if (!child || child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function token(...args: string[]): string {
  return execFileSync(TSX, ['infra/local/token.ts', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATA_DIR: dataDir },
    encoding: 'utf8',
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe('the embedded local default', () => {
  it('stops with a clear message naming the package to install when Java is missing', () => {
    let failure: { status: number; stderr: string } | undefined;
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'infra/local/start.ts'], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, PATH: '/nonexistent', DATA_DIR: dataDir },
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (error) {
      failure = error as { status: number; stderr: string };
    }
    expect(failure?.status).toBe(1);
    expect(failure?.stderr).toContain('Java');
    expect(failure?.stderr).toContain('openjdk-17-jre-headless');
  });

  it('serves the seed examples, keeps data across a restart and never stores a value in the clear', async () => {
    const [port, dynamoDbPort] = [await freePort(), await freePort()];
    const base = await start(port, dynamoDbPort);
    const plain = token('--sub', 'alice').trim();
    const inject = token('--sub', 'alice', '--scope', 'secrets:inject').trim();
    expect(plain).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const auth = { Authorization: `Bearer ${plain}`, 'Content-Type': 'application/json' };

    // Seed 000, verbatim apart from the URL and a distinctive value.
    const created = await fetch(`${base}/api/v1/user/secrets`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'OPENAI_API_KEY', provider: 'openai', value: VALUE }),
    });
    expect(created.status).toBe(201);
    const metadata = (await created.json()) as { id: string };
    // Seed 001 and 003.
    const preset = await fetch(`${base}/api/v1/user/secrets/preset`, {
      method: 'POST',
      headers: auth,
      body: '{"provider":"anthropic","value":"example"}',
    });
    expect(preset.status).toBe(201);
    const updated = await fetch(`${base}/api/v1/user/secrets/${metadata.id.toUpperCase()}`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ value: `${VALUE}-v2` }),
    });
    expect(updated.status).toBe(200);
    await stop();

    const restarted = await start(port, dynamoDbPort);
    // Seed 002.
    const list = await fetch(`${restarted}/api/v1/user/secrets`, { headers: { Authorization: `Bearer ${plain}` } });
    const listed = (await list.json()) as { secrets: { name: string }[]; total: number };
    expect(listed.total).toBe(2);
    expect(listed.secrets.map((s) => s.name)).toEqual(['ANTHROPIC_API_KEY', 'OPENAI_API_KEY']);
    const env = await fetch(`${restarted}/api/v1/user/secrets/env`, { headers: { Authorization: `Bearer ${inject}` } });
    expect(await env.json()).toEqual({ env: { OPENAI_API_KEY: `${VALUE}-v2`, ANTHROPIC_API_KEY: 'example' } });
    await stop();

    const files = filesUnder(dataDir);
    expect(files.some((file) => file.includes('dynamodb'))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file);
      expect(bytes.includes(Buffer.from(VALUE)), file).toBe(false);
      expect(bytes.includes(Buffer.from(VALUE, 'utf16le')), file).toBe(false);
    }
    for (const secretFile of files.filter((file) => /master-keys\.json|signing-key\.pem/.test(file))) {
      expect(statSync(secretFile).mode & 0o777, secretFile).toBe(0o600);
    }
  }, 120_000);
});
