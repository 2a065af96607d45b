import type { StoreDeps } from '../app/deps.js';
import type { Config } from '../config.js';
import type { PageQuery } from '../store/cursor.js';
import { type AUDIT_ACTIONS, auditEventItem } from '../store/items/audit-event.js';
import { ulid } from '../ulid.js';

/** An access to plaintext: who, which keys, when and under which request. Never a value. */
export interface AuditEvent {
  action: (typeof AUDIT_ACTIONS)[number];
  actor: string;
  requestId: string;
  keys: string[];
}

export interface AuditEntry extends AuditEvent {
  at: string;
}

const DAY_SECONDS = 86_400;

/** Audit needs only the table, the clock and how long events are kept. */
type AuditDeps = Pick<StoreDeps, 'ddb' | 'clock'> & { config: Pick<Config, 'tableName' | 'auditRetentionDays'> };

/**
 * Writes the audit item before plaintext leaves the service: if the audit cannot be
 * written, the caller gets an error instead of the values. Items expire via TTL.
 */
export async function recordAudit(deps: AuditDeps, tenant: string, event: AuditEvent): Promise<void> {
  const at = deps.clock.now();
  await auditEventItem.put(deps, tenant, {
    id: ulid(at.getTime()),
    action: event.action,
    actor: event.actor,
    request_id: event.requestId,
    keys: event.keys,
    at: at.toISOString(),
    expires_at: Math.floor(at.getTime() / 1000) + deps.config.auditRetentionDays * DAY_SECONDS,
  });
}

/** One page of a tenant's audit events, newest first. */
export async function listAudit(
  deps: AuditDeps,
  tenant: string,
  page: PageQuery,
): Promise<{ events: AuditEntry[]; nextCursor: string | null }> {
  const { items, nextCursor } = await auditEventItem.page(deps, tenant, page);
  return {
    events: items.map(({ action, actor, request_id, keys: accessed, at }) => ({
      action,
      actor,
      keys: accessed,
      requestId: request_id,
      at,
    })),
    nextCursor,
  };
}
