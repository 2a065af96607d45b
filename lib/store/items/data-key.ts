import { paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { whenConditionHolds } from '../conditions.js';
import type { TableDeps } from '../dynamodb.js';
import { type DataKeyIndexStatus, dataKeyIndex, itemKeys, SK_PREFIX } from '../keys.js';
import { TABLE_DEFINITION } from '../table.js';
import { getItem, readTenantItems } from '../tenant-items.js';
import { putIfNew, type TransactItem } from '../transactions.js';
import { bytes, positiveInt } from './fields.js';

/**
 * A tenant's data key of one version (SK = DATAKEY#<000001>), stored only KMS-wrapped. Keys
 * that are active or retiring sit in the sparse GSI1, oldest first, so rotation finds them.
 */
export const DataKeyRecord = z.object({
  version: positiveInt,
  wrapped_key: bytes,
  kms_key_id: z.string(),
  status: z.enum(['active', 'retiring', 'retired']),
  created_at: z.string(),
});
export type DataKeyRecord = z.infer<typeof DataKeyRecord>;

const shape = { schema: DataKeyRecord, type: 'data-key' };
const INDEX = TABLE_DEFINITION.indexes[0].name;

/** The item of a new, active key version. */
export function build(
  tenant: string,
  record: {
    version: number;
    wrapped_key: Uint8Array | undefined;
    kms_key_id: string | undefined;
    created_at: string;
  },
): Record<string, unknown> {
  return {
    ...itemKeys.dataKey(tenant, record.version),
    ...dataKeyIndex.entry('active', record.created_at, tenant),
    ...record,
    status: 'active',
  };
}

export const get = (table: TableDeps, tenant: string, version: number): Promise<DataKeyRecord | undefined> =>
  getItem(table, itemKeys.dataKey(tenant, version), shape);

export const putNew = putIfNew;

// Rotation's own operations follow; endpoint bundles drop them, as they drop every operation
// their route does not call.

export const all = (table: TableDeps, tenant: string): Promise<DataKeyRecord[]> =>
  readTenantItems(table, tenant, SK_PREFIX.dataKey, shape);

export function markRetiring({ config }: TableDeps, tenant: string, version: number): TransactItem {
  return {
    Update: {
      TableName: config.tableName,
      Key: itemKeys.dataKey(tenant, version),
      UpdateExpression: 'SET #status = :retiring, GSI1PK = :partition',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':retiring': 'retiring', ':partition': dataKeyIndex.partition('retiring') },
    },
  };
}

/** Retired keys leave the index but stay readable, for values a rotation has not reached. */
export function markRetired({ config }: TableDeps, tenant: string, version: number, at: string): TransactItem {
  return {
    Update: {
      TableName: config.tableName,
      Key: itemKeys.dataKey(tenant, version),
      UpdateExpression: 'SET #status = :retired, retired_at = :now REMOVE GSI1PK, GSI1SK',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':retired': 'retired', ':now': at },
    },
  };
}

/** Stores a key re-wrapped under another KMS key; `false` when someone re-wrapped it first. */
export function rewrap(
  { ddb, config }: TableDeps,
  tenant: string,
  record: DataKeyRecord,
  rewrapped: { wrapped_key: Uint8Array | undefined; kms_key_id: string | undefined },
): Promise<boolean> {
  return whenConditionHolds(
    ddb.send(
      new UpdateCommand({
        TableName: config.tableName,
        Key: itemKeys.dataKey(tenant, record.version),
        UpdateExpression: 'SET wrapped_key = :wrapped, kms_key_id = :key',
        ConditionExpression: 'wrapped_key = :old',
        ExpressionAttributeValues: {
          ':wrapped': rewrapped.wrapped_key,
          ':key': rewrapped.kms_key_id,
          ':old': record.wrapped_key,
        },
      }),
    ),
  );
}

/** Tenants with a key of `status` created before `createdBefore`, oldest first, via GSI1. */
export async function tenantsWith(
  { ddb, config }: TableDeps,
  status: DataKeyIndexStatus,
  createdBefore?: string,
): Promise<string[]> {
  const tenants: string[] = [];
  const pages = paginateQuery(
    { client: ddb },
    {
      TableName: config.tableName,
      IndexName: INDEX,
      KeyConditionExpression: createdBefore ? 'GSI1PK = :pk AND GSI1SK < :before' : 'GSI1PK = :pk',
      ExpressionAttributeValues: {
        ':pk': dataKeyIndex.partition(status),
        ...(createdBefore ? { ':before': createdBefore } : {}),
      },
      ProjectionExpression: 'PK',
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) tenants.push(String(item.PK));
  return tenants;
}
