import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { TableDeps } from '../dynamodb.js';
import { SK_PREFIX } from '../keys.js';
import { getItem, readTenantItems } from '../tenant-items.js';

/**
 * Any item holding a sealed value (SK = SECRET#…), user or environment secret alike, as
 * rotation sees it: the ciphertext `ct`, the data key version `kv` it is sealed under, and
 * the record `version` that guards against overwriting a concurrent write.
 */
export interface SealedValue {
  kv: number;
  ct: Uint8Array;
}

const ValueItemRecord = z.object({
  SK: z.string().check(z.startsWith(SK_PREFIX.secret)),
  kv: z.int().check(z.positive()),
  ct: z.instanceof(Uint8Array),
  version: z.int().check(z.positive()),
});
export type ValueItem = z.infer<typeof ValueItemRecord>;
const shape = { schema: ValueItemRecord, type: 'secret-value', attributes: ['SK', 'kv', 'ct', 'version'] };

/** When a value last changed, for telling which ones are due for rotation by their owner. */
const ValueAgeRecord = z.object({
  SK: z.string(),
  name: z.optional(z.string()),
  updated_at: z.optional(z.string()),
  updatedAt: z.optional(z.string()),
});
export type ValueAge = z.infer<typeof ValueAgeRecord>;

const SWEEP_PAGE_SIZE = 500;

export const valueItem = {
  /** The AAD record id of a value item: what follows `SECRET#` in its sort key. */
  recordId: (item: Pick<ValueItem, 'SK'>): string => item.SK.slice(SK_PREFIX.secret.length),

  all: (table: TableDeps, tenant: string): Promise<ValueItem[]> =>
    readTenantItems(table, tenant, SK_PREFIX.secret, shape, SWEEP_PAGE_SIZE),

  get: (table: TableDeps, tenant: string, sortKey: string): Promise<ValueItem | undefined> =>
    getItem(table, { PK: tenant, SK: sortKey }, shape),

  ages: (table: TableDeps, tenant: string): Promise<ValueAge[]> =>
    readTenantItems(table, tenant, SK_PREFIX.secret, {
      schema: ValueAgeRecord,
      type: 'secret-age',
      attributes: ['SK', 'name', 'updated_at', 'updatedAt'],
    }),

  /** Stores the value re-sealed; `false` when a concurrent write or delete changed it first. */
  async reseal({ ddb, config }: TableDeps, tenant: string, read: ValueItem, sealed: SealedValue): Promise<boolean> {
    try {
      await ddb.send(
        new UpdateCommand({
          TableName: config.tableName,
          Key: { PK: tenant, SK: read.SK },
          UpdateExpression: 'SET ct = :ct, kv = :to',
          ConditionExpression: 'version = :version AND kv = :from',
          ExpressionAttributeValues: { ':ct': sealed.ct, ':to': sealed.kv, ':version': read.version, ':from': read.kv },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  },
};
