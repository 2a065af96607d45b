import type { BenchContext } from './context.js';
import { measurePair } from './drive.js';
import type { LoadResult } from './load.js';
import { type BenchCall, routeBench } from './routes.js';

/**
 * Does latency stay flat as a user's secrets grow? One page of the list, and the whole
 * inject, at small and large counts — over HTTP on one connection, so no queueing hides in
 * the figures — with the floor's Query beside each point to show what DynamoDB Local adds.
 */
export const LIST_PAGE = 10;

export interface ScalePoint {
  route: string;
  secrets: number;
  gateway: LoadResult;
  floor: LoadResult;
}

const POINTS = [
  { route: 'GET /api/v1/user/secrets', secrets: 10 },
  { route: 'GET /api/v1/user/secrets', secrets: 10_000 },
  { route: 'GET /api/v1/user/secrets/env', secrets: 10 },
  { route: 'GET /api/v1/user/secrets/env', secrets: 1_000 },
] as const;

/** The user holding each count of secrets. */
export type ScaleUsers = ReadonlyMap<number, string>;

export async function seedScaleUsers(ctx: BenchContext): Promise<ScaleUsers> {
  const counts = [...new Set(POINTS.map((point) => point.secrets))];
  await Promise.all(counts.map((secrets) => ctx.seeder.seedSecrets(`scale-${secrets}`, secrets)));
  return new Map(counts.map((secrets) => [secrets, `scale-${secrets}`]));
}

export async function measureScale(ctx: BenchContext, users: ScaleUsers, log: (line: string) => void): Promise<ScalePoint[]> {
  // The same page size at every count, so only the number of stored secrets differs.
  const query = { limit: String(LIST_PAGE) };
  const points: ScalePoint[] = [];
  for (const { route, secrets } of POINTS) {
    const entry = routeBench(route)!;
    const call: BenchCall = { sub: users.get(secrets)!, query: route.endsWith('/env') ? undefined : query };
    const source = { subs: [call.sub], next: () => call };
    const { floor, gateway } = await measurePair(ctx, entry, { floor: source, gateway: source }, {
      connections: 1,
      seconds: ctx.options.scaleSeconds,
      warmupSeconds: ctx.options.scaleWarmupSeconds,
    });
    log(`${route} at ${secrets}: p50 ${gateway.p50.toFixed(2)} ms (floor ${floor.p50.toFixed(2)} ms)`);
    points.push({ route, secrets, gateway, floor });
  }
  return points;
}
