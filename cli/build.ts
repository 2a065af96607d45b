import { chmodSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles the CLI (cli/main.ts, the client and the little of lib/ it uses) into one ES module
 * with no imports but Node's own, so `secrets` starts without resolving a module graph.
 * `npm run build:cli` (and `npm ci`, through `prepare`) writes dist/secrets.mjs; tests bundle
 * to a directory of their own.
 */
const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
export const CLI_BUNDLE = join(ROOT, 'dist', 'secrets.mjs');

export async function buildCli(outfile = CLI_BUNDLE): Promise<string> {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  await build({
    entryPoints: [join(ROOT, 'cli', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    define: { CLI_VERSION: JSON.stringify(version) },
    logLevel: 'warning',
  });
  chmodSync(outfile, 0o755);
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = await buildCli(process.argv[2] ? resolve(process.argv[2]) : CLI_BUNDLE);
  process.stdout.write(`built ${file}\n`);
}
