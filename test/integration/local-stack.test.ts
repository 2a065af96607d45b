import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/paths.js';
import { freePort } from '../support/ports.js';

/**
 * `npm start` as a user meets it: token and rotate find the running stack without DATA_DIR, a
 * busy port is one line naming the setting, Java never outlives its stack (nor survives into
 * the next one), signals stop everything, and bad arguments get the usage line. Each process
 * this file starts leads its own process group, and afterEach kills whatever of them is left.
 */
const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
// util-linux's setpriv is how Java learns that Node died; without it only the next start helps.
const hasSetpriv = spawnSync('setpriv', ['--pdeathsig', 'SIGTERM', '--', 'true']).status === 0;
const root = mkdtempSync(join(tmpdir(), 'secrets-local-stack-'));
const children: ChildProcess[] = [];
const pids = new Set<number>();

interface Sandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
}

/** A data directory, a record file and free ports for one stack, all under this file's root. */
async function newSandbox(): Promise<Sandbox> {
  const dir = mkdtempSync(join(root, 'run-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: join(dir, 'data'),
    RUNNING_STACK_FILE: join(dir, 'running-stack.json'),
    PORT: String(await freePort()),
    DYNAMODB_PORT: String(await freePort()),
    LOG_LEVEL: 'silent',
  };
  return { dir, env };
}

/** Starts the stack as its own process group (a terminal job), resolving once it listens. */
function launch(command: 'npm' | 'tsx', env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child =
    command === 'npm'
      ? spawn('npm', ['start'], { cwd: PROJECT_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(TSX, ['infra/local/start.ts'], {
          cwd: PROJECT_ROOT,
          env,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the stack did not come up:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the stack exited with ${code}:\n${output}`)));
  });
}

function runTool(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const options = { cwd: PROJECT_ROOT, env, timeout: 30_000, detached: true };
    const child = execFile(TSX, [script, ...args], options, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
    children.push(child);
  });
}

function withoutDataDir(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DATA_DIR: _, ...rest } = env;
  return rest;
}

/** The pid of the process running start.ts, as the stack recorded it. */
function stackPid(sandbox: Sandbox): number {
  const pid = (JSON.parse(readFileSync(sandbox.env.RUNNING_STACK_FILE!, 'utf8')) as { process: { pid: number } })
    .process.pid;
  pids.add(pid);
  return pid;
}

/** Live DynamoDB Local processes whose data lies under `dir`. */
function javaPids(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return args.includes('DynamoDBLocal.jar') && args.includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) if (condition()) return true;
  return condition();
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe.skipIf(process.platform !== 'linux')('the local stack', () => {
  afterEach(async () => {
    // Our Java processes are the ones whose -dbPath lies under this file's temporary directory.
    for (const pid of [...pids, ...javaPids(root)]) kill(pid, 'SIGKILL');
    for (const child of children.splice(0)) if (child.pid) kill(-child.pid, 'SIGKILL');
    pids.clear();
    await waitFor(() => javaPids(root).length === 0, 10_000);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('token and rotate find the running stack without DATA_DIR, and say so once SIGTERM to npm stopped it', async () => {
    const box = await newSandbox();
    const { child, url } = await launch('npm', box.env);
    const startPid = stackPid(box);
    const [java] = javaPids(box.dir);
    expect(java).toBeDefined();
    const tools = withoutDataDir(box.env);

    const token = await runTool('infra/local/token.ts', ['--sub', 'alice'], tools);
    expect(token.code).toBe(0);
    const created = await fetch(`${url}/api/v1/user/secrets`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token.stdout.trim()}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'OPENAI_API_KEY', value: 'sk-proj-0123456789abcdefghijkl789' }),
    });
    expect(created.status).toBe(201);
    const rotate = await runTool('infra/local/rotate.ts', ['--tenant', 'alice'], tools);
    expect(rotate.stdout).toContain('rotated 1 of 1 tenant(s)');

    kill(child.pid!, 'SIGTERM');
    expect(await waitFor(() => !isRunning(startPid) && !isRunning(java!), 20_000)).toBe(true);
    expect(existsSync(box.env.RUNNING_STACK_FILE!)).toBe(false);
    expect(existsSync(join(box.env.DATA_DIR!, 'local-endpoints.json'))).toBe(false);
    const after = await runTool('infra/local/token.ts', ['--sub', 'alice'], tools);
    expect(after).toMatchObject({ code: 1, stdout: '' });
    expect(after.stderr).toContain('The local stack is not running');
  }, 90_000);

  it.each(['PORT', 'DYNAMODB_PORT', 'KMS_PORT'])(
    'stops with one line naming %s when its port is taken, even by something answering like DynamoDB',
    async (setting) => {
      const box = await newSandbox();
      const holder = await answeringAsDynamoDb();
      try {
        const port = (holder.address() as { port: number }).port;
        const started = await runTool('infra/local/start.ts', [], { ...box.env, [setting]: String(port) });
        expect(started.code).toBe(1);
        expect(started.stdout).toBe('');
        expect(started.stderr).toMatch(
          new RegExp(
            `^Port ${port} is in use \\(${setting}\\); stop what uses it or start with ${setting}=\\d+ npm start\\n$`,
          ),
        );
        expect(javaPids(box.dir)).toEqual([]);
      } finally {
        await new Promise((resolve) => holder.close(resolve));
      }
    },
    30_000,
  );

  it('stops a DynamoDB Local orphaned by a killed stack at the next start, and SIGINT exits 0 with no Java left', async () => {
    const box = await newSandbox();
    // Without setpriv (as on macOS) Java is not told when Node dies: kill -9 leaves it running.
    const bin = join(box.dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const javaHome = (process.env.PATH ?? '').split(delimiter).find((dir) => existsSync(join(dir, 'java')));
    symlinkSync(join(javaHome!, 'java'), join(bin, 'java'));
    await launch('tsx', { ...box.env, PATH: bin });
    const [orphan] = javaPids(box.dir);
    kill(stackPid(box), 'SIGKILL');
    await sleep(1000);
    expect(isRunning(orphan!)).toBe(true);

    const { child } = await launch('tsx', box.env);
    expect(isRunning(orphan!)).toBe(false);
    const [java] = javaPids(box.dir);
    expect(java).not.toBe(orphan);
    kill(child.pid!, 'SIGINT');
    expect(await exitOf(child)).toBe(0);
    expect(await waitFor(() => javaPids(box.dir).length === 0, 10_000)).toBe(true);
  }, 120_000);

  it.skipIf(!hasSetpriv)(
    'takes DynamoDB Local down with it when its Node process is killed outright',
    async () => {
      const box = await newSandbox();
      await launch('tsx', box.env);
      const [java] = javaPids(box.dir);
      kill(stackPid(box), 'SIGKILL');
      expect(await waitFor(() => !isRunning(java!), 15_000)).toBe(true);
    },
    90_000,
  );

  it.each([
    ['token', ['--user', 'alice']],
    ['token', ['--sub']],
    ['rotate', ['--tenant', 'alice', '--force']],
  ])('answers bad arguments to %s (%j) with the usage line and exit 2', async (tool, args) => {
    const result = await runTool(`infra/local/${tool}.ts`, args, process.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^usage: npm run (--silent )?${tool} -- .*\\n$`));
  });
});

/** Holds a loopback port and answers every request as DynamoDB's ListTables would. */
async function answeringAsDynamoDb(): Promise<Server> {
  const server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end('{"TableNames":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
