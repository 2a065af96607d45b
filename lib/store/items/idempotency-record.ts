import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { whenConditionHolds } from '../conditions.js';
import type { TableDeps } from '../dynamodb.js';
import { itemKeys } from '../keys.js';
import { getItem, lazyShape } from '../tenant-items.js';
import type { TransactItem } from '../transactions.js';

/**
 * A caller's idempotency record (PK = IDEMPOTENCY#<sub>, SK = KEY#<key>): the fingerprint of
 * the request first sent with the key, who holds it (`claim`) while it runs, and once done the
 * response to replay. Responses of write routes hold metadata only, never a value.
 */
const idempotencyRecord = () =>
  z.object({
    fingerprint: z.string(),
    status: z.enum(['in_progress', 'completed']),
    claim: z.string(),
    /** Epoch ms until which a request in progress keeps the key; after it, a retry may take over. */
    locked_until: z.number(),
    /** Epoch seconds, the table's TTL attribute. */
    expires_at: z.number(),
    response: z.optional(
      z.object({
        statusCode: z.int(),
        headers: z.record(z.string(), z.string()),
        body: z.optional(z.string()),
      }),
    ),
  });
export type IdempotencyRecord = z.infer<ReturnType<typeof idempotencyRecord>>;
export type StoredResponse = NonNullable<IdempotencyRecord['response']>;

// Built on first use: only a request that sends an Idempotency-Key reads one.
const shape = /* @__PURE__ */ lazyShape('idempotency', () => ({ schema: idempotencyRecord() }));

/** A claim on a key: whose record, and the id that proves the holder. */
export interface IdempotencyClaim {
  sub: string;
  key: string;
  claim: string;
}

const COMPLETE = {
  UpdateExpression: 'SET #status = :completed, #response = :response',
  ConditionExpression: 'claim = :claim AND #status = :in_progress',
  ExpressionAttributeNames: { '#status': 'status', '#response': 'response' },
};

export const get = (table: TableDeps, sub: string, key: string): Promise<IdempotencyRecord | undefined> =>
  getItem(table, itemKeys.idempotency(sub, key), shape);

/** Writes a fresh record unless one holds the key; an expired one (TTL not run yet) does not. */
export async function claimNew(
  { ddb, config }: TableDeps,
  claim: IdempotencyClaim,
  record: IdempotencyRecord,
  nowSeconds: number,
): Promise<boolean> {
  return whenConditionHolds(
    ddb.send(
      new PutCommand({
        TableName: config.tableName,
        Item: { ...itemKeys.idempotency(claim.sub, claim.key), ...record },
        ConditionExpression: 'attribute_not_exists(PK) OR expires_at < :now',
        ExpressionAttributeValues: { ':now': nowSeconds },
      }),
    ),
  );
}

/** Takes over a record whose holder's lock ran out, for the same request only. */
export async function takeOver(
  { ddb, config }: TableDeps,
  claim: IdempotencyClaim,
  { fingerprint, lockedUntil, nowMs }: { fingerprint: string; lockedUntil: number; nowMs: number },
): Promise<boolean> {
  return whenConditionHolds(
    ddb.send(
      new UpdateCommand({
        TableName: config.tableName,
        Key: itemKeys.idempotency(claim.sub, claim.key),
        UpdateExpression: 'SET claim = :claim, locked_until = :until',
        ConditionExpression: '#status = :in_progress AND locked_until < :now AND fingerprint = :fingerprint',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':claim': claim.claim,
          ':until': lockedUntil,
          ':now': nowMs,
          ':fingerprint': fingerprint,
          ':in_progress': 'in_progress',
        },
      }),
    ),
  );
}

/** Completes the record in the write's own transaction: it fails the write if the claim was lost. */
export function completeItem({ config }: TableDeps, claim: IdempotencyClaim, response: StoredResponse): TransactItem {
  return {
    Update: {
      TableName: config.tableName,
      Key: itemKeys.idempotency(claim.sub, claim.key),
      ...COMPLETE,
      ExpressionAttributeValues: completeValues(claim, response),
    },
  };
}

/** Deletes the record while its holder still holds it in progress. */
export async function release({ ddb, config }: TableDeps, claim: IdempotencyClaim): Promise<boolean> {
  return whenConditionHolds(
    ddb.send(
      new DeleteCommand({
        TableName: config.tableName,
        Key: itemKeys.idempotency(claim.sub, claim.key),
        ConditionExpression: 'claim = :claim AND #status = :in_progress',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':claim': claim.claim, ':in_progress': 'in_progress' },
      }),
    ),
  );
}

/** Completes the record on its own; false when it was already completed (or the claim lost). */
export async function complete(table: TableDeps, claim: IdempotencyClaim, response: StoredResponse): Promise<boolean> {
  return whenConditionHolds(table.ddb.send(new UpdateCommand(completeItem(table, claim, response).Update!)));
}

function completeValues(claim: IdempotencyClaim, response: StoredResponse): Record<string, unknown> {
  return { ':completed': 'completed', ':response': response, ':claim': claim.claim, ':in_progress': 'in_progress' };
}
