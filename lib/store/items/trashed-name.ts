import * as z from 'zod/mini';
import type { TableDeps } from '../dynamodb.js';
import { itemKeys } from '../keys.js';
import { getItem } from '../tenant-items.js';
import type { TransactItem } from '../transactions.js';

/**
 * A trashed user secret's name (SK = TRASHNAME#<name>): it keeps the name reserved while the
 * secret is in the trash, and says which trashed secret holds it. It expires with the secret.
 */
const TrashedNameRecord = z.object({ id: z.guid(), expires_at: z.number() });
const shape = { schema: TrashedNameRecord, type: 'trashed-name' };

export const put = (
  { config }: TableDeps,
  tenant: string,
  name: string,
  id: string,
  expiresAt: number,
): TransactItem => ({
  Put: { TableName: config.tableName, Item: { ...itemKeys.trashedName(tenant, name), id, expires_at: expiresAt } },
});

/** The id of the trashed secret holding `name`, unless it is past its window. */
export async function holder(
  table: TableDeps,
  tenant: string,
  name: string,
  nowSeconds: number,
): Promise<string | undefined> {
  const record = await getItem(table, itemKeys.trashedName(tenant, name), shape);
  return record && record.expires_at > nowSeconds ? record.id : undefined;
}

/** Holds when no trashed secret within its window holds `name`. */
export const free = ({ config }: TableDeps, tenant: string, name: string, nowSeconds: number): TransactItem => ({
  ConditionCheck: {
    TableName: config.tableName,
    Key: itemKeys.trashedName(tenant, name),
    ConditionExpression: 'attribute_not_exists(PK) OR expires_at <= :now',
    ExpressionAttributeValues: { ':now': nowSeconds },
  },
});

export const deleteIfHeldBy = ({ config }: TableDeps, tenant: string, name: string, id: string): TransactItem => ({
  Delete: {
    TableName: config.tableName,
    Key: itemKeys.trashedName(tenant, name),
    ConditionExpression: 'id = :id',
    ExpressionAttributeValues: { ':id': id },
  },
});
