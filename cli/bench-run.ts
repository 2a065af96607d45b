import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SecretsClient } from '../client/client.js';
import { buildCli } from './build.js';

/**
 * What `secrets run` costs on top of the program it runs: the wall time of
 * `secrets run -- node -e 0` beside `node -e 0` alone (p50 over `runs`, interleaved so both
 * see the same machine), plus `secrets --version` (the CLI's start alone). The difference is
 * the CLI's own overhead: its start, one inject call and saving the offline fallback.
 *
 *   npx tsx cli/bench-run.ts [--runs 20]
 *
 * measures against SECRETS_URL with SECRETS_TOKEN (an inject-scoped token) when both are set,
 * and otherwise starts a throwaway local stack (`infra/local/start.ts` as a child process, in
 * a temp directory on free ports) and seeds it. `measureCliOverhead` is what `npm run bench`
 * can call with a stack it already runs.
 */
const ROOT = resolve(fileURLToPath(import.meta.url), '../..');

export interface Percentiles {
  p50: number;
  p90: number;
  min: number;
}

export interface CliOverhead {
  runs: number;
  /** `node -e 0`. */
  node: Percentiles;
  /** `secrets --version`: the CLI's own start, no call. */
  cliStart: Percentiles;
  /** `secrets run -- node -e 0` against the service. */
  cliRun: Percentiles;
  /** cliRun.p50 − node.p50, in ms: the figure the target is about. */
  overheadP50: number;
  /** cliRun.min − node.min: the same, less skewed by other work on the machine. */
  overheadMin: number;
  /** The 1-minute load average before and after, since other work inflates every figure. */
  load: [number, number];
}

export async function measureCliOverhead({
  url,
  token,
  runs = 20,
  bundle,
}: {
  url: string;
  token: string;
  runs?: number;
  bundle?: string;
}): Promise<CliOverhead> {
  const work = mkdtempSync(join(tmpdir(), 'secrets-cli-bench-'));
  const loadBefore = round(loadavg()[0]!);
  try {
    const cli = bundle ?? (await buildCli(join(work, 'secrets.mjs')));
    const env = { ...process.env, SECRETS_URL: url, SECRETS_TOKEN: token, XDG_CACHE_HOME: join(work, 'cache') };
    const time = (args: string[]) => {
      const started = performance.now();
      const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      const elapsed = performance.now() - started;
      if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
      return elapsed;
    };
    const commands = {
      node: ['-e', '0'],
      cliStart: [cli, '--version'],
      cliRun: [cli, 'run', '--', process.execPath, '-e', '0'],
    };
    // Warm the page cache, the service's handlers and its data key cache.
    for (let warm = 0; warm < 3; warm++) for (const args of Object.values(commands)) time(args);
    const samples = { node: [] as number[], cliStart: [] as number[], cliRun: [] as number[] };
    for (let run = 0; run < runs; run++) {
      for (const [name, args] of Object.entries(commands)) samples[name as keyof typeof samples].push(time(args));
    }
    const node = percentiles(samples.node);
    const cliRun = percentiles(samples.cliRun);
    return {
      runs,
      node,
      cliStart: percentiles(samples.cliStart),
      cliRun,
      overheadP50: round(cliRun.p50 - node.p50),
      overheadMin: round(cliRun.min - node.min),
      load: [loadBefore, round(loadavg()[0]!)],
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: round(at(0.5)), p90: round(at(0.9)), min: round(sorted[0]!) };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

// ── Standalone: a throwaway stack ─────────────────────

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function startThrowawayStack(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'infra/local/start.ts')],
    {
      env: {
        ...process.env,
        PORT: '0',
        DYNAMODB_PORT: String(await freePort()),
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the stack did not start within 120 s:\n${output}`)), 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the stack exited ${code}:\n${output}`)));
  });
  return { url, child };
}

function devToken(dataDir: string, sub: string): string {
  const result = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
      join(ROOT, 'infra/local/token.ts'),
      '--sub',
      sub,
      '--scope',
      'secrets:inject',
    ],
    { env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`token: ${result.stderr}`);
  return result.stdout.trim();
}

async function standalone(runs: number): Promise<void> {
  const log = (line: string) => process.stderr.write(`[cli-bench] ${line}\n`);
  if (process.env.SECRETS_URL && process.env.SECRETS_TOKEN) {
    log(`measuring against ${process.env.SECRETS_URL}`);
    report(await measureCliOverhead({ url: process.env.SECRETS_URL, token: process.env.SECRETS_TOKEN, runs }));
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'secrets-cli-bench-stack-'));
  log('starting a throwaway local stack…');
  const { url, child } = await startThrowawayStack(dataDir);
  try {
    const token = devToken(dataDir, 'bench-cli');
    const client = new SecretsClient({ baseUrl: url, token });
    for (let index = 0; index < 10; index++) {
      await client.createUserSecret({ name: `BENCH_SECRET_${index}`, value: `bench-value-${index}-0123456789abcdef` });
    }
    client.close();
    log(`measuring against ${url} (10 secrets, ${runs} runs)`);
    report(await measureCliOverhead({ url, token, runs }));
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolveExit) => child.once('exit', resolveExit));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(result: CliOverhead): void {
  const row = (name: string, value: Percentiles) =>
    `${name.padEnd(34)} p50 ${String(value.p50).padStart(6)} ms   p90 ${String(value.p90).padStart(6)} ms   min ${String(value.min).padStart(6)} ms`;
  process.stdout.write(
    `${[
      row('node -e 0', result.node),
      row('secrets --version', result.cliStart),
      row('secrets run -- node -e 0', result.cliRun),
      `CLI overhead (run p50 − node p50): ${result.overheadP50} ms (target ≤ 150 ms); run min − node min: ${result.overheadMin} ms`,
      `load average ${result.load[0]} → ${result.load[1]}`,
    ].join('\n')}\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const index = process.argv.indexOf('--runs');
  await standalone(index > 0 ? Number(process.argv[index + 1]) : 20);
}
