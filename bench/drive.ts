import { type BenchContext, findRoute, measuresRoute } from './context.js';
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
    if (!measuresRoute(ctx.options, findRoute(entry.route))) continue;
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

export type Side = 'floor' | 'gateway';
const SIDES: readonly Side[] = ['floor', 'gateway'];

/** One load of a measurement: calls from `source`, sent to the gateway or the floor. */
export interface Lane {
  side: Side;
  source: CallSource;
}

interface RunSettings {
  connections: number;
  seconds: number;
  warmupSeconds: number;
}

/**
 * Warms both sides up, then runs them in alternating slices, so a change in the machine's
 * load (it is shared) falls on floor and gateway alike.
 */
export function measurePair(
  ctx: BenchContext,
  entry: RouteBench,
  sources: Record<Side, CallSource>,
  settings: RunSettings,
): Promise<Record<Side, LoadResult>> {
  return measureLanes(
    ctx,
    entry,
    Object.fromEntries(SIDES.map((side) => [side, { side, source: sources[side] }])) as Record<Side, Lane>,
    settings,
  );
}

/**
 * Any number of loads of one route (floor and gateway, of one set of data or of several),
 * warmed up in turn and then run in alternating slices, so that they are compared side by side.
 */
export async function measureLanes<Name extends string>(
  ctx: BenchContext,
  entry: RouteBench,
  lanes: Record<Name, Lane>,
  { connections, seconds, warmupSeconds }: RunSettings,
): Promise<Record<Name, LoadResult>> {
  const route = findRoute(entry.route);
  const names = Object.keys(lanes) as Name[];
  for (const name of names) {
    if (lanes[name].side === 'gateway') await ctx.tokens.sign(lanes[name].source.subs, entry.scope);
  }
  const loads = Object.fromEntries(
    names.map((name) => {
      const { side, source } = lanes[name];
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
      return [name, load];
    }),
  ) as Record<Name, Omit<LoadOptions, 'seconds'>>;

  if (warmupSeconds > 0) for (const name of names) await runLoad({ ...loads[name], seconds: warmupSeconds });
  const slices = Math.max(1, Math.round(seconds / SLICE_SECONDS));
  const samples = Object.fromEntries(names.map((name) => [name, [] as LoadSample[]])) as Record<Name, LoadSample[]>;
  for (let slice = 0; slice < slices; slice++) {
    for (const name of names) {
      if (samples[name].at(-1)?.exhausted) continue;
      samples[name].push(await runLoad({ ...loads[name], seconds: seconds / slices }));
    }
  }
  return Object.fromEntries(names.map((name) => [name, summarize(samples[name])])) as Record<Name, LoadResult>;
}
