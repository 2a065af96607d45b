import type { BenchContext } from './context.js';
import { type Lane, measureLanes } from './drive.js';
import type { LoadResult } from './load.js';
import { type BenchCall, type CallSource, routeBench } from './routes.js';

/**
 * Does latency stay flat as a user's (or an environment's) secrets grow? One page of the
 * list, and the whole inject, at small and large counts — over HTTP on one connection, so no
 * queueing hides in the figures — with the floor's Query beside each point to show what
 * DynamoDB Local adds. And does it stay flat as their history grows? The same at 10 secrets
 * when every secret keeps MAX_VERSIONS value versions and the tenant's trash holds
 * TRASHED_BESIDE secrets: lists and inject must read none of that.
 */
export const LIST_PAGE = 10;
/** Trashed secrets of the tenants whose points have `history`. */
export const TRASHED_BESIDE = 1_000;

export interface ScalePoint {
  route: string;
  secrets: number;
  /** Value versions of each secret (the current one included): 1, or MAX_VERSIONS for a point with history. */
  versions: number;
  /** Secrets in the tenant's trash: 0, or TRASHED_BESIDE for a point with history. */
  trashed: number;
  gateway: LoadResult;
  floor: LoadResult;
}

/** How the report names a point: `GET … at 10`, and what else the tenant holds. */
export function scaleLabel({ route, secrets, versions, trashed }: Omit<ScalePoint, 'gateway' | 'floor'>): string {
  const at = `${route} at ${secrets.toLocaleString('en-US')}`;
  return versions > 1 || trashed > 0
    ? `${at}, ${versions} versions each + ${trashed.toLocaleString('en-US')} trashed`
    : at;
}

/** Whose secrets a point reads: a user's own, or an environment's. */
type Holder = 'user' | 'environment';

/** The points of one route are measured together, in alternating slices. */
const SCALE_POINTS: readonly { route: string; holder: Holder; secrets: number; history: boolean }[] = [
  { route: 'GET /api/v1/user/secrets', holder: 'user', secrets: 10, history: false },
  { route: 'GET /api/v1/user/secrets', holder: 'user', secrets: 10, history: true },
  { route: 'GET /api/v1/user/secrets', holder: 'user', secrets: 10_000, history: false },
  { route: 'GET /api/v1/user/secrets/env', holder: 'user', secrets: 10, history: false },
  { route: 'GET /api/v1/user/secrets/env', holder: 'user', secrets: 10, history: true },
  { route: 'GET /api/v1/user/secrets/env', holder: 'user', secrets: 1_000, history: false },
  { route: 'GET /api/environments/{id}/secrets', holder: 'environment', secrets: 10, history: false },
  { route: 'GET /api/environments/{id}/secrets', holder: 'environment', secrets: 10, history: true },
  { route: 'GET /api/environments/{id}/secrets', holder: 'environment', secrets: 1_000, history: false },
  { route: 'GET /api/environments/{id}/env', holder: 'environment', secrets: 10, history: false },
  { route: 'GET /api/environments/{id}/env', holder: 'environment', secrets: 10, history: true },
  { route: 'GET /api/environments/{id}/env', holder: 'environment', secrets: 1_000, history: false },
];

/** The caller (and, for an environment, its id) holding each count of secrets, by `holder/count[/history]`. */
export type ScaleUsers = ReadonlyMap<string, Pick<BenchCall, 'sub' | 'params'>>;

const holderKey = (holder: Holder, secrets: number, history: boolean) =>
  `${holder}/${secrets}${history ? '/history' : ''}`;

export async function seedScaleUsers(ctx: BenchContext): Promise<ScaleUsers> {
  const { seeder } = ctx;
  const versions = seeder.deps.config.maxVersions;
  const holders = [
    ...new Map(SCALE_POINTS.map((point) => [holderKey(point.holder, point.secrets, point.history), point])).entries(),
  ];
  return new Map(
    await Promise.all(
      holders.map(async ([key, { holder, secrets, history }]): Promise<[string, Pick<BenchCall, 'sub' | 'params'>]> => {
        const sub = `scale-${key.replaceAll('/', '-')}`;
        if (holder === 'user') {
          await seeder.seedSecrets(sub, secrets, history ? versions : 1);
          if (history) await seeder.seedTrashedSecrets(sub, TRASHED_BESIDE);
          return [key, { sub }];
        }
        const environment = await seeder.seedEnvironment(sub, secrets, history ? versions : 1);
        if (history) await seeder.seedTrashedEnvironmentSecrets(environment, TRASHED_BESIDE);
        return [key, { sub, params: { id: environment.environmentId } }];
      }),
    ),
  );
}

export async function measureScale(
  ctx: BenchContext,
  users: ScaleUsers,
  log: (line: string) => void,
): Promise<ScalePoint[]> {
  // The same page size at every count, so only the number of stored secrets differs.
  const query = { limit: String(LIST_PAGE) };
  const settings = {
    connections: 1,
    seconds: ctx.options.scaleSeconds,
    warmupSeconds: ctx.options.scaleWarmupSeconds,
  };
  const points: ScalePoint[] = [];
  // Every point of a route (at 10, with history, at the large count) runs in one set of
  // alternating lanes: the ratios between them are what the targets judge, and points measured
  // one after another would also compare the host's state at two moments.
  for (const route of new Set(SCALE_POINTS.map((point) => point.route))) {
    const routePoints = SCALE_POINTS.filter((point) => point.route === route);
    const entry = routeBench(route)!;
    const source = ({ holder, secrets, history }: (typeof routePoints)[number]): CallSource => {
      const call: BenchCall = {
        ...users.get(holderKey(holder, secrets, history))!,
        query: route.endsWith('/env') ? undefined : query,
      };
      return { subs: [call.sub], next: () => call };
    };
    const lanes = await measureLanes(
      ctx,
      entry,
      Object.fromEntries(
        routePoints.flatMap((point, index) => [
          [`${index}/floor`, { side: 'floor', source: source(point) }],
          [`${index}/gateway`, { side: 'gateway', source: source(point) }],
        ]),
      ) as Record<string, Lane>,
      settings,
    );
    routePoints.forEach(({ secrets, history }, index) => {
      const point = {
        route,
        secrets,
        versions: history ? ctx.seeder.deps.config.maxVersions : 1,
        trashed: history ? TRASHED_BESIDE : 0,
      };
      const gateway = lanes[`${index}/gateway`]!;
      const floor = lanes[`${index}/floor`]!;
      log(`${scaleLabel(point)}: p50 ${gateway.p50.toFixed(2)} ms (floor ${floor.p50.toFixed(2)} ms)`);
      points.push({ ...point, gateway, floor });
    });
  }
  return points;
}
