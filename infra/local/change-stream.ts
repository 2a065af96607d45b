import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import * as z from 'zod/mini';
import {
  CHANGE_DETAIL_TYPES,
  CHANGE_EVENT_SOURCE,
  ChangeDetail,
  type ChangeEvent,
} from '../../lib/events/change-events.js';
import { type ChangeEventSink, publishChangeRecords } from '../../lib/events/publish.js';
import { describeError, logger } from '../../lib/log.js';
import { LOCAL_CREDENTIALS, localDynamoDbClient } from './dynamodb.js';

/**
 * The local stand-in for the publisher function: it reads DynamoDB Local's stream of the
 * table and passes the records through the same mapping (lib/events), appending one JSON line
 * per event to `<dataDir>/events.jsonl` instead of calling EventBridge.
 *
 * It resumes where it stopped: after each appended batch it records the last sequence number
 * of each shard in `events-checkpoint.json`, and a restart continues after it (a shard it has
 * never read, from its start). Dying between the append and the checkpoint repeats those
 * events, so delivery is at least once, as in AWS: dedupe by `id`.
 */
export const EVENTS_FILE = 'events.jsonl';
const CHECKPOINT_FILE = 'events-checkpoint.json';

/** One line of events.jsonl: the event's detail plus what EventBridge would add. */
export const ChangeEventLine = z.extend(ChangeDetail, {
  detailType: z.enum(CHANGE_DETAIL_TYPES),
  source: z.literal(CHANGE_EVENT_SOURCE),
  /** When the line was written (EventBridge's `time` is when it took the event). */
  time: z.string(),
});
export type ChangeEventLine = z.infer<typeof ChangeEventLine>;

/** Idle polling; a read that found records is followed by the next one at once. */
const POLL_MS = 100;
/** After DynamoDB Local failed to answer, or the file could not be written. */
const RETRY_MS = 1000;
/** New shards are also found when one closes; this only catches what that misses. */
const DESCRIBE_EVERY_MS = 10_000;
const RECORDS_PER_READ = 1000;

const Checkpoint = z.object({
  streamArn: z.string(),
  /** Per shard: the last sequence number written, and whether the shard is closed and read to its end. */
  shards: z.record(z.string(), z.object({ after: z.optional(z.string()), closed: z.optional(z.boolean()) })),
});
type Checkpoint = z.infer<typeof Checkpoint>;

export interface ChangeStreamOptions {
  dynamoDbEndpoint: string;
  tableName: string;
  dataDir: string;
}

export interface ChangeStream {
  eventsFile: string;
  /** Reads what is left in the stream once more, then stops. */
  stop(): Promise<void>;
}

const log = logger.child({ component: 'local-change-stream' });

export function fileSink(eventsFile: string): ChangeEventSink {
  return {
    put: async (events) => {
      const time = new Date().toISOString();
      await appendFile(eventsFile, events.map((event) => `${JSON.stringify(lineOf(event, time))}\n`).join(''));
      return [];
    },
  };
}

const lineOf = ({ detailType, detail }: ChangeEvent, time: string): ChangeEventLine => ({
  ...detail,
  detailType,
  source: CHANGE_EVENT_SOURCE,
  time,
});

export async function startChangeStream(options: ChangeStreamOptions): Promise<ChangeStream> {
  const eventsFile = join(options.dataDir, EVENTS_FILE);
  const checkpointFile = join(options.dataDir, CHECKPOINT_FILE);
  const sink = fileSink(eventsFile);
  await mkdir(options.dataDir, { recursive: true });
  const streamArn = await latestStreamArn(options);
  // One attempt per call: the loop retries on its own schedule, and a stop must not wait on SDK backoff.
  const streams = new DynamoDBStreamsClient({
    endpoint: options.dynamoDbEndpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 5000 },
  });
  const checkpoint = await readCheckpoint(checkpointFile, streamArn);
  const iterators = new Map<string, string>();
  let describedAt = Number.NEGATIVE_INFINITY;

  const saveCheckpoint = async () => {
    await writeFile(`${checkpointFile}.tmp`, JSON.stringify(checkpoint));
    await rename(`${checkpointFile}.tmp`, checkpointFile);
  };

  /** Opens every shard not being read yet, a child only once its parent is read to its end. */
  const openShards = async () => {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    const present = new Set(shards.map((shard) => shard.ShardId));
    // Shards trimmed from the stream are forgotten.
    for (const shardId of Object.keys(checkpoint.shards)) if (!present.has(shardId)) delete checkpoint.shards[shardId];
    for (const { ShardId: shardId, ParentShardId: parent } of shards) {
      if (!shardId || iterators.has(shardId) || checkpoint.shards[shardId]?.closed) continue;
      if (parent && present.has(parent) && !checkpoint.shards[parent]?.closed) continue;
      iterators.set(shardId, await shardIterator(shardId, checkpoint.shards[shardId]?.after));
    }
    describedAt = performance.now();
  };

  const shardIterator = async (shardId: string, after: string | undefined): Promise<string> => {
    const from = async (position: {
      ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' | 'TRIM_HORIZON';
      SequenceNumber?: string;
    }) =>
      (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ...position })))
        .ShardIterator ?? '';
    if (!after) return from({ ShardIteratorType: 'TRIM_HORIZON' });
    try {
      return await from({ ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after });
    } catch (error) {
      // Older than the stream keeps (24 hours): what is left is all newer.
      if (error instanceof TrimmedDataAccessException) return from({ ShardIteratorType: 'TRIM_HORIZON' });
      throw error;
    }
  };

  /** One read of every open shard; answers how many records it read and whether writing failed. */
  const poll = async (): Promise<{ read: number; failed: boolean }> => {
    if (iterators.size === 0 || performance.now() - describedAt > DESCRIBE_EVERY_MS) await openShards();
    let read = 0;
    let failed = false;
    for (const [shardId, iterator] of iterators) {
      const { Records: records = [], NextShardIterator: next } = await streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: RECORDS_PER_READ }),
      );
      read += records.length;
      const { failedFrom } = await publishChangeRecords(sink, records);
      const written = records.slice(0, failedFrom);
      const last = written.at(-1)?.dynamodb?.SequenceNumber;
      if (last) checkpoint.shards[shardId] = { after: last };
      if (failedFrom !== undefined) {
        // Opened again after the last record written, on the next poll.
        failed = true;
        iterators.delete(shardId);
        describedAt = Number.NEGATIVE_INFINITY;
      } else if (next) {
        iterators.set(shardId, next);
      } else {
        // A closed shard, read to its end: its children are opened next.
        checkpoint.shards[shardId] = { ...checkpoint.shards[shardId], closed: true };
        iterators.delete(shardId);
        describedAt = Number.NEGATIVE_INFINITY;
      }
      if (last || !next) await saveCheckpoint();
    }
    return { read, failed };
  };

  let stopping = false;
  let wake = () => {};
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopping) return resolve();
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const running = (async () => {
    let failing = false;
    while (!stopping) {
      try {
        const { read, failed } = await poll();
        failing = false;
        if (failed) await pause(RETRY_MS);
        else if (read === 0) await pause(POLL_MS);
      } catch (error) {
        if (!failing) log.warn('reading the table stream failed; retrying', describeError(error));
        failing = true;
        iterators.clear();
        await pause(RETRY_MS);
      }
    }
    // Changes committed just before the stop still get their lines.
    await poll().catch(() => undefined);
  })();

  return {
    eventsFile,
    stop: async () => {
      stopping = true;
      wake();
      await running;
      streams.destroy();
    },
  };
}

async function latestStreamArn({ dynamoDbEndpoint, tableName }: ChangeStreamOptions): Promise<string> {
  const client = localDynamoDbClient(dynamoDbEndpoint);
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (!Table?.LatestStreamArn) throw new Error(`Table ${tableName} has no stream; the local stack enables it`);
    return Table.LatestStreamArn;
  } finally {
    client.destroy();
  }
}

/** The checkpoint of this stream, or an empty one (a new stream, or no usable file): read from the start. */
async function readCheckpoint(file: string, streamArn: string): Promise<Checkpoint> {
  const empty: Checkpoint = { streamArn, shards: {} };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return empty;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = Checkpoint.safeParse(json);
  if (!parsed.success) {
    log.warn('unreadable change stream checkpoint; reading the stream from its start', { file });
    return empty;
  }
  return parsed.data.streamArn === streamArn ? parsed.data : empty;
}
