import type { DynamoDBDocumentClient, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Counters } from './target-client.js';

/**
 * Counts a DynamoDB client's calls and, while `measureUnits` is on, the request units they
 * consume — off during timed runs, so those send exactly what the service sends.
 *
 * Reads and single-item writes use what DynamoDB Local reports when asked
 * (ReturnConsumedCapacity). For TransactWriteItems it reports one item only, so those are
 * worked out as AWS bills them: 2 WRU per item per started KB, from the request. Updates,
 * deletes and condition checks are taken as one KB: every item the bench touches is smaller.
 */
export function countDynamoDbUsage(ddb: DynamoDBDocumentClient) {
  let calls: Record<string, number> = {};
  let readUnits = 0;
  let writeUnits = 0;
  const usage = {
    measureUnits: false,
    read: (): Counters['dynamodb'] => ({ calls: { ...calls }, readUnits, writeUnits }),
    reset: () => {
      calls = {};
      readUnits = 0;
      writeUnits = 0;
    },
  };
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      calls[operation] = (calls[operation] ?? 0) + 1;
      if (!usage.measureUnits) return next(args);
      const input = args.input as { ReturnConsumedCapacity?: string } & Partial<TransactWriteCommandInput>;
      if (operation.startsWith('TransactWrite')) {
        writeUnits += (input.TransactItems ?? []).reduce(
          (sum, item) => sum + 2 * Math.max(1, Math.ceil(itemBytes(item.Put?.Item) / 1024)),
          0,
        );
        return next(args);
      }
      input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity;
      if (/^(Get|Query|Scan|BatchGet)/.test(operation)) readUnits += consumed?.CapacityUnits ?? 0;
      else writeUnits += consumed?.CapacityUnits ?? 0;
      return result;
    },
    { step: 'initialize', name: 'benchUsageCounter' },
  );
  return usage;
}

/** An item's size as DynamoDB counts it: attribute names plus values (numbers at their 21-byte maximum). */
function itemBytes(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return 21;
  if (typeof value === 'boolean' || value === null) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, element) => sum + 1 + itemBytes(element), 0);
  if (value instanceof Set) return [...value].reduce((sum: number, element) => sum + itemBytes(element), 0);
  return Object.entries(value as Record<string, unknown>).reduce(
    (sum, [name, element]) => sum + Buffer.byteLength(name) + itemBytes(element),
    0,
  );
}
