import { randomUUID } from 'node:crypto';
import type { StoreDeps } from '../app/deps.js';
import { type AuditEntry, auditChange, listAudit } from '../audit/audit.js';
import { timestampOf } from '../clock.js';
import * as environmentHeaderItem from '../store/items/environment-header.js';
import { type EnvironmentHeaderRecord, isLive, isRestorable } from '../store/items/environment-header.js';
import * as memberItem from '../store/items/member.js';
import { environmentTenant } from '../store/keys.js';
import type { PageQuery } from '../store/page-query.js';
import { type CommitHook, retryConditionalWrite, transactWrite } from '../store/transactions.js';
import { authorize } from './access.js';
import type { CreateEnvironmentBody, UpdateEnvironmentBody } from './environment-requests.js';
import { environmentNotDeleted, environmentNotFound } from './errors.js';
import { authorizeMember } from './members.js';
import { type DeletedEnvironment, type Environment, toDeletedEnvironment, toEnvironment } from './schemas.js';
import type { ChangeInEnvironment, InEnvironment } from './secrets.js';

const DAY_MS = 86_400_000;

/**
 * Creates an environment with the caller as its one owner. Its data key is made on the
 * first secret write, so creating an environment costs no KMS call.
 */
export async function createEnvironment(
  deps: StoreDeps,
  {
    sub,
    requestId,
    environment,
    commit,
  }: { sub: string; requestId: string; environment: CreateEnvironmentBody; commit?: CommitHook<Environment> },
): Promise<Environment> {
  const id = randomUUID();
  const tenant = environmentTenant(id);
  const now = timestampOf(deps.clock.now());
  const header: EnvironmentHeaderRecord = {
    name: environment.name,
    description: environment.description,
    created_at: now,
    updated_at: now,
  };
  const owner = { user_id: sub, role: 'owner' as const, created_at: now, updated_at: now, updated_by: sub };
  const result = toEnvironment(id, header, 'owner');
  await transactWrite(deps.ddb, {
    header: environmentHeaderItem.putNew(deps, tenant, header, sub),
    owner: memberItem.put(deps, memberItem.build(id, owner), undefined),
    audit: auditChange(deps, tenant, { action: 'environment.create', actor: sub, requestId, keys: [] }),
    idempotency: commit?.(result),
  });
  return result;
}

/** The environment as the caller sees it, with the caller's role; any member may look. */
export async function getEnvironment(deps: StoreDeps, { sub, environmentId }: InEnvironment): Promise<Environment> {
  const { role, environment } = await authorizeMember(deps, { sub, environmentId, permission: 'readEnvironment' });
  return toEnvironment(environmentId, environment, role);
}

/** New name and/or description; owners only. */
export async function updateEnvironment(
  deps: StoreDeps,
  {
    sub,
    requestId,
    environmentId,
    patch,
    commit,
  }: ChangeInEnvironment & { patch: UpdateEnvironmentBody; commit?: CommitHook<Environment> },
): Promise<Environment> {
  const tenant = environmentTenant(environmentId);
  // A concurrent rename makes the write re-run on the fresh header, so neither field is lost.
  return retryConditionalWrite(async () => {
    const { role, environment } = await authorizeMember(deps, { sub, environmentId, permission: 'manageEnvironment' });
    const next: EnvironmentHeaderRecord = {
      ...environment,
      name: patch.name ?? environment.name,
      description: patch.description ?? environment.description,
      updated_at: timestampOf(deps.clock.now()),
    };
    const result = toEnvironment(environmentId, next, role);
    await transactWrite(deps.ddb, {
      header: environmentHeaderItem.rename(deps, tenant, next, environment),
      audit: auditChange(deps, tenant, { action: 'environment.update', actor: sub, requestId, keys: [] }),
      idempotency: commit?.(result),
    });
    return result;
  });
}

/**
 * Deletes an environment, owners only: from the commit on every route answers 404 and its
 * service tokens stop, but secrets, members and tokens are kept for the recovery window.
 */
export async function deleteEnvironment(
  deps: StoreDeps,
  { sub, requestId, environmentId, commit }: ChangeInEnvironment & { commit?: CommitHook<void> },
): Promise<void> {
  await authorizeMember(deps, { sub, environmentId, permission: 'manageEnvironment' });
  const tenant = environmentTenant(environmentId);
  const now = deps.clock.now();
  const deletion = {
    deleted_at: timestampOf(now),
    deleted_by: sub,
    purge_at: timestampOf(new Date(now.getTime() + deps.config.recoveryWindowDays * DAY_MS)),
  };
  // A concurrent delete of the same environment fails the condition: it is gone either way.
  await retryConditionalWrite(
    () =>
      transactWrite(deps.ddb, {
        header: environmentHeaderItem.markDeleted(deps, tenant, deletion),
        audit: auditChange(deps, tenant, { action: 'environment.delete', actor: sub, requestId, keys: [] }),
        idempotency: commit?.(),
      }),
    () => environmentNotFound(),
  );
}

/** Brings back a deleted environment within its recovery window, with everything in it; its owners only. */
export async function restoreEnvironment(
  deps: StoreDeps,
  { sub, requestId, environmentId, commit }: ChangeInEnvironment & { commit?: CommitHook<Environment> },
): Promise<Environment> {
  const tenant = environmentTenant(environmentId);
  const [member, environment] = await Promise.all([
    memberItem.get(deps, tenant, sub),
    environmentHeaderItem.get(deps, tenant),
  ]);
  const now = timestampOf(deps.clock.now());
  if (!environment || !member) throw environmentNotFound();
  if (environment.deleted_at === undefined) throw environmentNotDeleted();
  if (!isRestorable(environment, now)) throw environmentNotFound();
  const role = authorize(member.role, 'manageEnvironment');
  const { deleted_at: _, deleted_by: __, purge_at: ___, ...restored } = environment;
  const result = toEnvironment(environmentId, { ...restored, updated_at: now }, role);
  // A concurrent restore (or the window closing) fails the condition: read again and answer that.
  await retryConditionalWrite(
    () =>
      transactWrite(deps.ddb, {
        header: environmentHeaderItem.restore(deps, tenant, now),
        audit: auditChange(deps, tenant, { action: 'environment.restore', actor: sub, requestId, keys: [] }),
        idempotency: commit?.(result),
      }),
    () => environmentNotFound(),
  );
  return result;
}

/**
 * One page of the caller's environments, in id order. Names and deletion are read from each
 * environment's header (one batch read), so a rename shows at once and a deleted environment
 * is left out; a new membership may take a moment to show (the index is eventually consistent).
 */
export async function listEnvironments(
  deps: StoreDeps,
  { sub, page }: { sub: string; page: PageQuery },
): Promise<{ environments: Environment[]; nextCursor: string | null }> {
  const { items, nextCursor } = await memberItem.membershipsOf(deps, sub, page);
  const headers = await environmentHeaderItem.getMany(
    deps,
    items.map((membership) => environmentTenant(membership.environment_id)),
  );
  const environments = items.flatMap((membership, index) => {
    const header = headers[index];
    return isLive(header) ? [toEnvironment(membership.environment_id, header, membership.role)] : [];
  });
  return { environments, nextCursor };
}

/**
 * The deleted environments the caller owned that can still be restored, in id order. Most
 * memberships are of live environments, so pages of memberships are read until one holds a
 * deleted environment or none are left: a page is never empty while more may follow.
 */
export async function listDeletedEnvironments(
  deps: StoreDeps,
  { sub, page }: { sub: string; page: PageQuery },
): Promise<{ environments: DeletedEnvironment[]; nextCursor: string | null }> {
  const now = timestampOf(deps.clock.now());
  let cursor = page.cursor;
  for (;;) {
    const { items, nextCursor } = await memberItem.membershipsOf(deps, sub, { ...page, cursor });
    const owned = items.filter((membership) => membership.role === 'owner');
    const headers = await environmentHeaderItem.getMany(
      deps,
      owned.map((membership) => environmentTenant(membership.environment_id)),
    );
    const environments = owned.flatMap((membership, index) => {
      const header = headers[index];
      return header && isRestorable(header, now) ? [toDeletedEnvironment(membership.environment_id, header)] : [];
    });
    if (environments.length > 0 || nextCursor === null) return { environments, nextCursor };
    cursor = nextCursor;
  }
}

/** One page of what changed in the environment and who received plaintext, newest first; owners only. */
export async function listEnvironmentAudit(
  deps: StoreDeps,
  { sub, environmentId, page }: InEnvironment & { page: PageQuery },
): Promise<{ events: AuditEntry[]; nextCursor: string | null }> {
  await authorizeMember(deps, { sub, environmentId, permission: 'readAudit' });
  return listAudit(deps, environmentTenant(environmentId), page);
}
