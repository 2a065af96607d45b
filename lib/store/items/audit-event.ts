import { PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { decodeCursor, type PageQuery, pageOf } from '../cursor.js';
import type { TableDeps } from '../dynamodb.js';
import { itemKeys, SK_PREFIX } from '../keys.js';
import { parseRecord } from '../records.js';
import { queryUpTo } from '../tenant-items.js';

/**
 * An audit event (SK = AUDIT#<ulid>): who received plaintext, which keys, under which request.
 * Its ULID sort key orders events by time; `expires_at` lets the table's TTL remove it.
 */
export const AUDIT_ACTIONS = ['inject', 'reveal'] as const;

const AuditEventRecord = z.object({
  action: z.enum(AUDIT_ACTIONS),
  actor: z.string(),
  request_id: z.string(),
  keys: z.array(z.string()),
  at: z.string(),
});
export type AuditEventRecord = z.infer<typeof AuditEventRecord>;

export const auditEventItem = {
  async put(
    { ddb, config }: TableDeps,
    tenant: string,
    event: AuditEventRecord & { id: string; expires_at: number },
  ): Promise<void> {
    const { id, ...attributes } = event;
    await ddb.send(
      new PutCommand({ TableName: config.tableName, Item: { ...itemKeys.audit(tenant, id), ...attributes } }),
    );
  },

  /** One page, newest first. */
  async page(
    { ddb, config }: TableDeps,
    tenant: string,
    page: PageQuery,
  ): Promise<{ items: AuditEventRecord[]; nextCursor: string | null }> {
    const after = decodeCursor(page.cursor, SK_PREFIX.audit);
    const Items = await queryUpTo(
      ddb,
      {
        TableName: config.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': tenant, ':prefix': SK_PREFIX.audit },
        ExclusiveStartKey: after === undefined ? undefined : { PK: tenant, SK: after },
        ScanIndexForward: false,
        ConsistentRead: true,
      },
      page.limit + 1,
    );
    const { shown, nextCursor } = pageOf(Items, page.limit);
    return { items: shown.map((item) => parseRecord(AuditEventRecord, item, 'audit')), nextCursor };
  },
};
