import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { whenConditionHolds } from '../conditions.js';
import type { TableDeps } from '../dynamodb.js';
import { SEALED_VALUE_PREFIXES, SK_PREFIX, sealedRecordId } from '../keys.js';
import { getItem, readTenantItems } from '../tenant-items.js';
import { bytes, positiveInt } from './fields.js';

/**
 * Any item holding a sealed value — a secret's current value (SECRET#), an earlier version
 * (VERSION#) or a trashed secret (TRASH#), of either API — as rotation sees it: the ciphertext
 * `ct`, the data key version `kv` it is sealed under, and what else its AAD names.
 */
export interface SealedValue {
  kv: number;
  ct: Uint8Array;
}

/** Where a sealed value belongs: everything its AAD names but the tenant and key version. */
export interface ValueSlot {
  recordId: string;
  name: string;
  valueVersion: number;
}

const ValueItemRecord = z.object({
  SK: z.string(),
  kv: positiveInt,
  ct: bytes,
  value_version: positiveInt,
  /** The name the value is bound to: a user secret's or a version's `name`, an environment secret's `key`. */
  name: z.optional(z.string()),
  key: z.optional(z.string()),
});
export type ValueItem = z.infer<typeof ValueItemRecord>;
const shape = {
  schema: ValueItemRecord,
  type: 'secret-value',
  attributes: ['SK', 'kv', 'ct', 'value_version', 'name', 'key'],
};

/** When a value last changed, for telling which ones are due for rotation by their owner. */
const ValueAgeRecord = z.object({
  SK: z.string(),
  name: z.optional(z.string()),
  updated_at: z.optional(z.string()),
  updatedAt: z.optional(z.string()),
});
export type ValueAge = z.infer<typeof ValueAgeRecord>;

const SWEEP_PAGE_SIZE = 500;

/** Where the value belongs, as its AAD names it (all but the tenant and key version). */
export const slot = (item: ValueItem): ValueSlot => ({
  recordId: sealedRecordId(item.SK),
  name: item.name ?? item.key ?? '',
  valueVersion: item.value_version,
});

/** Every sealed value of the tenant: current values, kept versions and the trash. */
export const all = async (table: TableDeps, tenant: string): Promise<ValueItem[]> =>
  (
    await Promise.all(
      SEALED_VALUE_PREFIXES.map((prefix) => readTenantItems(table, tenant, prefix, shape, SWEEP_PAGE_SIZE)),
    )
  ).flat();

export const get = (table: TableDeps, tenant: string, sortKey: string): Promise<ValueItem | undefined> =>
  getItem(table, { PK: tenant, SK: sortKey }, shape);

export const ages = (table: TableDeps, tenant: string): Promise<ValueAge[]> =>
  readTenantItems(table, tenant, SK_PREFIX.secret, {
    schema: ValueAgeRecord,
    type: 'secret-age',
    attributes: ['SK', 'name', 'updated_at', 'updatedAt'],
  });

/** Stores the value re-sealed; `false` when a concurrent write or delete changed it first. */
export const reseal = (
  { ddb, config }: TableDeps,
  tenant: string,
  read: ValueItem,
  sealed: SealedValue,
): Promise<boolean> =>
  whenConditionHolds(
    ddb.send(
      new UpdateCommand({
        TableName: config.tableName,
        Key: { PK: tenant, SK: read.SK },
        UpdateExpression: 'SET ct = :ct, kv = :to',
        // Still exactly the ciphertext read (each has its own IV): any write in between wins.
        ConditionExpression: 'ct = :read AND kv = :from',
        ExpressionAttributeValues: { ':ct': sealed.ct, ':to': sealed.kv, ':read': read.ct, ':from': read.kv },
      }),
    ),
  );
