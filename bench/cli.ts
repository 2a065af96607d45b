import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CliOverhead, measureCliOverhead } from '../cli/bench-run.js';
import { buildCli, CLI_BUNDLE } from '../cli/build.js';
import { INJECT_SCOPE } from '../lib/auth/claims.js';
import type { BenchContext } from './context.js';
import { READER_SECRETS } from './fixtures.js';

/**
 * The CLI's own cost: `secrets run -- node -e 0` (the bundled CLI, dist/secrets.mjs) beside
 * `node -e 0` alone, against the bench's own stack, for a user with READER_SECRETS secrets
 * and an inject-scoped token signed by the stack's dev issuer, as `npm run token` signs one.
 */
export interface CliFigures extends CliOverhead {
  /** The bundle measured (from the project root), and whether the bench built it first (missing, or older than its sources). */
  bundle: string;
  built: boolean;
  /** The user's secrets, which each `secrets run` injects. */
  secrets: number;
}

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
/** The CLI's own sources: a bundle older than any of them is built again (what it takes from lib/ changes rarely). */
const CLI_SOURCES = ['cli', 'client'].map((dir) => join(ROOT, dir));
/** The user whose secrets `secrets run` injects. */
const CLI_USER = 'cli-run';

export async function measureCli(ctx: BenchContext, log: (line: string) => void): Promise<CliFigures> {
  const { bundle, built } = await cliBundle(log);
  await ctx.seeder.seedSecrets(CLI_USER, READER_SECRETS);
  await ctx.tokens.sign([CLI_USER], INJECT_SCOPE);
  const overhead = await measureCliOverhead({
    url: ctx.service.url,
    token: ctx.tokens.get(CLI_USER, INJECT_SCOPE),
    runs: ctx.options.cliRuns,
    bundle,
  });
  return { ...overhead, bundle: relative(ROOT, bundle), built, secrets: READER_SECRETS };
}

/** dist/secrets.mjs, built first (as `npm run build:cli` builds it) when it is missing or older than its sources. */
async function cliBundle(log: (line: string) => void): Promise<{ bundle: string; built: boolean }> {
  const reason = !existsSync(CLI_BUNDLE)
    ? 'missing'
    : newestSource() > statSync(CLI_BUNDLE).mtimeMs
      ? 'older than cli/ or client/'
      : undefined;
  if (reason === undefined) return { bundle: CLI_BUNDLE, built: false };
  log(`building the CLI bundle (${CLI_BUNDLE} ${reason})`);
  return { bundle: await buildCli(CLI_BUNDLE), built: true };
}

function newestSource(): number {
  let newest = 0;
  for (const dir of CLI_SOURCES) {
    for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      if (file.endsWith('.ts')) newest = Math.max(newest, statSync(join(dir, file)).mtimeMs);
    }
  }
  return newest;
}
