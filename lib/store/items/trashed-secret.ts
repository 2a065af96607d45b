import * as z from 'zod/mini';
import type { TableDeps } from '../dynamodb.js';
import { itemKeys, SK_PREFIX } from '../keys.js';
import type { PageQuery } from '../page-query.js';
import { getItem, lazyShape, readTenantPage } from '../tenant-items.js';
import type { TransactItem } from '../transactions.js';
import { epochSeconds, sealedFields, timestamp } from './fields.js';
import { storedLineage } from './secret-version.js';
import type { SealedValue } from './value-item.js';

/**
 * A deleted secret in the trash (SK = TRASH#<record id>): its record and current value as they
 * were, and when it goes. Its earlier values stay in their VERSION# items. The table's TTL
 * removes it at `expires_at` (its `purge_at`); until the TTL runs, every read treats an expired
 * item as gone. One module serves both families; each gives the record schema it trashes.
 */
export const TrashFields = {
  deleted_at: timestamp,
  deleted_by: z.string(),
  purge_at: timestamp,
  /** `purge_at` in epoch seconds, for the TTL. */
  expires_at: epochSeconds,
};

type TrashInfo = { deleted_at: string; deleted_by: string; purge_at: string; expires_at: number };

/** Not yet past its expiry at `nowSeconds`: what a condition on a trashed item asks. */
const LIVE = 'expires_at > :now';

/**
 * The trash operations of one kind of secret record. Built at module scope with `@__PURE__`, so
 * a route that never touches the trash does not bundle them.
 */
export function trashedSecretItems<Shape extends z.core.$ZodShape, R extends { version: number }>(
  record: z.ZodMiniObject<Shape> & z.ZodMiniType<R>,
  type: string,
) {
  type Trashed = R & TrashInfo;
  type TrashedValue = Trashed & SealedValue;
  const metadataShape = lazyShape(`trashed-${type}`, () => {
    const schema = z.object({ ...record.shape, ...TrashFields });
    return { schema: schema as unknown as z.ZodMiniType<Trashed>, attributes: Object.keys(schema.shape) };
  });
  const valueShape = lazyShape(`trashed-${type}-value`, () => ({
    schema: z.object({ ...record.shape, ...TrashFields, ...sealedFields }) as unknown as z.ZodMiniType<TrashedValue>,
  }));

  const recordKeys = Object.keys(record.shape);

  return {
    /** The secret's record as it was, without what the trash added. */
    recordOf: (trashed: Trashed): R =>
      Object.fromEntries(
        recordKeys.filter((key) => key in trashed).map((key) => [key, (trashed as Record<string, unknown>)[key]]),
      ) as unknown as R,

    put: ({ config }: TableDeps, tenant: string, recordId: string, item: TrashedValue): TransactItem => ({
      Put: {
        TableName: config.tableName,
        Item: { ...itemKeys.trashedSecret(tenant, recordId), ...storedLineage(item) },
      },
    }),

    /** The trashed secret with its value; `undefined` when there is none or it is past its window. */
    async get(table: TableDeps, tenant: string, recordId: string, nowSeconds: number) {
      const trashed = await getItem(table, itemKeys.trashedSecret(tenant, recordId), valueShape);
      return trashed && trashed.expires_at > nowSeconds ? trashed : undefined;
    },

    /** One page in record id order, without values, leaving out what is past its window. */
    page: (table: TableDeps, tenant: string, page: PageQuery, nowSeconds: number) =>
      readTenantPage(table, tenant, SK_PREFIX.trashedSecret, page, metadataShape, 'ascending', {
        expression: LIVE,
        values: { ':now': nowSeconds },
      }),

    /** Takes it out of the trash, if it is still the one read and not past its window. */
    removeIfVersion: (
      { config }: TableDeps,
      tenant: string,
      recordId: string,
      version: number,
      nowSeconds: number,
    ): TransactItem => ({
      Delete: {
        TableName: config.tableName,
        Key: itemKeys.trashedSecret(tenant, recordId),
        ConditionExpression: `#version = :read AND ${LIVE}`,
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':read': version, ':now': nowSeconds },
      },
    }),

    /** Holds when nothing of that record id is in the trash, or only what is past its window. */
    absent: ({ config }: TableDeps, tenant: string, recordId: string, nowSeconds: number): TransactItem => ({
      ConditionCheck: {
        TableName: config.tableName,
        Key: itemKeys.trashedSecret(tenant, recordId),
        ConditionExpression: `attribute_not_exists(PK) OR NOT (${LIVE})`,
        ExpressionAttributeValues: { ':now': nowSeconds },
      },
    }),
  };
}
