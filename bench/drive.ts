import { type BenchContext, findRoute } from './context.js';
import { floorRequest } from './floor.js';
import { type LoadResult, runLoad } from './load.js';
import { gatewayRequest } from './requests.js';
import { type BenchCall, type CallSource, ROUTE_BENCHES, type RouteBench } from './routes.js';

export interface RouteFigures {
  route: string;
  gateway: LoadResult;
  floor: LoadResult;
}

/**
 * Floor pools are sized for this rate (calls/s), about twice what DynamoDB Local manages for
 * a transaction on the reference machine; reads need no pools.
 */
const FLOOR_PLAN_RATE = 400;
/** The gateway does at least the floor's work, so half again the floor's rate is ample. */
const GATEWAY_PLAN_FACTOR = 1.5;
const GATEWAY_PLAN_MIN_RATE = 50;

/** Each route: the floor first (its rate sizes the gateway's pools), then the gateway, same settings. */
export async function measureRoutes(ctx: BenchContext, log: (line: string) => void): Promise<RouteFigures[]> {
  const { connections, seconds, warmupSeconds } = ctx.options;
  const runSeconds = seconds + warmupSeconds;
  const figures: RouteFigures[] = [];
  for (const entry of ROUTE_BENCHES) {
    const floorSource = await entry.prepare(ctx.fixtures, { target: 'floor', connections, calls: FLOOR_PLAN_RATE * runSeconds });
    const floor = await drive(ctx, entry, floorSource, 'floor', connections);
    const gatewayCalls = Math.ceil(Math.max(floor.rps * GATEWAY_PLAN_FACTOR, GATEWAY_PLAN_MIN_RATE) * runSeconds);
    const gatewaySource = await entry.prepare(ctx.fixtures, { target: 'gateway', connections, calls: gatewayCalls });
    const gateway = await drive(ctx, entry, gatewaySource, 'gateway', connections);
    log(`${entry.route}: p50 ${gateway.p50.toFixed(2)} ms (floor ${floor.p50.toFixed(2)} ms), ${gateway.rps.toFixed(0)} rps (floor ${floor.rps.toFixed(0)})`);
    figures.push({ route: entry.route, gateway, floor });
  }
  return figures;
}

/** Runs one call source against the gateway or the floor: a warm-up, then the measured run. */
export async function drive(
  ctx: BenchContext,
  entry: RouteBench,
  source: CallSource,
  target: 'gateway' | 'floor',
  connections: number,
  seconds = ctx.options.seconds,
): Promise<LoadResult> {
  const route = findRoute(entry.route);
  if (target === 'gateway') await ctx.tokens.sign(source.subs, entry.scope);
  const inFlight: BenchCall[] = [];
  const load = {
    url: target === 'gateway' ? ctx.service.url : ctx.service.floorUrl,
    connections,
    next: (client: number) => {
      const call = source.next(client);
      if (!call) return undefined;
      inFlight[client] = call;
      return target === 'gateway' ? gatewayRequest(route, call, ctx.tokens.get(call.sub, entry.scope)) : floorRequest(entry.route, call);
    },
    answered: source.answered && ((client: number, body: string) => source.answered!(client, inFlight[client]!, body)),
  };
  await runLoad({ ...load, seconds: ctx.options.warmupSeconds });
  return runLoad({ ...load, seconds });
}
