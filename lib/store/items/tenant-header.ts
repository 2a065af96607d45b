import * as z from 'zod/mini';
import type { TableDeps } from '../dynamodb.js';
import { itemKeys } from '../keys.js';
import { getItem, lazyShape } from '../tenant-items.js';
import type { TransactItem } from '../transactions.js';
import { positiveInt } from './fields.js';

/**
 * The tenant header (SK = META) as every tenant has it: the active data key version, the
 * exact `total` of its secrets and, while a rotation runs, where it rotates from. An
 * environment's header holds its own attributes too (see environment-header.ts).
 */
const keyPointerShape = /* @__PURE__ */ lazyShape('tenant-meta', () => ({
  schema: z.object({ key_version: z.optional(positiveInt) }),
  attributes: ['key_version'],
}));

const rotationStateRecord = () =>
  z.object({
    key_version: z.optional(positiveInt),
    rotating_from: z.optional(positiveInt),
    rotation_id: z.optional(z.string()),
  });
export type RotationState = z.infer<ReturnType<typeof rotationStateRecord>>;
const rotationStateShape = /* @__PURE__ */ lazyShape('tenant-meta', () => ({
  schema: rotationStateRecord(),
  attributes: ['key_version', 'rotating_from', 'rotation_id'],
}));

/**
 * Writes under a data key carry this condition on the tenant header, so no value can land
 * under a version that rotation has already moved away from (a stale cache retries instead).
 */
const ACTIVE_KEY_CONDITION = 'key_version = :kv';

const usageShape = /* @__PURE__ */ lazyShape('tenant-meta', () => ({
  schema: z.object({ total: z.optional(z.int()), value_bytes: z.optional(z.int()) }),
  attributes: ['total', 'value_bytes'],
}));

/** What a tenant holds: live secrets and the bytes of their current values. */
export interface TenantUsage {
  secrets: number;
  valueBytes: number;
}

export interface TenantQuota {
  maxSecrets: number;
  maxValueBytes: number;
}

/**
 * The change one write makes to what its tenant holds. A change that grows either count is
 * conditioned on the quota; one that seals a value, on the key it sealed under being active.
 */
export interface UsageChange {
  secrets: number;
  bytes: number;
  sealedUnder?: number;
  quota?: TenantQuota;
}

/** The version new values are sealed under; `undefined` before the tenant's first key. */
export async function activeKeyVersion(table: TableDeps, tenant: string): Promise<number | undefined> {
  const pointer = await getItem(table, itemKeys.tenantMeta(tenant), keyPointerShape);
  return pointer?.key_version;
}

/** Points the tenant at its first key, unless another request did first. */
export function setFirstKeyVersion({ config }: TableDeps, tenant: string): TransactItem {
  return {
    Update: {
      TableName: config.tableName,
      Key: itemKeys.tenantMeta(tenant),
      UpdateExpression: 'SET key_version = :one',
      ConditionExpression: 'attribute_not_exists(key_version)',
      ExpressionAttributeValues: { ':one': 1 },
    },
  };
}

/**
 * Keeps `total` and `value_bytes` exact in the same transaction as the change, within the
 * quota; one item may appear once per transaction, so the active-key check rides along.
 * DynamoDB conditions cannot add, so "stays within" is "was at most the limit minus the change".
 */
export function changeUsage({ config }: TableDeps, tenant: string, change: UsageChange): TransactItem | undefined {
  const adds: string[] = [];
  const conditions: string[] = [];
  const values: Record<string, unknown> = {};
  let namesTotal = false;
  if (change.secrets !== 0) {
    adds.push('#total :secrets');
    values[':secrets'] = change.secrets;
    namesTotal = true;
  }
  if (change.bytes !== 0) {
    adds.push('value_bytes :bytes');
    values[':bytes'] = change.bytes;
  }
  if (change.sealedUnder !== undefined) {
    conditions.push(ACTIVE_KEY_CONDITION);
    values[':kv'] = change.sealedUnder;
  }
  if (change.quota && change.secrets > 0) {
    conditions.push('(attribute_not_exists(#total) OR #total <= :secretsRoom)');
    values[':secretsRoom'] = change.quota.maxSecrets - change.secrets;
    namesTotal = true;
  }
  if (change.quota && change.bytes > 0) {
    conditions.push('(attribute_not_exists(value_bytes) OR value_bytes <= :bytesRoom)');
    values[':bytesRoom'] = change.quota.maxValueBytes - change.bytes;
  }
  const target = {
    TableName: config.tableName,
    Key: itemKeys.tenantMeta(tenant),
    ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
    ...(namesTotal ? { ExpressionAttributeNames: { '#total': 'total' } } : {}),
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
  if (adds.length > 0) return { Update: { ...target, UpdateExpression: `ADD ${adds.join(', ')}` } };
  return conditions.length > 0 ? { ConditionCheck: target as Required<typeof target> } : undefined;
}

export async function usage(table: TableDeps, tenant: string): Promise<TenantUsage> {
  const usage = await getItem(table, itemKeys.tenantMeta(tenant), usageShape);
  return { secrets: usage?.total ?? 0, valueBytes: usage?.value_bytes ?? 0 };
}

// Rotation's own operations follow; endpoint bundles drop them, as they drop every operation
// their route does not call.

/** The active key version and the rotation in progress, if any. */
export async function rotationState(table: TableDeps, tenant: string): Promise<RotationState> {
  const state = await getItem(table, itemKeys.tenantMeta(tenant), rotationStateShape);
  return state ?? {};
}

/** Makes `to` active and remembers `from` until the sweep is done; only from an idle `from`. */
export function startRotation(
  { config }: TableDeps,
  tenant: string,
  rotation: { from: number; to: number; rotationId: string },
): TransactItem {
  return {
    Update: {
      TableName: config.tableName,
      Key: itemKeys.tenantMeta(tenant),
      UpdateExpression: 'SET key_version = :to, rotating_from = :from, rotation_id = :id',
      ConditionExpression: 'key_version = :from AND attribute_not_exists(rotating_from)',
      ExpressionAttributeValues: { ':to': rotation.to, ':from': rotation.from, ':id': rotation.rotationId },
    },
  };
}

export function finishRotation({ config }: TableDeps, tenant: string, from: number): TransactItem {
  return {
    Update: {
      TableName: config.tableName,
      Key: itemKeys.tenantMeta(tenant),
      UpdateExpression: 'REMOVE rotating_from',
      ConditionExpression: 'rotating_from = :from',
      ExpressionAttributeValues: { ':from': from },
    },
  };
}
