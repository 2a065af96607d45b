import type { StoreDeps } from '../app/deps.js';
import { auditChange } from '../audit/audit.js';
import { timestampOf } from '../clock.js';
import * as environmentHeaderItem from '../store/items/environment-header.js';
import { type EnvironmentHeaderRecord, isLive } from '../store/items/environment-header.js';
import type { MemberRecord, Role } from '../store/items/member.js';
import * as memberItem from '../store/items/member.js';
import { environmentTenant } from '../store/keys.js';
import type { PageQuery } from '../store/page-query.js';
import { type CommitHook, retryConditionalWrite, transactWrite } from '../store/transactions.js';
import { authorize, ownerDelta, type Permission, removalPermission } from './access.js';
import { environmentNotFound, lastOwner, memberNotFound } from './errors.js';
import { type Member, toMember } from './schemas.js';
import type { ChangeInEnvironment, InEnvironment } from './secrets.js';

/**
 * Membership: the role check every environment operation starts with, and owners managing
 * members. The META item counts owners, and every change of an owner's membership moves that
 * count in the same transaction on condition it stays ≥ 1 — so concurrent demotions or
 * removals can never leave an environment without an owner.
 */

/** The caller's role in a live environment, and that environment. */
export interface Membership {
  role: Role;
  environment: EnvironmentHeaderRecord;
}

/**
 * Reads the caller's role and the environment together and checks the role grants
 * `permission`: 404 for non-members and for a deleted environment (so deleting one stops every
 * route at once), else 403.
 */
export async function authorizeMember(
  deps: StoreDeps,
  { sub, environmentId, permission }: InEnvironment & { permission: Permission },
): Promise<Membership> {
  const tenant = environmentTenant(environmentId);
  const [member, environment] = await Promise.all([
    memberItem.get(deps, tenant, sub),
    environmentHeaderItem.get(deps, tenant),
  ]);
  if (!isLive(environment)) throw environmentNotFound();
  return { role: authorize(member?.role, permission), environment };
}

/** One page of the environment's members, in user id order; any member may look. */
export async function listMembers(
  deps: StoreDeps,
  { sub, environmentId, page }: InEnvironment & { page: PageQuery },
): Promise<{ members: Member[]; nextCursor: string | null }> {
  await authorizeMember(deps, { sub, environmentId, permission: 'readEnvironment' });
  const { items, nextCursor } = await memberItem.page(deps, environmentTenant(environmentId), page);
  return { members: items.map(toMember), nextCursor };
}

/** Adds a member or changes a member's role; owners only. Idempotent for an unchanged role. */
export async function putMember(
  deps: StoreDeps,
  {
    sub,
    requestId,
    environmentId,
    userId,
    role,
    commit,
  }: ChangeInEnvironment & { userId: string; role: Role; commit?: CommitHook<Member> },
): Promise<Member> {
  const tenant = environmentTenant(environmentId);
  await authorizeMember(deps, { sub, environmentId, permission: 'manageMembers' });
  return retryConditionalWrite(async () => {
    const current = await memberItem.get(deps, tenant, userId);
    if (current?.role === role) return toMember(current);
    const now = timestampOf(deps.clock.now());
    const member: MemberRecord = {
      user_id: userId,
      role,
      created_at: current?.created_at ?? now,
      updated_at: now,
      updated_by: sub,
    };
    const result = toMember(member);
    await transactWrite<MemberItems>(deps.ddb, {
      member: memberItem.put(deps, memberItem.build(environmentId, member), current?.role),
      owners: environmentHeaderItem.countOwners(deps, tenant, ownerDelta(current?.role, role)),
      audit: auditChange(deps, tenant, { action: 'member.put', actor: sub, requestId, keys: [], userId }),
      idempotency: commit?.(result),
    });
    return result;
  }, lastOwnerUnlessRace);
}

/** Removes a member: owners may remove anyone, every member may remove themself (leave). */
export async function removeMember(
  deps: StoreDeps,
  {
    sub,
    requestId,
    environmentId,
    userId,
    commit,
  }: ChangeInEnvironment & { userId: string; commit?: CommitHook<void> },
): Promise<void> {
  const tenant = environmentTenant(environmentId);
  await authorizeMember(deps, { sub, environmentId, permission: removalPermission(sub, userId) });
  await retryConditionalWrite(async () => {
    const current = await memberItem.get(deps, tenant, userId);
    if (!current) throw memberNotFound(userId);
    await transactWrite<MemberItems>(deps.ddb, {
      member: memberItem.deleteIfRole(deps, tenant, userId, current.role),
      owners: environmentHeaderItem.countOwners(deps, tenant, ownerDelta(current.role, undefined)),
      audit: auditChange(deps, tenant, { action: 'member.remove', actor: sub, requestId, keys: [], userId }),
      idempotency: commit?.(),
    });
  }, lastOwnerUnlessRace);
}
type MemberItems = 'member' | 'owners' | 'audit' | 'idempotency';

/** The member write failing is a race to re-read; only the owner count failing is the answer. */
function lastOwnerUnlessRace(failed: MemberItems[]): Error | undefined {
  return failed.includes('member') ? undefined : lastOwner();
}
