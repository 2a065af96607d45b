import { type BenchContext, findRoute } from './context.js';
import { floorRequest } from './floor.js';
import { type LoadOptions, type LoadResult, type LoadSample, runLoad, summarize } from './load.js';
import { gatewayRequest } from './requests.js';
import { type BenchCall, type CallSource, ROUTE_BENCHES, type RouteBench } from './routes.js';

export interface RouteFigures {
  route: string;
  gateway: LoadResult;
  floor: LoadResult;
}

/**
 * Pools (users, secrets to delete) are sized for this many calls a second, about twice what
 * DynamoDB Local manages for a transaction on the reference machine; reads need no pools.
 */
const PLAN_RATE = 400;
/** Measured time is cut into slices of about this many seconds, floor and gateway taking turns. */
const SLICE_SECONDS = 2;

/** Every route of the bench table, floor and gateway with the same settings. */
export async function measureRoutes(ctx: BenchContext, log: (line: string) => void): Promise<RouteFigures[]> {
  const { connections, seconds, warmupSeconds } = ctx.options;
  const figures: RouteFigures[] = [];
  for (const entry of ROUTE_BENCHES) {
    const plan = { connections, calls: PLAN_RATE * (seconds + warmupSeconds) };
    const floorSource = await entry.prepare(ctx.fixtures, { ...plan, target: 'floor' });
    const gatewaySource = await entry.prepare(ctx.fixtures, { ...plan, target: 'gateway' });
    const sources = { floor: floorSource, gateway: gatewaySource };
    const { floor, gateway } = await measurePair(ctx, entry, sources, { connections, seconds, warmupSeconds });
    log(
      `${entry.route}: p50 ${gateway.p50.toFixed(2)} ms (floor ${floor.p50.toFixed(2)} ms), ${gateway.rps.toFixed(0)} rps (floor ${floor.rps.toFixed(0)})`,
    );
    figures.push({ route: entry.route, gateway, floor });
  }
  return figures;
}

type Side = 'floor' | 'gateway';
const SIDES: readonly Side[] = ['floor', 'gateway'];

/**
 * Warms both sides up, then runs them in alternating slices, so a change in the machine's
 * load (it is shared) falls on floor and gateway alike.
 */
export async function measurePair(
  ctx: BenchContext,
  entry: RouteBench,
  sources: Record<Side, CallSource>,
  { connections, seconds, warmupSeconds }: { connections: number; seconds: number; warmupSeconds: number },
): Promise<Record<Side, LoadResult>> {
  const route = findRoute(entry.route);
  await ctx.tokens.sign(sources.gateway.subs, entry.scope);
  const loads = Object.fromEntries(
    SIDES.map((side) => {
      const source = sources[side];
      const inFlight: BenchCall[] = [];
      const load: Omit<LoadOptions, 'seconds'> = {
        url: side === 'gateway' ? ctx.service.url : ctx.service.floorUrl,
        connections,
        next: (client) => {
          const call = source.next(client);
          if (!call) return undefined;
          inFlight[client] = call;
          return side === 'gateway'
            ? gatewayRequest(route, call, ctx.tokens.get(call.sub, entry.scope))
            : floorRequest(entry.route, call);
        },
        answered: source.answered && ((client, body) => source.answered!(client, inFlight[client]!, body)),
      };
      return [side, load];
    }),
  ) as Record<Side, Omit<LoadOptions, 'seconds'>>;

  if (warmupSeconds > 0) for (const side of SIDES) await runLoad({ ...loads[side], seconds: warmupSeconds });
  const slices = Math.max(1, Math.round(seconds / SLICE_SECONDS));
  const samples: Record<Side, LoadSample[]> = { floor: [], gateway: [] };
  for (let slice = 0; slice < slices; slice++) {
    for (const side of SIDES) {
      if (samples[side].at(-1)?.exhausted) continue;
      samples[side].push(await runLoad({ ...loads[side], seconds: seconds / slices }));
    }
  }
  return { floor: summarize(samples.floor), gateway: summarize(samples.gateway) };
}
