import type { BenchContext } from './context.js';
import { measurePair } from './drive.js';
import type { LoadResult } from './load.js';
import { type BenchCall, routeBench } from './routes.js';

/**
 * Does latency stay flat as a user's (or an environment's) secrets grow? One page of the
 * list, and the whole inject, at small and large counts — over HTTP on one connection, so no
 * queueing hides in the figures — with the floor's Query beside each point to show what
 * DynamoDB Local adds.
 */
export const LIST_PAGE = 10;

export interface ScalePoint {
  route: string;
  secrets: number;
  gateway: LoadResult;
  floor: LoadResult;
}

/** Whose secrets a point reads: a user's own, or an environment's. */
type Holder = 'user' | 'environment';

const SCALE_POINTS = [
  { route: 'GET /api/v1/user/secrets', holder: 'user', secrets: 10 },
  { route: 'GET /api/v1/user/secrets', holder: 'user', secrets: 10_000 },
  { route: 'GET /api/v1/user/secrets/env', holder: 'user', secrets: 10 },
  { route: 'GET /api/v1/user/secrets/env', holder: 'user', secrets: 1_000 },
  { route: 'GET /api/environments/{id}/secrets', holder: 'environment', secrets: 10 },
  { route: 'GET /api/environments/{id}/secrets', holder: 'environment', secrets: 1_000 },
  { route: 'GET /api/environments/{id}/env', holder: 'environment', secrets: 10 },
  { route: 'GET /api/environments/{id}/env', holder: 'environment', secrets: 1_000 },
] as const;

/** The caller (and, for an environment, its id) holding each count of secrets, by `holder/count`. */
export type ScaleUsers = ReadonlyMap<string, Pick<BenchCall, 'sub' | 'params'>>;

const holderKey = (holder: Holder, secrets: number) => `${holder}/${secrets}`;

export async function seedScaleUsers(ctx: BenchContext): Promise<ScaleUsers> {
  const holders = [...new Map(SCALE_POINTS.map((point) => [holderKey(point.holder, point.secrets), point])).entries()];
  return new Map(
    await Promise.all(
      holders.map(async ([key, { holder, secrets }]): Promise<[string, Pick<BenchCall, 'sub' | 'params'>]> => {
        const sub = `scale-${holder}-${secrets}`;
        if (holder === 'user') {
          await ctx.seeder.seedSecrets(sub, secrets);
          return [key, { sub }];
        }
        const { environmentId } = await ctx.seeder.seedEnvironment(sub, secrets);
        return [key, { sub, params: { id: environmentId } }];
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
  const points: ScalePoint[] = [];
  for (const { route, holder, secrets } of SCALE_POINTS) {
    const entry = routeBench(route)!;
    const call: BenchCall = {
      ...users.get(holderKey(holder, secrets))!,
      query: route.endsWith('/env') ? undefined : query,
    };
    const source = { subs: [call.sub], next: () => call };
    const { floor, gateway } = await measurePair(
      ctx,
      entry,
      { floor: source, gateway: source },
      {
        connections: 1,
        seconds: ctx.options.scaleSeconds,
        warmupSeconds: ctx.options.scaleWarmupSeconds,
      },
    );
    log(`${route} at ${secrets}: p50 ${gateway.p50.toFixed(2)} ms (floor ${floor.p50.toFixed(2)} ms)`);
    points.push({ route, secrets, gateway, floor });
  }
  return points;
}
