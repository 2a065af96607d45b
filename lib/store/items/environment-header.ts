import * as z from 'zod/mini';
import type { TableDeps } from '../dynamodb.js';
import { itemKeys, purgeIndex } from '../keys.js';
import { getItem, getItems } from '../tenant-items.js';
import type { TransactItem } from '../transactions.js';
import { timestamp } from './fields.js';

/**
 * An environment's own attributes on its tenant header (SK = META in ENV#<id>), beside the
 * tenant attributes of tenant-header.ts, and its `owners` count. A deleted environment keeps
 * everything and carries `deleted_at`/`purge_at` until it is restored or purged; readers treat
 * it as gone (and past `purge_at` as purged).
 */
export const EnvironmentHeaderRecord = z.object({
  name: z.string(),
  description: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
  deleted_at: z.optional(timestamp),
  deleted_by: z.optional(z.string()),
  purge_at: z.optional(timestamp),
});
export type EnvironmentHeaderRecord = z.infer<typeof EnvironmentHeaderRecord>;

export const ENVIRONMENT_HEADER_ATTRIBUTES = Object.keys(EnvironmentHeaderRecord.shape);
const shape = {
  schema: EnvironmentHeaderRecord,
  type: 'environment-header',
  attributes: ENVIRONMENT_HEADER_ATTRIBUTES,
};

/** Only a live environment changes; a deleted one only comes back through `restore`. */
const LIVE = 'attribute_exists(PK) AND attribute_not_exists(deleted_at)';

export const get = (table: TableDeps, tenant: string): Promise<EnvironmentHeaderRecord | undefined> =>
  getItem(table, itemKeys.tenantMeta(tenant), shape);

/** The headers of many environments in one request (each `undefined` if there is none). */
export const getMany = (
  table: TableDeps,
  tenants: readonly string[],
): Promise<(EnvironmentHeaderRecord | undefined)[]> => getItems(table, tenants.map(itemKeys.tenantMeta), shape);

/** A new environment: no secrets yet, its creator the one owner. */
export function putNew(
  { config }: TableDeps,
  tenant: string,
  header: EnvironmentHeaderRecord,
  createdBy: string,
): TransactItem {
  return {
    Put: {
      TableName: config.tableName,
      Item: { ...itemKeys.tenantMeta(tenant), ...header, created_by: createdBy, total: 0, owners: 1 },
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  };
}

/**
 * New name and description of a live environment, on condition both are still as `read`:
 * a concurrent rename fails it, so the caller re-reads and no field is lost.
 */
export function rename(
  { config }: TableDeps,
  tenant: string,
  next: Pick<EnvironmentHeaderRecord, 'name' | 'description' | 'updated_at'>,
  read: Pick<EnvironmentHeaderRecord, 'name' | 'description'>,
): TransactItem {
  return {
    Update: {
      TableName: config.tableName,
      Key: itemKeys.tenantMeta(tenant),
      UpdateExpression: 'SET #name = :name, description = :description, updated_at = :now',
      ConditionExpression: `${LIVE} AND #name = :readName AND description = :readDescription`,
      ExpressionAttributeNames: { '#name': 'name' },
      ExpressionAttributeValues: {
        ':name': next.name,
        ':description': next.description,
        ':now': next.updated_at,
        ':readName': read.name,
        ':readDescription': read.description,
      },
    },
  };
}

/** Marks a live environment deleted: everything stays, readers treat it as gone until restored. */
export function markDeleted(
  { config }: TableDeps,
  tenant: string,
  deletion: Required<Pick<EnvironmentHeaderRecord, 'deleted_at' | 'deleted_by' | 'purge_at'>>,
): TransactItem {
  return {
    Update: {
      TableName: config.tableName,
      Key: itemKeys.tenantMeta(tenant),
      UpdateExpression: 'SET deleted_at = :at, deleted_by = :by, purge_at = :purge, GSI1PK = :index, GSI1SK = :due',
      ConditionExpression: LIVE,
      ExpressionAttributeValues: {
        ':at': deletion.deleted_at,
        ':by': deletion.deleted_by,
        ':purge': deletion.purge_at,
        ':index': purgeIndex.partition,
        ':due': purgeIndex.entry(deletion.purge_at, tenant).GSI1SK,
      },
    },
  };
}

/** Brings a deleted environment back, as long as it is not due for purging at `now`. */
export function restore({ config }: TableDeps, tenant: string, now: string): TransactItem {
  return {
    Update: {
      TableName: config.tableName,
      Key: itemKeys.tenantMeta(tenant),
      UpdateExpression: 'SET updated_at = :now REMOVE deleted_at, deleted_by, purge_at, GSI1PK, GSI1SK',
      ConditionExpression: 'attribute_exists(deleted_at) AND purge_at > :now',
      ExpressionAttributeValues: { ':now': now },
    },
  };
}

/** Moves the owner count (nothing to write for 0); losing an owner is refused when it would leave none. */
export function countOwners({ config }: TableDeps, tenant: string, delta: -1 | 0 | 1): TransactItem | undefined {
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
}

/** Whether an environment can be used: it exists and is not deleted. */
export const isLive = (header: EnvironmentHeaderRecord | undefined): header is EnvironmentHeaderRecord =>
  header !== undefined && header.deleted_at === undefined;

/** Whether a deleted environment can still be restored at `now` (ISO time). */
export const isRestorable = (header: EnvironmentHeaderRecord | undefined, now: string): boolean =>
  header?.deleted_at !== undefined && header.purge_at !== undefined && header.purge_at > now;
