import type { StoreDeps } from '../app/deps.js';
import type { Config } from '../config.js';
import type { AccessAction, AuditAction, ChangeAction, StoredAuditEvent } from '../store/items/audit-event.js';
import * as auditEventItem from '../store/items/audit-event.js';
import type { PageQuery } from '../store/page-query.js';
import type { TransactItem } from '../store/transactions.js';
import { ulid } from '../ulid.js';

/** Who acts and under which request: what every audit event names. */
export interface Actor {
  actor: string;
  requestId: string;
}

/** What happened to which secrets (keys or names), when and by whom. Never a value. */
export interface AuditEvent extends Actor {
  action: AuditAction;
  keys: string[];
  version?: number;
  secretId?: string;
  userId?: string;
  tokenId?: string;
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
export async function recordAccess(
  deps: AuditDeps,
  tenant: string,
  event: AuditEvent & { action: AccessAction },
): Promise<void> {
  await auditEventItem.put(deps, tenant, stored(deps, event));
}

/**
 * A change's audit event as an item of the change's own transaction: it exists if and only if
 * the change committed, and the change-event publisher turns it into the change's event.
 */
export function auditChange(
  deps: AuditDeps,
  tenant: string,
  event: AuditEvent & { action: ChangeAction },
): TransactItem {
  return auditEventItem.putNew(deps, tenant, stored(deps, event));
}

function stored(deps: AuditDeps, event: AuditEvent): StoredAuditEvent {
  const at = deps.clock.now();
  return {
    id: ulid(at.getTime()),
    action: event.action,
    actor: event.actor,
    request_id: event.requestId,
    keys: event.keys,
    at: at.toISOString(),
    expires_at: Math.floor(at.getTime() / 1000) + deps.config.auditRetentionDays * DAY_SECONDS,
    ...(event.version === undefined ? {} : { version: event.version }),
    ...(event.secretId === undefined ? {} : { secret_id: event.secretId }),
    ...(event.userId === undefined ? {} : { user_id: event.userId }),
    ...(event.tokenId === undefined ? {} : { token_id: event.tokenId }),
  };
}

/** One page of a tenant's audit events, newest first. */
export async function listAudit(
  deps: AuditDeps,
  tenant: string,
  page: PageQuery,
): Promise<{ events: AuditEntry[]; nextCursor: string | null }> {
  const { items, nextCursor } = await auditEventItem.page(deps, tenant, page);
  return {
    events: items.map(({ action, actor, request_id, keys: concerned, at, version, secret_id, user_id, token_id }) => ({
      action,
      actor,
      keys: concerned,
      requestId: request_id,
      at,
      ...(version === undefined ? {} : { version }),
      ...(secret_id === undefined ? {} : { secretId: secret_id }),
      ...(user_id === undefined ? {} : { userId: user_id }),
      ...(token_id === undefined ? {} : { tokenId: token_id }),
    })),
    nextCursor,
  };
}
