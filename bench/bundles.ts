import { execFile } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { BUNDLE_FILE, bundleFunction, LAMBDA_BUNDLING } from '../infra/bundling.js';
import { LOCAL_CREDENTIALS } from '../infra/local/dynamodb.js';
import { PROJECT_ROOT } from '../infra/paths.js';
import { ROUTES, type RouteDefinition, routeKey } from '../infra/routes.js';
import type { BenchContext } from './context.js';
import { lambdaEvent } from './requests.js';
import { routeBench } from './routes.js';

/**
 * Each function bundled exactly as deployed (infra/bundling.ts), against a baseline: the same
 * bundling of an entry that only constructs the AWS SDK clients the function uses. Cold
 * import = Lambda's INIT: a fresh Node process importing the bundle; it then serves one event
 * against the local stack to show the bundle works, timed separately.
 */
type ClientSet = 'dynamodb' | 'dynamodb+kms';

const BASELINE_ENTRIES: Record<ClientSet, string> = {
  dynamodb: `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
export const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));`,
  'dynamodb+kms': `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
export const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const kms = new KMSClient({});`,
};

const COLD_IMPORT_SCRIPT = fileURLToPath(new URL('./cold-import.mjs', import.meta.url));
const run = promisify(execFile);

export interface BundleFigures {
  function: string;
  baseline: ClientSet;
  bytes: number;
  /** Medians over the fresh processes. */
  coldImportMs: number;
  /**
   * The median of each cold import over the baseline's started just before it: a pair shares
   * the machine's state, which drifts over a run by far more than the two differ.
   */
  coldImportRatio: number;
  /** Serving the first event after import, when the bench has an event for the route. */
  firstEventMs?: number;
  baselineBytes: number;
  baselineColdImportMs: number;
}

/** A function's bundle beside the baseline for its client set, built and ready to cold-start. */
export interface BuiltBundle {
  route: RouteDefinition;
  bundle: string;
  baseline: ClientSet;
  baselineBundle: string;
}

/** Bundles every function of the route table (those `include` takes) and the baselines. Needs no running service. */
export async function buildBundles(
  outdir: string,
  include: (route: RouteDefinition) => boolean = () => true,
): Promise<BuiltBundle[]> {
  const baselines = new Map<ClientSet, string>();
  for (const [set, contents] of Object.entries(BASELINE_ENTRIES) as [ClientSet, string][]) {
    const outfile = join(outdir, `baseline-${set.replace('+', '-')}`, BUNDLE_FILE);
    await build({ ...LAMBDA_BUNDLING, stdin: { contents, resolveDir: PROJECT_ROOT, loader: 'js' }, outfile });
    baselines.set(set, outfile);
  }
  const built: BuiltBundle[] = [];
  for (const route of ROUTES) {
    if (!include(route) || built.some((b) => b.route.function === route.function)) continue;
    const dir = join(outdir, route.function);
    await bundleFunction(route.function, dir);
    const baseline: ClientSet = route.kms.length > 0 ? 'dynamodb+kms' : 'dynamodb';
    built.push({ route, bundle: join(dir, BUNDLE_FILE), baseline, baselineBundle: baselines.get(baseline)! });
  }
  return built;
}

export async function measureBundles(ctx: BenchContext, built: BuiltBundle[]): Promise<BundleFigures[]> {
  const { config } = ctx.seeder.deps;
  // A Lambda-like environment pointing at the bench's local stack, and nothing else.
  const env = {
    PATH: process.env.PATH,
    AWS_REGION: config.region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    TABLE_NAME: config.tableName,
    DYNAMODB_ENDPOINT: config.dynamoDbEndpoint,
    KMS_ENDPOINT: config.kmsEndpoint,
    KMS_KEY_ID: config.kmsKeyId,
    LOG_LEVEL: 'silent',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const coldStart = async (bundle: string, eventFile?: string) => {
    const { stdout } = await run(process.execPath, [COLD_IMPORT_SCRIPT, bundle, ...(eventFile ? [eventFile] : [])], {
      env,
      timeout: 30_000,
    });
    return JSON.parse(stdout) as { importMs: number; eventMs: number; status?: number };
  };

  const figures: BundleFigures[] = [];
  for (const { route, bundle, baseline, baselineBundle } of built) {
    const entry = routeBench(routeKey(route));
    const source =
      entry && (await entry.prepare(ctx.fixtures, { target: 'cold', connections: 1, calls: ctx.options.coldRuns }));
    const imports: number[] = [];
    const events: number[] = [];
    const baselineImports: number[] = [];
    for (let attempt = 0; attempt < ctx.options.coldRuns; attempt++) {
      // Baseline and function alternate, so both see the same machine state.
      baselineImports.push((await coldStart(baselineBundle)).importMs);
      const call = source?.next(0);
      const eventFile = call && join(dirname(bundle), `event-${attempt}.json`);
      if (eventFile) writeFileSync(eventFile, JSON.stringify(lambdaEvent(route, call, entry!.scope)));
      const cold = await coldStart(bundle, eventFile);
      if (eventFile && !(cold.status !== undefined && cold.status >= 200 && cold.status < 300)) {
        throw new Error(`${route.function} answered its cold-start event with ${cold.status}`);
      }
      imports.push(cold.importMs);
      if (eventFile) events.push(cold.eventMs);
    }
    figures.push({
      function: route.function,
      baseline,
      bytes: statSync(bundle).size,
      coldImportMs: median(imports),
      coldImportRatio: median(imports.map((imported, pair) => imported / baselineImports[pair]!)),
      firstEventMs: events.length ? median(events) : undefined,
      baselineBytes: statSync(baselineBundle).size,
      baselineColdImportMs: median(baselineImports),
    });
  }
  return figures;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
