import * as z from 'zod/mini';
import type { TableDeps } from '../dynamodb.js';
import { itemKeys, SK_PREFIX } from '../keys.js';
import type { PageQuery } from '../page-query.js';
import { getItem, readTenantPage } from '../tenant-items.js';
import { putIfNew, type TransactItem } from '../transactions.js';
import { timestamp } from './fields.js';

/**
 * An environment's service token as its owners see it (SK = TOKEN#<id> in ENV#<id>): name,
 * who made it, expiry and last use, and the hash naming its lookup item (so a revocation can
 * delete both). The token itself is never stored.
 */
export const ServiceTokenRecord = z.object({
  id: z.guid(),
  name: z.string(),
  created_at: timestamp,
  created_by: z.string(),
  expiry: timestamp,
  last_used_at: z.optional(timestamp),
  token_hash: z.string(),
});
export type ServiceTokenRecord = z.infer<typeof ServiceTokenRecord>;

const shape = {
  schema: ServiceTokenRecord,
  type: 'service-token',
  attributes: Object.keys(ServiceTokenRecord.shape),
};

/** The item, expiring from the table (TTL) at the token's own expiry. */
export const build = (tenant: string, record: ServiceTokenRecord): Record<string, unknown> => ({
  ...itemKeys.serviceToken(tenant, record.id),
  ...record,
  expires_at: Math.floor(Date.parse(record.expiry) / 1000),
});

export const putNew = putIfNew;

export const get = (table: TableDeps, tenant: string, id: string): Promise<ServiceTokenRecord | undefined> =>
  getItem(table, itemKeys.serviceToken(tenant, id), shape);

/** One page in id order. */
export const page = (
  table: TableDeps,
  tenant: string,
  page: PageQuery,
): Promise<{ items: ServiceTokenRecord[]; nextCursor: string | null }> =>
  readTenantPage(table, tenant, SK_PREFIX.serviceToken, page, shape);

/** Records a use; only if the token still exists, so a use racing a revocation cannot bring it back. */
export function touch({ config }: TableDeps, tenant: string, id: string, usedAt: string): TransactItem {
  return {
    Update: {
      TableName: config.tableName,
      Key: itemKeys.serviceToken(tenant, id),
      UpdateExpression: 'SET last_used_at = :at',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':at': usedAt },
    },
  };
}

export function deleteItem({ config }: TableDeps, tenant: string, id: string): TransactItem {
  return {
    Delete: {
      TableName: config.tableName,
      Key: itemKeys.serviceToken(tenant, id),
      ConditionExpression: 'attribute_exists(PK)',
    },
  };
}

export { deleteItem as delete };
