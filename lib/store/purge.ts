import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteCommand, DeleteCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { whenConditionHolds } from './conditions.js';
import type { TableDeps } from './dynamodb.js';
import { itemKeys, type Key, purgeIndex, SK_META } from './keys.js';
import { parseRecord } from './records.js';
import { TABLE_DEFINITION } from './table.js';

/** BatchWriteItem's most requests per call. */
const BATCH_WRITE_LIMIT = 25;
const INDEX = TABLE_DEFINITION.indexes[0].name;

/** Deleted environments whose recovery window closed before `now` (ISO time), soonest first. */
export async function environmentsDueForPurge({ ddb, config }: TableDeps, now: string): Promise<string[]> {
  const tenants: string[] = [];
  const pages = paginateQuery(
    { client: ddb },
    {
      TableName: config.tableName,
      IndexName: INDEX,
      KeyConditionExpression: 'GSI1PK = :pk AND GSI1SK < :now',
      ExpressionAttributeValues: { ':pk': purgeIndex.partition, ':now': now },
      ProjectionExpression: 'PK',
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) tenants.push(String(item.PK));
  return tenants;
}

const PurgedItem = z.object({ PK: z.string(), SK: z.string(), token_hash: z.optional(z.string()) });

/**
 * Every key a tenant's purge deletes, its header last: the tenant's items and, for each of its
 * service tokens, the lookup item outside the tenant that would otherwise keep naming it.
 */
export async function purgeKeysOf({ ddb, config }: TableDeps, tenant: string): Promise<Key[]> {
  const keys: Key[] = [];
  const pages = paginateQuery(
    { client: ddb },
    {
      TableName: config.tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': tenant },
      ProjectionExpression: 'PK, SK, token_hash',
      ConsistentRead: true,
    },
  );
  for await (const page of pages) {
    for (const raw of page.Items ?? []) {
      const item = parseRecord(PurgedItem, raw, 'purged-item');
      if (item.token_hash) keys.push(itemKeys.serviceTokenLookup(item.token_hash));
      if (item.SK !== SK_META) keys.push({ PK: item.PK, SK: item.SK });
    }
  }
  return keys;
}

/** Deletes items by key, 25 per request, asking again for what DynamoDB left unprocessed. */
export async function deleteItems({ ddb, config }: TableDeps, keys: readonly Key[]): Promise<void> {
  for (let start = 0; start < keys.length; start += BATCH_WRITE_LIMIT) {
    let pending = keys.slice(start, start + BATCH_WRITE_LIMIT).map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      const { UnprocessedItems } = await ddb.send(
        new BatchWriteCommand({ RequestItems: { [config.tableName]: pending } }),
      );
      pending = (UnprocessedItems?.[config.tableName] ?? []) as typeof pending;
      if (pending.length > 0) await sleep(Math.min(100, 5 * 2 ** attempt) * Math.random());
    }
  }
}

/**
 * Deletes a deleted environment's header last, and only if it is still deleted and due: an
 * environment restored meanwhile keeps it. `false` when it was not deleted.
 */
export function deleteDueHeader({ ddb, config }: TableDeps, tenant: string, now: string): Promise<boolean> {
  return whenConditionHolds(
    ddb.send(
      new DeleteCommand({
        TableName: config.tableName,
        Key: itemKeys.tenantMeta(tenant),
        ConditionExpression: 'attribute_exists(deleted_at) AND purge_at < :now',
        ExpressionAttributeValues: { ':now': now },
      }),
    ),
  );
}
