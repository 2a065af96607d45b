import { startLocalStack } from '../infra/local/stack.js';
import { storeDeps, valueDeps } from '../lib/app/process-deps.js';
import { userTenant } from '../lib/store/keys.js';
import { startFloorServer } from './floor.js';
import { ROUTE_BENCHES } from './routes.js';
import type { Counters, TargetMessage, TargetOptions, TargetRequest } from './target-client.js';
import { countDynamoDbUsage } from './usage.js';

/**
 * The service under test, run as a child of bench/run.ts: the local stack (gateway + real
 * handler modules + local KMS) on the bench's DynamoDB Local, and beside it the floor server,
 * which shares the handlers' DynamoDB client so the only difference is what the route adds.
 */
const options = JSON.parse(process.env.BENCH_TARGET ?? '') as TargetOptions;
const stack = await startLocalStack({ ...options, port: 0 });
const store = storeDeps();
const usage = countDynamoDbUsage(store.ddb);
const floor = await startFloorServer(new Map(ROUTE_BENCHES.map((entry) => [entry.route, entry.floor])), {
  ddb: store.ddb,
  tableName: options.tableName,
  maxVersions: store.config.maxVersions,
});

const shutdown = async () => {
  await floor.close();
  await stack.stop();
};
// Should the bench die without asking, do not outlive it.
process.once('disconnect', () => void shutdown().finally(() => process.exit(0)));
process.on('message', (message: { id: number } & TargetRequest) => {
  // After answering a stop there is nothing left to do: leave at once rather than wait for idle sockets.
  const then = message.op === 'stop' ? () => process.exit(0) : undefined;
  handle(message).then(
    (result) => reply({ id: message.id, result }, then),
    (error: unknown) => reply({ id: message.id, error: error instanceof Error ? error.message : String(error) }, then),
  );
});
reply({ ready: { url: stack.url, floorUrl: floor.url, kmsEndpoint: process.env.KMS_ENDPOINT! } });

async function handle(request: TargetRequest): Promise<unknown> {
  switch (request.op) {
    case 'counters': {
      const counters: Counters = { kms: { ...stack.kms.calls }, dynamodb: usage.read() };
      if (request.reset) {
        stack.kms.resetCalls();
        usage.reset();
      }
      return counters;
    }
    case 'warm': {
      const { keyring } = valueDeps();
      for (let start = 0; start < request.subs.length; start += 8) {
        await Promise.all(request.subs.slice(start, start + 8).map((sub) => keyring.active(userTenant(sub))));
      }
      return undefined;
    }
    case 'units':
      usage.measureUnits = request.on;
      return undefined;
    case 'stop':
      return shutdown();
  }
}

function reply(message: TargetMessage, sent?: () => void): void {
  process.send?.(message, undefined, undefined, sent);
}
