import * as z from 'zod/mini';
import { type CountedPage, queryCountedPage } from '../counted-page.js';
import type { TableDeps } from '../dynamodb.js';
import { setAll } from '../expressions.js';
import { itemKeys, SK_PREFIX } from '../keys.js';
import type { PageQuery } from '../page-query.js';
import { getItem, lazyShape, readTenantItems } from '../tenant-items.js';
import { putIfNew, type TransactItem } from '../transactions.js';
import { nonNegativeInt, positiveInt, sealedFields, timestamp } from './fields.js';
import { storedLineage, ValueLineage } from './secret-version.js';
import { trashedSecretItems } from './trashed-secret.js';
import type { SealedValue } from './value-item.js';

/**
 * An environment secret (SK = SECRET#<key> in ENV#<id>): metadata, record `version` and the
 * value sealed under the environment's data key with the secret's key as AAD record id.
 */

/** What a list shows of a secret: its metadata without the lineage of its values. */
export const EnvironmentSecretMetadataRecord = z.object({
  key: z.string(),
  description: z.string(),
  never_reveal: z.boolean(),
  masked_value: z.string(),
  version: positiveInt,
  created_at: timestamp,
  updated_at: timestamp,
  updated_by: z.string(),
  /** UTF-8 bytes of the current value, counted toward the tenant's quota (absent on older items). */
  value_bytes: z.optional(nonNegativeInt),
});
export type EnvironmentSecretMetadataRecord = z.infer<typeof EnvironmentSecretMetadataRecord>;

export const EnvironmentSecretRecord = z.object({ ...EnvironmentSecretMetadataRecord.shape, ...ValueLineage });
export type EnvironmentSecretRecord = z.infer<typeof EnvironmentSecretRecord>;

const environmentSecretValueRecord = () =>
  z.object({
    key: z.string(),
    never_reveal: z.boolean(),
    value_version: positiveInt,
    ...sealedFields,
  });
export type EnvironmentSecretValueRecord = z.infer<ReturnType<typeof environmentSecretValueRecord>>;

/** Metadata reads name their attributes, so they never fetch ciphertext. */
export const ENVIRONMENT_SECRET_METADATA_ATTRIBUTES = Object.keys(EnvironmentSecretRecord.shape);
/** A list reads less: no item's history travels with a page. */
export const ENVIRONMENT_SECRET_LIST_ATTRIBUTES = Object.keys(EnvironmentSecretMetadataRecord.shape);
const listShape = {
  schema: EnvironmentSecretMetadataRecord,
  type: 'environment-secret',
  attributes: ENVIRONMENT_SECRET_LIST_ATTRIBUTES,
};
const metadataShape = {
  schema: EnvironmentSecretRecord,
  type: 'environment-secret',
  attributes: ENVIRONMENT_SECRET_METADATA_ATTRIBUTES,
};
const valueShape = /* @__PURE__ */ lazyShape('environment-secret-value', () => {
  const schema = environmentSecretValueRecord();
  return { schema, attributes: Object.keys(schema.shape) };
});
/** What a value read fetches of an environment secret. */
export const environmentSecretValueAttributes = (): readonly string[] => valueShape.attributes!;

const withValueShape = /* @__PURE__ */ lazyShape('environment-secret', () => ({
  schema: z.object({ ...EnvironmentSecretRecord.shape, ...sealedFields }),
}));

/** A deleted environment secret in the trash (SK = TRASH#<key>); it keeps its key reserved. */
export const trashedEnvironmentSecretItem = /* @__PURE__ */ trashedSecretItems(
  EnvironmentSecretRecord,
  'environment-secret',
);

export const build = (
  tenant: string,
  record: EnvironmentSecretRecord,
  sealed: SealedValue,
): Record<string, unknown> => ({
  ...itemKeys.environmentSecret(tenant, record.key),
  ...storedLineage(record),
  ...sealed,
});

export const get = (table: TableDeps, tenant: string, key: string): Promise<EnvironmentSecretRecord | undefined> =>
  getItem(table, itemKeys.environmentSecret(tenant, key), metadataShape);

/** The record with its current value: what a write that keeps the value as a version reads. */
export const getWithValue = (table: TableDeps, tenant: string, key: string) =>
  getItem(table, itemKeys.environmentSecret(tenant, key), withValueShape);

export const getValue = (
  table: TableDeps,
  tenant: string,
  key: string,
): Promise<EnvironmentSecretValueRecord | undefined> =>
  getItem(table, itemKeys.environmentSecret(tenant, key), valueShape);

export const values = (table: TableDeps, tenant: string): Promise<EnvironmentSecretValueRecord[]> =>
  readTenantItems(table, tenant, SK_PREFIX.secret, valueShape);

/** One page of metadata in key order, with the environment's exact `total`. */
export const page = (
  table: TableDeps,
  tenant: string,
  page: PageQuery,
): Promise<CountedPage<EnvironmentSecretMetadataRecord>> =>
  queryCountedPage(table, tenant, SK_PREFIX.secret, page, listShape);

/** Fails when the key is taken. */
export const putNew = putIfNew;

/** The record as `next` (and the value as `sealed`, if it changed), if still at `readVersion`. */
export function updateIfVersion(
  { config }: TableDeps,
  tenant: string,
  next: EnvironmentSecretRecord,
  sealed: SealedValue | undefined,
  readVersion: number,
): TransactItem {
  const update = setAll({ ...storedLineage(next), ...sealed });
  return {
    Update: {
      TableName: config.tableName,
      Key: itemKeys.environmentSecret(tenant, next.key),
      ...update,
      ConditionExpression: '#version = :read',
      ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':read': readVersion },
    },
  };
}

export function deleteIfVersion({ config }: TableDeps, tenant: string, key: string, version: number): TransactItem {
  return {
    Delete: {
      TableName: config.tableName,
      Key: itemKeys.environmentSecret(tenant, key),
      ConditionExpression: '#version = :read',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':read': version },
    },
  };
}
