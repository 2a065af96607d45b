import * as z from 'zod/mini';
import type { TableDeps } from '../dynamodb.js';
import { itemKeys } from '../keys.js';
import { getItem } from '../tenant-items.js';
import { putIfNew, type TransactItem } from '../transactions.js';
import { timestamp } from './fields.js';

/**
 * How a presented service token is found: one strongly consistent GetItem by the SHA-256 of
 * its secret (PK = SERVICETOKEN#<hash>). Deleting it revokes the token at once; the TTL
 * removes it after its expiry, which reads check themselves.
 */
export const ServiceTokenLookupRecord = z.object({
  environment_id: z.guid(),
  token_id: z.guid(),
  expiry: timestamp,
  /** When its last use was recorded: uses are recorded at most once a minute. */
  last_used_at: z.optional(timestamp),
});
export type ServiceTokenLookupRecord = z.infer<typeof ServiceTokenLookupRecord>;

const shape = {
  schema: ServiceTokenLookupRecord,
  type: 'service-token-lookup',
  attributes: Object.keys(ServiceTokenLookupRecord.shape),
};

export const build = (tokenHash: string, record: ServiceTokenLookupRecord): Record<string, unknown> => ({
  ...itemKeys.serviceTokenLookup(tokenHash),
  ...record,
  expires_at: Math.floor(Date.parse(record.expiry) / 1000),
});

export const putNew = putIfNew;

export const get = (table: TableDeps, tokenHash: string): Promise<ServiceTokenLookupRecord | undefined> =>
  getItem(table, itemKeys.serviceTokenLookup(tokenHash), shape);

/**
 * Records a use at `usedAt` unless one was recorded since `since` (or by another request
 * in between): concurrent uses write once.
 */
export function touch({ config }: TableDeps, tokenHash: string, usedAt: string, since: string): TransactItem {
  return {
    Update: {
      TableName: config.tableName,
      Key: itemKeys.serviceTokenLookup(tokenHash),
      UpdateExpression: 'SET last_used_at = :at',
      ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(last_used_at) OR last_used_at < :since)',
      ExpressionAttributeValues: { ':at': usedAt, ':since': since },
    },
  };
}

export function deleteItem({ config }: TableDeps, tokenHash: string): TransactItem {
  return { Delete: { TableName: config.tableName, Key: itemKeys.serviceTokenLookup(tokenHash) } };
}

export { deleteItem as delete };
