import { ROUTES, type RouteDefinition, routeKey } from '../infra/routes.js';
import type { Fixtures } from './fixtures.js';
import type { Tokens } from './requests.js';
import type { Seeder } from './seed.js';
import type { TargetProcess } from './target-client.js';

/** Settings of one bench run; `--quick` shortens every timed phase, never the data sizes. */
export interface BenchOptions {
  quick: boolean;
  /** Concurrent connections of the route runs. */
  connections: number;
  /** Measured seconds per route and target. */
  seconds: number;
  /** Unrecorded seconds before each measured run (JIT, key caches, connection pools). */
  warmupSeconds: number;
  /** Measured seconds per scale point (one connection). */
  scaleSeconds: number;
  /** Unrecorded seconds before each scale point; the route runs before them have warmed up the code. */
  scaleWarmupSeconds: number;
  /** Fresh processes per bundle for the cold import median. */
  coldRuns: number;
  /** Milliseconds per payload size and cipher path. */
  cryptoMillis: number;
  /** Runs of each command in the CLI section (`secrets run -- node -e 0`, `node -e 0`, `secrets --version`). */
  cliRuns: number;
  /**
   * `--only a,b`: the route rows, and the functions cold-started, whose route key or function
   * name contains one of these (plus the two rows the cost is worked out from); every other
   * phase runs as usual. A part that names a section of its own (SECTIONS: `cli`) selects that
   * section instead; named alone, it runs by itself. Such a run prints its report but does not
   * write bench/results.json.
   */
  only?: string[];
}

/**
 * Sections `--only` selects by name rather than by route: each runs in a full run, in a
 * filtered run that names it, and alone (with nothing else but the stack it needs) when
 * `--only` names sections only.
 */
export const SECTIONS = ['cli'] as const;
export type Section = (typeof SECTIONS)[number];

export const isSection = (part: string): part is Section => (SECTIONS as readonly string[]).includes(part);

/** Whether a run has this section. */
export function runsSection(options: BenchOptions, section: Section): boolean {
  return options.only === undefined || options.only.includes(section);
}

/** Whether a run measures routes, calls, scale and the rest: not when `--only` names sections alone. */
export function runsRoutePhases(options: BenchOptions): boolean {
  return options.only === undefined || options.only.some((part) => !isSection(part));
}

/** The routes the cost is worked out from: a filtered run measures them too. */
export const COST_ROUTES: readonly string[] = ['GET /api/v1/user/secrets/env', 'PUT /api/v1/user/secrets/{id}'];

/** Whether a run measures this route (its row, and its function's cold starts). */
export function measuresRoute(options: BenchOptions, route: RouteDefinition): boolean {
  const key = routeKey(route);
  return (
    options.only === undefined ||
    COST_ROUTES.includes(key) ||
    options.only.some((part) => !isSection(part) && (key.includes(part) || route.function.includes(part)))
  );
}

export function parseOptions(argv: string[]): BenchOptions {
  const quick = argv.includes('--quick');
  // One request in flight, as a Lambda instance serves them; more measures queueing on this machine too.
  const connections = Number(flagValue(argv, '--connections') ?? 1);
  if (!Number.isInteger(connections) || connections < 1 || connections > 64)
    throw new Error('--connections must be 1 to 64');
  const onlyFlag = flagValue(argv, '--only');
  const only = onlyFlag
    ?.split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (argv.includes('--only') && !only?.length)
    throw new Error(`--only needs a comma-separated list of route parts or sections (${SECTIONS.join(', ')})`);
  const timings: Omit<BenchOptions, 'quick' | 'connections' | 'only'> = quick
    ? {
        seconds: 1,
        warmupSeconds: 1,
        scaleSeconds: 1,
        scaleWarmupSeconds: 0,
        coldRuns: 3,
        cryptoMillis: 150,
        cliRuns: 10,
      }
    : {
        seconds: 10,
        warmupSeconds: 2,
        scaleSeconds: 6,
        scaleWarmupSeconds: 2,
        // On a shared VM the ratio of medians over 31 processes moved by ±0.1× between runs;
        // the median of 61 paired ratios moves by ±0.04×.
        coldRuns: 61,
        cryptoMillis: 1000,
        cliRuns: 31,
      };
  return { quick, connections, ...timings, ...(only ? { only } : {}) };
}

function flagValue(argv: string[], flag: string): string | undefined {
  const index = argv.indexOf(flag);
  return index >= 0 ? argv[index + 1] : undefined;
}

export interface BenchContext {
  options: BenchOptions;
  service: TargetProcess;
  fixtures: Fixtures;
  tokens: Tokens;
  seeder: Seeder;
}

export function findRoute(key: string): RouteDefinition {
  const route = ROUTES.find((candidate) => routeKey(candidate) === key);
  if (!route) throw new Error(`The bench names ${key}, which infra/routes.ts does not have`);
  return route;
}
