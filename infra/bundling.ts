import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { functionEntry, PROJECT_ROOT } from './paths.js';

/**
 * How every Lambda function is bundled. The CDK stack and the benchmark both use these
 * options, so the bundle sizes and cold starts the benchmark reports are the deployed ones.
 * No `require` shim is needed: every bundled dependency loads as ESM (the CDK bundle test
 * imports each bundle in plain Node).
 */

export const LAMBDA_BUNDLING: Readonly<BuildOptions> = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minify: true,
  // A map beside the bundle, not loaded at run time (see infra/cdk/service-function.ts); positions
  // only, no copy of the sources.
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  // Everything is bundled, @aws-sdk included: the runtime's own SDK copy is not relied on.
  external: [],
  // Cold start: see infra/shims/stream-web.ts.
  alias: { 'node:stream/web': join(PROJECT_ROOT, 'infra', 'shims', 'stream-web.ts') },
  logLevel: 'silent',
};

/** The bundle's file name; `.mjs` makes Node (and Lambda) load it as ESM. */
export const BUNDLE_FILE = 'index.mjs';

/** Bundles one function into `outdir/index.mjs` (+ source map). */
export async function bundleFunction(functionName: string, outdir: string): Promise<void> {
  await build({ ...LAMBDA_BUNDLING, entryPoints: [functionEntry(functionName)], outfile: join(outdir, BUNDLE_FILE) });
}
