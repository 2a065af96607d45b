import * as z from 'zod/mini';
import type { TableDeps } from '../dynamodb.js';
import { setAll } from '../expressions.js';
import { itemKeys, SK_PREFIX } from '../keys.js';
import { getItem, lazyShape, readTenantItems } from '../tenant-items.js';
import { putIfNew, type TransactItem } from '../transactions.js';
import { nonNegativeInt, positiveInt, sealedFields, timestamp } from './fields.js';
import { storedLineage, ValueLineage } from './secret-version.js';
import { trashedSecretItems } from './trashed-secret.js';
import type { SealedValue } from './value-item.js';

/**
 * A user secret (SK = SECRET#<id> in USER#<sub>): its metadata, record `version` and the
 * sealed value. Its name index entry (user-secret-name.ts) holds a copy of the metadata.
 */
export const UserSecretMetadataRecord = z.object({
  id: z.guid(),
  name: z.string().check(z.minLength(1)),
  provider: z.string(),
  masked_value: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
});
export type UserSecretMetadataRecord = z.infer<typeof UserSecretMetadataRecord>;

export const UserSecretRecord = z.object({
  ...UserSecretMetadataRecord.shape,
  version: positiveInt,
  /** UTF-8 bytes of the current value, counted toward the tenant's quota (absent on older items). */
  value_bytes: z.optional(nonNegativeInt),
  ...ValueLineage,
});
export type UserSecretRecord = z.infer<typeof UserSecretRecord>;

const userSecretValueRecord = () =>
  z.object({
    id: z.guid(),
    name: z.string().check(z.minLength(1)),
    value_version: positiveInt,
    ...sealedFields,
  });
export type UserSecretValueRecord = z.infer<ReturnType<typeof userSecretValueRecord>>;

/** Metadata reads name their attributes, so they never fetch ciphertext. */
export const USER_SECRET_METADATA_ATTRIBUTES = Object.keys(UserSecretRecord.shape);
const metadataShape = { schema: UserSecretRecord, type: 'user-secret', attributes: USER_SECRET_METADATA_ATTRIBUTES };
const valueShape = /* @__PURE__ */ lazyShape('user-secret-value', () => {
  const schema = userSecretValueRecord();
  return { schema, attributes: Object.keys(schema.shape) };
});
const withValueShape = /* @__PURE__ */ lazyShape('user-secret', () => ({
  schema: z.object({ ...UserSecretRecord.shape, ...sealedFields }),
}));

/** A deleted user secret in the trash (SK = TRASH#<id>). */
export const trashedUserSecretItem = /* @__PURE__ */ trashedSecretItems(UserSecretRecord, 'user-secret');

export const build = (tenant: string, record: UserSecretRecord, sealed: SealedValue): Record<string, unknown> => ({
  ...itemKeys.userSecret(tenant, record.id),
  ...storedLineage(record),
  ...sealed,
});

export const get = (table: TableDeps, tenant: string, id: string): Promise<UserSecretRecord | undefined> =>
  getItem(table, itemKeys.userSecret(tenant, id), metadataShape);

/** The record with its current value: what a write that keeps the value as a version reads. */
export const getWithValue = (table: TableDeps, tenant: string, id: string) =>
  getItem(table, itemKeys.userSecret(tenant, id), withValueShape);

/** Every sealed value of the tenant, with its name. */
export const values = (table: TableDeps, tenant: string): Promise<UserSecretValueRecord[]> =>
  readTenantItems(table, tenant, SK_PREFIX.secret, valueShape);

export const putNew = putIfNew;

/** A new value and what it did to the versions, on condition the record is still at `readVersion`. */
export function updateValue(
  { config }: TableDeps,
  tenant: string,
  change: Pick<
    UserSecretRecord,
    'id' | 'masked_value' | 'updated_at' | 'value_version' | 'value_at' | 'value_by' | 'history'
  > & { readVersion: number; sealed: SealedValue; value_bytes: number },
): TransactItem {
  const { id, readVersion, sealed, ...attributes } = change;
  const update = setAll({ ...storedLineage(attributes), ...sealed, version: readVersion + 1 });
  return {
    Update: {
      TableName: config.tableName,
      Key: itemKeys.userSecret(tenant, id),
      ...update,
      ConditionExpression: '#version = :read',
      ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':read': readVersion },
    },
  };
}

/** A new name, with the value sealed anew for it, on condition the record is still at `readVersion`. */
export function rename(
  { config }: TableDeps,
  tenant: string,
  change: { id: string; readVersion: number; name: string; sealed: SealedValue; updated_at: string },
): TransactItem {
  const update = setAll({
    name: change.name,
    ...change.sealed,
    updated_at: change.updated_at,
    version: change.readVersion + 1,
  });
  return {
    Update: {
      TableName: config.tableName,
      Key: itemKeys.userSecret(tenant, change.id),
      ...update,
      ConditionExpression: '#version = :read',
      ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':read': change.readVersion },
    },
  };
}

export function deleteIfVersion({ config }: TableDeps, tenant: string, id: string, version: number): TransactItem {
  return {
    Delete: {
      TableName: config.tableName,
      Key: itemKeys.userSecret(tenant, id),
      ConditionExpression: 'version = :read',
      ExpressionAttributeValues: { ':read': version },
    },
  };
}
