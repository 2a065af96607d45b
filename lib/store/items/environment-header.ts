import * as z from 'zod/mini';
import type { TableDeps } from '../dynamodb.js';
import { itemKeys } from '../keys.js';
import { getItem } from '../tenant-items.js';
import type { TransactItem } from '../transactions.js';

/**
 * An environment's own attributes on its tenant header (SK = META in ENV#<id>), beside the
 * tenant attributes of tenant-header.ts, and its `owners` count. Member items carry a copy,
 * so a user's environments list is one Query; a future rename must rewrite those copies too.
 */
export const EnvironmentHeaderRecord = z.object({
  name: z.string(),
  description: z.string(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type EnvironmentHeaderRecord = z.infer<typeof EnvironmentHeaderRecord>;

const shape = {
  schema: EnvironmentHeaderRecord,
  type: 'environment-header',
  attributes: Object.keys(EnvironmentHeaderRecord.shape),
};

export const environmentHeaderItem = {
  get: (table: TableDeps, tenant: string): Promise<EnvironmentHeaderRecord | undefined> =>
    getItem(table, itemKeys.tenantMeta(tenant), shape),

  /** A new environment: no secrets yet, its creator the one owner. */
  putNew({ config }: TableDeps, tenant: string, header: EnvironmentHeaderRecord, createdBy: string): TransactItem {
    return {
      Put: {
        TableName: config.tableName,
        Item: { ...itemKeys.tenantMeta(tenant), ...header, created_by: createdBy, total: 0, owners: 1 },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    };
  },

  /** Moves the owner count (nothing to write for 0); losing an owner is refused when it would leave none. */
  countOwners({ config }: TableDeps, tenant: string, delta: -1 | 0 | 1): TransactItem | undefined {
    if (delta === 0) return undefined;
    const update = {
      TableName: config.tableName,
      Key: itemKeys.tenantMeta(tenant),
      UpdateExpression: 'ADD #owners :delta',
      ExpressionAttributeNames: { '#owners': 'owners' },
    };
    if (delta === 1) return { Update: { ...update, ExpressionAttributeValues: { ':delta': delta } } };
    return {
      Update: {
        ...update,
        ConditionExpression: '#owners > :one',
        ExpressionAttributeValues: { ':delta': delta, ':one': 1 },
      },
    };
  },
};
