import { randomUUID } from 'node:crypto';
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ChangeEventLine, fileSink } from '../infra/local/change-stream.js';
import { auditChange } from '../lib/audit/audit.js';
import { type ChangeStreamRecord, changeEventId } from '../lib/events/change-events.js';
import { publishChangeRecords } from '../lib/events/publish.js';
import { SK_PREFIX, userTenant } from '../lib/store/keys.js';
import { transactWrite } from '../lib/store/transactions.js';
import type { BenchContext } from './context.js';

/**
 * The change-event publisher on the local stack. Throughput: stream records of change audits
 * through the publisher's mapping (lib/events) into the local file sink, in batches of the
 * size the local reader reads, with no DynamoDB in the way. Lag: change audits committed one
 * at a time, as the write paths commit them, from the commit's acknowledgement to the moment
 * the running stack's reader wrote the event's line (both clocks are this machine's).
 */
export interface ChangeEventFigures {
  eventsPerSecond: number;
  lagP50Ms: number;
  lagP99Ms: number;
  /** Changes committed for the lag figures. */
  commits: number;
}

const THROUGHPUT_RECORDS = 20_000;
/** What the local reader asks DynamoDB Local for per read. */
const RECORDS_PER_READ = 1000;
const LAG_COMMITS = { quick: 40, full: 200 };
/** Between commits, so each change is read on its own, as under light traffic. */
const COMMIT_SPACING_MS = 20;
const LAG_TIMEOUT_MS = 30_000;

export async function measureChangeEvents(
  ctx: BenchContext,
  stack: { eventsFile: string; workDir: string },
): Promise<ChangeEventFigures> {
  const eventsPerSecond = await measureThroughput(join(stack.workDir, 'change-events-throughput.jsonl'));
  const lags = await measureLag(ctx, stack.eventsFile, ctx.options.quick ? LAG_COMMITS.quick : LAG_COMMITS.full);
  lags.sort((a, b) => a - b);
  const at = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))]!;
  return { eventsPerSecond, lagP50Ms: at(0.5), lagP99Ms: at(0.99), commits: lags.length };
}

async function measureThroughput(file: string): Promise<number> {
  const records: ChangeStreamRecord[] = Array.from({ length: THROUGHPUT_RECORDS }, (_, n) => {
    const image = marshall({
      PK: userTenant(`bench-${n % 100}`),
      SK: `AUDIT#01J${String(n).padStart(23, '0')}`,
      action: 'update',
      actor: 'bench',
      request_id: `req-${n}`,
      keys: [`KEY_${n}`],
      at: new Date().toISOString(),
      version: 2,
      secret_id: randomUUID(),
      expires_at: 1_900_000_000,
    });
    return {
      eventName: 'INSERT',
      dynamodb: { SequenceNumber: String(n), Keys: { PK: image.PK, SK: image.SK }, NewImage: image },
    };
  });
  const sink = fileSink(file);
  const run = async (batch: ChangeStreamRecord[]) => {
    const { failedFrom } = await publishChangeRecords(sink, batch);
    if (failedFrom !== undefined) throw new Error('The file sink failed during the bench');
  };
  try {
    // One unrecorded read first, so the mapping is not measured before the JIT has seen it.
    await run(records.slice(0, RECORDS_PER_READ));
    const started = performance.now();
    for (let start = 0; start < records.length; start += RECORDS_PER_READ) {
      await run(records.slice(start, start + RECORDS_PER_READ));
    }
    return records.length / ((performance.now() - started) / 1000);
  } finally {
    await rm(file, { force: true });
  }
}

async function measureLag(ctx: BenchContext, eventsFile: string, commits: number): Promise<number[]> {
  const deps = ctx.seeder.deps;
  const tenant = userTenant(`bench-events-${randomUUID()}`);
  // Only lines written from here on are read: the route runs have written many before.
  const offset = (await stat(eventsFile).catch(() => undefined))?.size ?? 0;
  const committedAt = new Map<string, number>();
  for (let n = 0; n < commits; n++) {
    const item = auditChange(deps, tenant, {
      action: 'update',
      actor: 'bench',
      requestId: `bench-lag-${n}`,
      keys: [`LAG_${n}`],
      version: n + 1,
    });
    await transactWrite(deps.ddb, { audit: item });
    const written = item.Put!.Item as { PK: string; SK: string };
    committedAt.set(changeEventId(written.PK, written.SK.slice(SK_PREFIX.audit.length)), Date.now());
    await sleep(COMMIT_SPACING_MS);
  }
  const deadline = performance.now() + LAG_TIMEOUT_MS;
  const lags = new Map<string, number>();
  while (lags.size < committedAt.size) {
    if (performance.now() > deadline) {
      throw new Error(`Only ${lags.size} of ${committedAt.size} change events appeared within ${LAG_TIMEOUT_MS} ms`);
    }
    for (const line of await linesFrom(eventsFile, offset)) {
      const committed = committedAt.get(line.id);
      if (committed !== undefined) lags.set(line.id, Date.parse(line.time) - committed);
    }
    await sleep(50);
  }
  return [...lags.values()];
}

async function linesFrom(file: string, offset: number): Promise<ChangeEventLine[]> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return [];
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    await handle.read(buffer, 0, buffer.length, offset);
    const text = buffer.toString('utf8');
    return text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => ChangeEventLine.parse(JSON.parse(line)));
  } finally {
    await handle.close();
  }
}
