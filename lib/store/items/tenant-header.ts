import * as z from 'zod/mini';
import type { TableDeps } from '../dynamodb.js';
import { itemKeys } from '../keys.js';
import { getItem } from '../tenant-items.js';
import type { TransactItem } from '../transactions.js';

/**
 * The tenant header (SK = META) as every tenant has it: the active data key version, the
 * exact `total` of its secrets and, while a rotation runs, where it rotates from. An
 * environment's header holds its own attributes too (see environment-header.ts).
 */
const KeyPointerRecord = z.object({ key_version: z.optional(z.int().check(z.positive())) });

const RotationStateRecord = z.object({
  key_version: z.optional(z.int().check(z.positive())),
  rotating_from: z.optional(z.int().check(z.positive())),
  rotation_id: z.optional(z.string()),
});
export type RotationState = z.infer<typeof RotationStateRecord>;

/**
 * Writes under a data key carry this condition on the tenant header, so no value can land
 * under a version that rotation has already moved away from (a stale cache retries instead).
 */
const ACTIVE_KEY_CONDITION = 'key_version = :kv';

export const tenantHeaderItem = {
  /** The version new values are sealed under; `undefined` before the tenant's first key. */
  async activeKeyVersion(table: TableDeps, tenant: string): Promise<number | undefined> {
    const pointer = await getItem(table, itemKeys.tenantMeta(tenant), {
      schema: KeyPointerRecord,
      type: 'tenant-meta',
      attributes: ['key_version'],
    });
    return pointer?.key_version;
  },

  /** Points the tenant at its first key, unless another request did first. */
  setFirstKeyVersion({ config }: TableDeps, tenant: string): TransactItem {
    return {
      Update: {
        TableName: config.tableName,
        Key: itemKeys.tenantMeta(tenant),
        UpdateExpression: 'SET key_version = :one',
        ConditionExpression: 'attribute_not_exists(key_version)',
        ExpressionAttributeValues: { ':one': 1 },
      },
    };
  },

  /** Fails the transaction when `version` is no longer the tenant's active key. */
  activeKeyCheck({ config }: TableDeps, tenant: string, version: number): TransactItem {
    return {
      ConditionCheck: {
        TableName: config.tableName,
        Key: itemKeys.tenantMeta(tenant),
        ConditionExpression: ACTIVE_KEY_CONDITION,
        ExpressionAttributeValues: { ':kv': version },
      },
    };
  },

  /**
   * Keeps `total` exact, in the same transaction as the change; when the change seals a value,
   * it also checks that key version is still active (one item may appear once per transaction).
   */
  addToTotal({ config }: TableDeps, tenant: string, delta: number, sealedUnder?: number): TransactItem {
    return {
      Update: {
        TableName: config.tableName,
        Key: itemKeys.tenantMeta(tenant),
        UpdateExpression: 'ADD #total :delta',
        ExpressionAttributeNames: { '#total': 'total' },
        ...(sealedUnder === undefined
          ? { ExpressionAttributeValues: { ':delta': delta } }
          : {
              ConditionExpression: ACTIVE_KEY_CONDITION,
              ExpressionAttributeValues: { ':delta': delta, ':kv': sealedUnder },
            }),
      },
    };
  },

  async rotationState(table: TableDeps, tenant: string): Promise<RotationState> {
    const state = await getItem(table, itemKeys.tenantMeta(tenant), {
      schema: RotationStateRecord,
      type: 'tenant-meta',
      attributes: ['key_version', 'rotating_from', 'rotation_id'],
    });
    return state ?? {};
  },

  /** Makes `to` active and remembers `from` until the sweep is done; only from an idle `from`. */
  startRotation(
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
  },

  finishRotation({ config }: TableDeps, tenant: string, from: number): TransactItem {
    return {
      Update: {
        TableName: config.tableName,
        Key: itemKeys.tenantMeta(tenant),
        UpdateExpression: 'REMOVE rotating_from',
        ConditionExpression: 'rotating_from = :from',
        ExpressionAttributeValues: { ':from': from },
      },
    };
  },
};
