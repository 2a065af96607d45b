import { randomUUID } from 'node:crypto';
import type { StoreDeps } from '../app/deps.js';
import { type AuditEntry, auditChange, listAudit } from '../audit/audit.js';
import { timestampOf } from '../clock.js';
import type { PageQuery } from '../store/cursor.js';
import { type EnvironmentHeaderRecord, environmentHeaderItem } from '../store/items/environment-header.js';
import { memberItem } from '../store/items/member.js';
import { environmentTenant } from '../store/keys.js';
import { type CommitHook, transactWrite } from '../store/transactions.js';
import { environmentNotFound } from './errors.js';
import { authorizeMember } from './members.js';
import { type CreateEnvironmentBody, type Environment, toEnvironment } from './schemas.js';
import type { InEnvironment } from './secrets.js';

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
    owner: memberItem.put(deps, memberItem.build(id, header, owner), undefined),
    audit: auditChange(deps, tenant, { action: 'environment.create', actor: sub, requestId, keys: [] }),
    idempotency: commit?.(result),
  });
  return result;
}

/** The environment as the caller sees it, with the caller's role; any member may look. */
export async function getEnvironment(deps: StoreDeps, { sub, environmentId }: InEnvironment): Promise<Environment> {
  const role = await authorizeMember(deps, { sub, environmentId, permission: 'readEnvironment' });
  const header = await environmentHeaderItem.get(deps, environmentTenant(environmentId));
  if (!header) throw environmentNotFound();
  return toEnvironment(environmentId, header, role);
}

/** One page of the caller's environments, in id order (a new one may take a moment to show). */
export async function listEnvironments(
  deps: StoreDeps,
  { sub, page }: { sub: string; page: PageQuery },
): Promise<{ environments: Environment[]; nextCursor: string | null }> {
  const { items, nextCursor } = await memberItem.membershipsOf(deps, sub, page);
  return {
    environments: items.map((membership) =>
      toEnvironment(membership.environment_id, membership.environment, membership.role),
    ),
    nextCursor,
  };
}

/** One page of who received plaintext from the environment, newest first; owners only. */
export async function listEnvironmentAudit(
  deps: StoreDeps,
  { sub, environmentId, page }: InEnvironment & { page: PageQuery },
): Promise<{ events: AuditEntry[]; nextCursor: string | null }> {
  await authorizeMember(deps, { sub, environmentId, permission: 'readAudit' });
  return listAudit(deps, environmentTenant(environmentId), page);
}
