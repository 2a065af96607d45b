import { PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { PageQuery } from '../cursor.js';
import type { TableDeps } from '../dynamodb.js';
import { itemKeys, SK_PREFIX } from '../keys.js';
import { readTenantPage } from '../tenant-items.js';

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
  page: (
    table: TableDeps,
    tenant: string,
    page: PageQuery,
  ): Promise<{ items: AuditEventRecord[]; nextCursor: string | null }> =>
    readTenantPage(table, tenant, SK_PREFIX.audit, page, { schema: AuditEventRecord, type: 'audit' }, 'newest first'),
};
