import { PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { TableDeps } from '../dynamodb.js';
import { itemKeys, SK_PREFIX } from '../keys.js';
import type { PageQuery } from '../page-query.js';
import { lazyShape, readTenantPage } from '../tenant-items.js';
import { putIfNew, type TransactItem } from '../transactions.js';

/**
 * An audit event (SK = AUDIT#<ulid>): who changed or received what, under which request, never
 * a value. A change's event is written in the change's own transaction, so it exists if and
 * only if the change committed; the change-event publisher reads exactly these items from the
 * table's stream. Its ULID sort key orders events by time; `expires_at` lets the TTL remove it.
 */
export const ACCESS_ACTIONS = ['compare', 'reveal', 'inject'] as const;
export const CHANGE_ACTIONS = [
  'create',
  'update',
  'delete',
  'restore',
  'purge',
  'rollback',
  'rename',
  'copy',
  'member.put',
  'member.remove',
  'environment.create',
  'environment.update',
  'environment.delete',
  'environment.restore',
  'token.create',
  'token.revoke',
] as const;
export const AUDIT_ACTIONS = [...CHANGE_ACTIONS, ...ACCESS_ACTIONS] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

/** Built on first use: most functions write audit events and never read one back. */
export const auditEventRecord = () =>
  z.object({
    action: z.enum(AUDIT_ACTIONS),
    /** A user's `sub`, or `token:<id>` for a service token. */
    actor: z.string(),
    request_id: z.string(),
    /** The secrets concerned: environment keys, or user secret names. */
    keys: z.array(z.string()),
    at: z.string(),
    /** The secret's record version the change wrote. */
    version: z.optional(z.number()),
    /** A user secret's id. */
    secret_id: z.optional(z.string()),
    /** The member a membership change concerns. */
    user_id: z.optional(z.string()),
    /** The service token a token change concerns. */
    token_id: z.optional(z.string()),
  });
export type AuditEventRecord = z.infer<ReturnType<typeof auditEventRecord>>;

/** An event as stored: its ULID and when the table's TTL removes it. */
export type StoredAuditEvent = AuditEventRecord & { id: string; expires_at: number };

const auditShape = /* @__PURE__ */ lazyShape('audit', () => ({ schema: auditEventRecord() }));

const item = (tenant: string, { id, ...attributes }: StoredAuditEvent) => ({
  ...itemKeys.audit(tenant, id),
  ...attributes,
});

/** An access on its own (the values are read, nothing else is written). */
export async function put({ ddb, config }: TableDeps, tenant: string, event: StoredAuditEvent): Promise<void> {
  await ddb.send(new PutCommand({ TableName: config.tableName, Item: item(tenant, event) }));
}

/** A change's event, as an item of the change's own transaction. */
export const putNew = (table: TableDeps, tenant: string, event: StoredAuditEvent): TransactItem =>
  putIfNew(table, item(tenant, event));

/** One page, newest first. */
export const page = (
  table: TableDeps,
  tenant: string,
  page: PageQuery,
): Promise<{ items: AuditEventRecord[]; nextCursor: string | null }> =>
  readTenantPage(table, tenant, SK_PREFIX.audit, page, auditShape, 'newest first');
