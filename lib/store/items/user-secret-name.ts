import { type CountedPage, queryCountedPage } from '../counted-page.js';
import type { TableDeps } from '../dynamodb.js';
import { itemKeys, SK_PREFIX } from '../keys.js';
import type { PageQuery } from '../page-query.js';
import { putIfNew, type TransactItem } from '../transactions.js';
import { UserSecretMetadataRecord } from './user-secret.js';

/**
 * The name index entry of a user secret (SK = NAME#<name>): it makes names unique per user
 * and, holding a copy of the metadata, lets the sorted list read no secret item at all.
 */
const shape = { schema: UserSecretMetadataRecord, type: 'user-secret-name' };

export const build = (tenant: string, metadata: UserSecretMetadataRecord): Record<string, unknown> => ({
  ...itemKeys.userSecretName(tenant, metadata.name),
  ...metadata,
});

/** One page in name order, with the tenant's exact `total`. */
export const page = (
  table: TableDeps,
  tenant: string,
  page: PageQuery,
): Promise<CountedPage<UserSecretMetadataRecord>> =>
  queryCountedPage(table, tenant, SK_PREFIX.userSecretName, page, shape);

/** Fails when the name is taken. */
export const putNew = putIfNew;

/** Copies a new masked value, on condition the name still belongs to secret `id`. */
export function updateMask(
  { config }: TableDeps,
  tenant: string,
  change: { name: string; id: string; masked_value: string; updated_at: string },
): TransactItem {
  return {
    Update: {
      TableName: config.tableName,
      Key: itemKeys.userSecretName(tenant, change.name),
      UpdateExpression: 'SET masked_value = :masked, updated_at = :now',
      ConditionExpression: 'id = :id',
      ExpressionAttributeValues: { ':masked': change.masked_value, ':now': change.updated_at, ':id': change.id },
    },
  };
}

export function deleteIfOwnedBy({ config }: TableDeps, tenant: string, name: string, id: string): TransactItem {
  return {
    Delete: {
      TableName: config.tableName,
      Key: itemKeys.userSecretName(tenant, name),
      ConditionExpression: 'id = :id',
      ExpressionAttributeValues: { ':id': id },
    },
  };
}
