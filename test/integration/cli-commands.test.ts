import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseDotenv } from '../../cli/dotenv.js';
import { type CliSandbox, cliSandbox, collect, waitForOutput } from '../cli/support.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * The bundled `secrets` CLI against the local stack, spawned with node as a user runs it: log
 * in, write and read secrets, import and export .env files, run programs with the values, work
 * with environments and members, and exit with the code that says what went wrong.
 */
let stack: TestStack;
let cli: CliSandbox;

// Each spawn of the CLI is a node start; on a loaded machine the longer tests need more than the default.
vi.setConfig({ testTimeout: 90_000 });

beforeAll(async () => {
  [stack, cli] = await Promise.all([startTestStack(), cliSandbox()]);
});
afterAll(async () => {
  await stack?.stop();
  cli?.cleanup();
});

/** Runs the CLI as a user with `token` (through SECRETS_TOKEN) against the stack. */
const as = (token: string, args: string[], input?: string) =>
  cli.run(args, { input, env: { SECRETS_URL: stack.url, SECRETS_TOKEN: token } });

const json = (text: string) => JSON.parse(text);

describe('login', () => {
  it('keeps endpoint and token in a 0600 file in a 0700 directory, and uses them', async () => {
    const token = await stack.token('cli-login', 'secrets:inject');
    const result = await cli.run(['login', '--url', stack.url], { input: `${token}\n` });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('as cli-login');
    const file = join(cli.configDir, 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(cli.configDir).mode & 0o777).toBe(0o700);
    expect(json(readFileSync(file, 'utf8'))).toEqual({ url: stack.url, token });

    // Later commands read it, with no SECRETS_* in their environment.
    expect((await cli.run(['set', 'FROM_CONFIG'], { input: 'config-value-123' })).code).toBe(0);
    const listed = await cli.run(['ls', '--json']);
    expect(json(listed.stdout).map((secret: { name: string }) => secret.name)).toEqual(['FROM_CONFIG']);
    const status = await cli.run(['status', '--json']);
    expect(json(status.stdout)).toMatchObject({ url: stack.url, tokenFrom: 'config', subject: 'cli-login' });
    expect(status.stdout).not.toContain(token);

    // SECRETS_TOKEN overrides the file.
    const other = await stack.token('cli-login-other');
    expect(json((await cli.run(['ls', '--json'], { env: { SECRETS_TOKEN: other } })).stdout)).toEqual([]);

    expect((await cli.run(['logout'])).code).toBe(0);
    const after = await cli.run(['ls']);
    expect(after.code).toBe(3);
    expect(after.stderr).toContain('not logged in');
  });

  it('refuses a token the service refuses, and saves nothing', async () => {
    const result = await cli.run(['login', '--url', stack.url], { input: 'not-a-token' });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/401 UNAUTHORIZED/);
    expect(() => statSync(join(cli.configDir, 'config.json'))).toThrow();
  });
});

describe('user secrets', () => {
  it('sets a value from stdin (never argv), lists masked metadata, and updates in place', async () => {
    const token = await stack.token('cli-set', 'secrets:inject');
    const created = await as(token, ['set', 'OPENAI_API_KEY'], 'sk-proj-0123456789abcdefghijkl789\n');
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toBe('Created OPENAI_API_KEY (sk-pro••••789)\n');
    const updated = await as(token, ['set', 'OPENAI_API_KEY', '--json'], 'sk-proj-second-value-abcdefghijkl\n');
    expect(json(updated.stdout)).toMatchObject({ name: 'OPENAI_API_KEY', masked_value: 'sk-pro••••jkl' });

    const table = await as(token, ['ls']);
    expect(table.stdout).toMatch(/^NAME +PROVIDER +VALUE +UPDATED\nOPENAI_API_KEY +custom +sk-pro••••jkl +\d{4}-/);
    expect(table.stdout).not.toContain('second-value');
    const listed = json((await as(token, ['ls', '--json'])).stdout);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toEqual({
      id: expect.any(String),
      name: 'OPENAI_API_KEY',
      provider: 'custom',
      masked_value: 'sk-pro••••jkl',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    // The trailing newline of `echo` is not part of the value.
    const injected = await stack.call('GET', '/api/v1/user/secrets/env', { token });
    expect(injected.body.env).toEqual({ OPENAI_API_KEY: 'sk-proj-second-value-abcdefghijkl' });
  });

  it('stores a preset under its name, and lists versions and rolls back by name', async () => {
    const token = await stack.token('cli-versions', 'secrets:inject');
    expect((await as(token, ['preset', 'github'], 'ghp_first_value_0123456789')).stdout).toContain(
      'Created GITHUB_TOKEN',
    );
    expect((await as(token, ['preset', 'github'], 'ghp_second_value_0123456789')).stdout).toContain(
      'Updated GITHUB_TOKEN',
    );
    const versions = json((await as(token, ['versions', 'GITHUB_TOKEN', '--json'])).stdout);
    expect(
      versions.map((version: { version: number; current: boolean }) => [version.version, version.current]),
    ).toEqual([
      [2, true],
      [1, false],
    ]);
    const rolled = await as(token, ['rollback', 'GITHUB_TOKEN', '1']);
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toContain('back to the value of version 1 (now version 3)');
    const injected = await stack.call('GET', '/api/v1/user/secrets/env', { token });
    expect(injected.body.env.GITHUB_TOKEN).toBe('ghp_first_value_0123456789');
    expect((await as(token, ['versions', 'GITHUB_TOKEN'])).stdout).toMatch(/^VERSION +VALUE +CREATED\n3 /);

    expect((await as(token, ['rm', 'GITHUB_TOKEN'])).code).toBe(0);
    expect(json((await as(token, ['ls', '--json'])).stdout)).toEqual([]);
    expect((await as(token, ['restore', 'GITHUB_TOKEN'])).code).toBe(0);
    expect(json((await as(token, ['ls', '--json'])).stdout)).toHaveLength(1);
  });
});

describe('import and export', () => {
  const DOTENV = [
    '# the app',
    'export DATABASE_URL="postgres://app:s3cret@db:5432/app"',
    "QUOTED='it is $NOT expanded'",
    'API_KEY=abc123def456 # a comment',
    'MULTI="line one\\nline two"',
    'PATH=/usr/evil',
    '',
  ].join('\n');

  it('dry-runs an import without writing, then imports, then updates on a second import', async () => {
    const token = await stack.token('cli-import', 'secrets:inject');
    const file = join(cli.home, 'app.env');
    writeFileSync(file, DOTENV);

    const dry = await as(token, ['import', file, '--dry-run', '--json']);
    expect(dry.code).toBe(1); // PATH is refused
    expect(json(dry.stdout).plan).toEqual([
      { key: 'DATABASE_URL', action: 'create', line: 2 },
      { key: 'QUOTED', action: 'create', line: 3 },
      { key: 'API_KEY', action: 'create', line: 4 },
      { key: 'MULTI', action: 'create', line: 5 },
      { key: 'PATH', action: 'invalid', line: 6, problem: expect.stringContaining('reserved') },
    ]);
    expect(dry.stdout).not.toContain('s3cret');
    expect((await stack.call('GET', '/api/v1/user/secrets', { token })).body.total).toBe(0);

    writeFileSync(file, DOTENV.replace('PATH=/usr/evil\n', ''));
    const human = await as(token, ['import', file, '--dry-run']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('would create 4, update 0; 0 invalid. Nothing was written.');

    const imported = await as(token, ['import', file]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toBe(`Imported ${file} into your secrets: 4 created, 0 updated, 0 failed.\n`);
    expect((await stack.call('GET', '/api/v1/user/secrets/env', { token })).body.env).toEqual({
      DATABASE_URL: 'postgres://app:s3cret@db:5432/app',
      QUOTED: 'it is $NOT expanded',
      API_KEY: 'abc123def456',
      MULTI: 'line one\nline two',
    });
    const again = await as(token, ['import', file, '--json']);
    expect(json(again.stdout).results.map((result: { action: string }) => result.action)).toEqual([
      'updated',
      'updated',
      'updated',
      'updated',
    ]);

    // A file that is not a .env file is refused whole.
    writeFileSync(file, 'GOOD=1\nthis is not a line\n');
    const broken = await as(token, ['import', file]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(':2: not a KEY=value line');
    expect((await as(token, ['import', join(cli.home, 'missing.env')])).code).toBe(2);
  });

  it('exports dotenv, json and shell that hold exactly the values', async () => {
    const token = await stack.token('cli-export', 'secrets:inject');
    const values = {
      PLAIN: 'abc123def456',
      QUOTES: `it's "quoted" $HOME \\ back`,
      MULTI: 'line one\nline two\ttab',
    };
    for (const [name, value] of Object.entries(values)) {
      expect((await stack.call('POST', '/api/v1/user/secrets', { token, body: { name, value } })).status).toBe(201);
    }
    const dotenv = await as(token, ['export']);
    expect(dotenv.code).toBe(0);
    expect(Object.fromEntries(parseDotenv(dotenv.stdout).entries.map((entry) => [entry.key, entry.value]))).toEqual(
      values,
    );
    expect(json((await as(token, ['export', '--format', 'json'])).stdout)).toEqual(values);
    expect(json((await as(token, ['export', '--json'])).stdout)).toEqual(values);

    const shell = await as(token, ['export', '--format', 'shell']);
    const evaluated = execFileSync(
      'sh',
      [
        '-c',
        'eval "$(cat)"; node -e "console.log(JSON.stringify({PLAIN:process.env.PLAIN,QUOTES:process.env.QUOTES,MULTI:process.env.MULTI}))"',
      ],
      { input: shell.stdout, encoding: 'utf8' },
    );
    expect(json(evaluated)).toEqual(values);
    expect((await as(token, ['export', '--format', 'yaml'])).code).toBe(2);
  });
});

describe('run', () => {
  const PRINT = 'process.stdout.write(String(process.env.RUN_SECRET) + "|" + String(process.env.SECRETS_TOKEN))';

  it('gives the child the variables (not the token) and passes its exit code through', async () => {
    const token = await stack.token('cli-run', 'secrets:inject');
    await stack.call('POST', '/api/v1/user/secrets', {
      token,
      body: { name: 'RUN_SECRET', value: 'run-value-0123456789' },
    });
    const result = await as(token, ['run', '--', 'node', '-e', PRINT]);
    expect(result).toMatchObject({ code: 0, stdout: 'run-value-0123456789|undefined', stderr: '' });
    // Without `--`, options end at the command: node's own flags stay node's.
    const direct = await as(token, ['run', 'node', '--no-warnings', '-e', PRINT]);
    expect(direct.stdout).toBe('run-value-0123456789|undefined');
    expect((await as(token, ['run', '--', 'node', '-e', 'process.exit(7)'])).code).toBe(7);
    const missing = await as(token, ['run', '--', 'no-such-command-here']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('command not found');
    expect((await as(token, ['run'])).code).toBe(2);
  });

  it('forwards signals to the child and ends the way the child ended', async () => {
    const token = await stack.token('cli-signals', 'secrets:inject');
    // The child dies of the SIGTERM the CLI forwards; the CLI then dies of SIGTERM too.
    const killed = cli.spawn(['run', '--', 'node', '-e', 'console.log("ready"); setInterval(() => {}, 1000)'], {
      env: { SECRETS_URL: stack.url, SECRETS_TOKEN: token },
    });
    const killedResult = collect(killed);
    await waitForOutput(killed, 'ready');
    killed.kill('SIGTERM');
    expect(await killedResult).toMatchObject({ code: null, signal: 'SIGTERM' });

    // A child that handles the signal decides the exit code.
    const graceful = cli.spawn(
      [
        'run',
        '--',
        'node',
        '-e',
        'process.on("SIGINT", () => process.exit(42)); console.log("ready"); setInterval(() => {}, 1000)',
      ],
      { env: { SECRETS_URL: stack.url, SECRETS_TOKEN: token } },
    );
    const gracefulResult = collect(graceful);
    await waitForOutput(graceful, 'ready');
    graceful.kill('SIGINT');
    expect(await gracefulResult).toMatchObject({ code: 42, signal: null });
  });
});

describe('environments and members', () => {
  it('creates an environment, manages its secrets and members, and runs and imports with --env', async () => {
    const owner = await stack.token('cli-env-owner', 'secrets:inject');
    const bob = await stack.token('cli-env-bob', 'secrets:inject');
    const created = json(
      (await as(owner, ['env', 'create', 'cli-staging', '--description', 'Shared', '--json'])).stdout,
    );
    expect(created).toMatchObject({ name: 'cli-staging', description: 'Shared', role: 'owner' });
    const listed = json((await as(owner, ['env', 'ls', '--json'])).stdout);
    expect(listed.map((environment: { id: string }) => environment.id)).toContain(created.id);

    // By name or by id.
    expect((await as(owner, ['env', 'secrets', 'set', 'cli-staging', 'DB_URL'], 'postgres://one')).stdout).toContain(
      'Created DB_URL in cli-staging (version 1',
    );
    expect((await as(owner, ['env', 'secrets', 'set', created.id, 'DB_URL'], 'postgres://two')).stdout).toContain(
      'Updated DB_URL',
    );
    const secrets = json((await as(owner, ['env', 'secrets', 'ls', 'cli-staging', '--json'])).stdout);
    expect(secrets).toEqual([expect.objectContaining({ key: 'DB_URL', version: 2 })]);
    const versions = json((await as(owner, ['env', 'secrets', 'versions', 'cli-staging', 'DB_URL', '--json'])).stdout);
    expect(versions.map((version: { version: number }) => version.version)).toEqual([2, 1]);
    expect((await as(owner, ['env', 'secrets', 'rollback', 'cli-staging', 'DB_URL', '1'])).stdout).toContain(
      'now version 3',
    );

    // Members: bob is a stranger (404, exit 4) until he is added.
    expect((await as(bob, ['env', 'secrets', 'ls', created.id])).code).toBe(4);
    expect((await as(owner, ['members', 'set', 'cli-staging', 'cli-env-bob', 'viewer'])).code).toBe(0);
    const members = json((await as(owner, ['members', 'ls', 'cli-staging', '--json'])).stdout);
    expect(members.map((member: { userId: string; role: string }) => [member.userId, member.role])).toEqual([
      ['cli-env-bob', 'viewer'],
      ['cli-env-owner', 'owner'],
    ]);
    const bobRun = await as(bob, [
      'run',
      '--env',
      created.id,
      '--',
      'node',
      '-e',
      'process.stdout.write(process.env.DB_URL)',
    ]);
    expect(bobRun).toMatchObject({ code: 0, stdout: 'postgres://one' });
    // A viewer may not write: 403 is an auth failure (exit 3).
    const refused = await as(bob, ['env', 'secrets', 'set', created.id, 'OTHER'], 'value');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('403 FORBIDDEN');
    expect((await as(owner, ['members', 'rm', 'cli-staging', 'cli-env-bob'])).code).toBe(0);
    expect((await as(bob, ['run', '--env', created.id, '--', 'true'])).code).toBe(4);

    // Import into the environment, then export it.
    const file = join(cli.home, 'env.env');
    writeFileSync(file, 'DB_URL=postgres://three\nREDIS_URL=redis://cache:6379\n');
    const imported = await as(owner, ['import', file, '--env', 'cli-staging']);
    expect(imported.stdout).toContain('into environment cli-staging: 1 created, 1 updated, 0 failed.');
    expect(json((await as(owner, ['export', '--env', 'cli-staging', '--format', 'json'])).stdout)).toEqual({
      DB_URL: 'postgres://three',
      REDIS_URL: 'redis://cache:6379',
    });

    // A service token runs the environment's values, and nothing else.
    const token = (await as(owner, ['env', 'tokens', 'create', 'cli-staging', 'deploy'])).stdout.trim();
    expect(token).toMatch(/^sst_/);
    const service = await as(token, ['run', '--', 'node', '-e', 'process.stdout.write(process.env.REDIS_URL)']);
    expect(service).toMatchObject({ code: 0, stdout: 'redis://cache:6379' });
    expect((await as(token, ['run', '--env', created.id, '--', 'true'])).code).toBe(2);
    const tokens = json((await as(owner, ['env', 'tokens', 'ls', 'cli-staging', '--json'])).stdout);
    expect(tokens).toEqual([expect.objectContaining({ name: 'deploy' })]);
    expect(JSON.stringify(tokens)).not.toContain(token);
  });
});

/** `script` (util-linux) gives the CLI a pseudo-terminal, as a person's shell would. */
const hasScript = (() => {
  try {
    execFileSync('script', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function onTerminal(args: string[], env: Record<string, string>) {
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, cli.bundle, ...args].map(quote).join(' ');
  return spawn('script', ['-qec', command, '/dev/null'], { env: cli.env(env), stdio: ['pipe', 'pipe', 'pipe'] });
}

describe.skipIf(!hasScript)('on a terminal', () => {
  it('asks for a value without echoing it', async () => {
    const token = await stack.token('cli-tty', 'secrets:inject');
    const child = onTerminal(['set', 'TTY_SECRET'], { SECRETS_URL: stack.url, SECRETS_TOKEN: token });
    const result = collect(child);
    await waitForOutput(child, 'Value for TTY_SECRET: ');
    child.stdin!.write('tty-typed-value-0123\r');
    const { code, stdout } = await result;
    child.stdin!.end();
    expect(code).toBe(0);
    expect(stdout).toContain('Created TTY_SECRET');
    expect(stdout).not.toContain('tty-typed-value');
    const injected = await stack.call('GET', '/api/v1/user/secrets/env', { token });
    expect(injected.body.env).toEqual({ TTY_SECRET: 'tty-typed-value-0123' });
  });

  it('shows a progress bar while importing', async () => {
    const token = await stack.token('cli-tty-import', 'secrets:inject');
    const file = join(cli.home, 'tty.env');
    writeFileSync(file, 'ONE=first-value\nTWO=second-value\nTHREE=third-value\n');
    const child = onTerminal(['import', file], { SECRETS_URL: stack.url, SECRETS_TOKEN: token });
    child.stdin!.end();
    const { code, stdout } = await collect(child);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Importing \[#+-*\] 3\/3/);
    expect(stdout).toContain('3 created, 0 updated, 0 failed.');
  });
});

describe('exit codes', () => {
  it('tells usage, auth, not found and network failures apart', async () => {
    const token = await stack.token('cli-exits', 'secrets:inject');
    const cases: [string[], number, RegExp, Record<string, string>?][] = [
      [['frobnicate'], 2, /unknown command/],
      [['ls', '--bogus'], 2, /unknown option --bogus/],
      [['set'], 2, /missing NAME/],
      [['set', 'PATH'], 2, /reserved/],
      [['rollback', 'X', 'first'], 2, /not a version number/],
      [['run', '--fallback-max-age', 'soon', '--', 'true'], 2, /not a duration/],
      [['ls'], 3, /401 authentication_error/, { SECRETS_TOKEN: 'garbage' }],
      [['export'], 3, /secrets:inject scope/, { SECRETS_TOKEN: '' }],
      [['rm', 'NOPE'], 4, /no secret named NOPE/],
      [['env', 'secrets', 'ls', '7a1b2c3d-0000-4000-8000-000000000000'], 4, /404 ENVIRONMENT_NOT_FOUND/],
      [['env', 'secrets', 'ls', 'no-such-environment'], 4, /no environment named/],
      [['ls'], 5, /cannot reach the service: .*connection refused/, { SECRETS_URL: 'http://127.0.0.1:9' }],
    ];
    const plain = await stack.token('cli-exits'); // without the inject scope
    for (const [args, code, message, env] of cases) {
      const extra = { SECRETS_URL: stack.url, SECRETS_TOKEN: token, ...env };
      if (env?.SECRETS_TOKEN === '') extra.SECRETS_TOKEN = plain;
      const result = await cli.run(args, { env: extra });
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({
        args,
        code,
        stderr: expect.stringMatching(message),
      });
    }
  });
});
