import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { parseRecord } from '../store/records.js';
import type { StoreDeps } from '../secrets/user-secrets.js';
import { projection } from '../store/expressions.js';
import { environmentTenant, indexKeys, keys } from '../store/keys.js';
import { retryConditionalWrite, type TransactItem, transactWrite } from '../store/transactions.js';
import { nowTimestamp } from '../time.js';
import { authorize, ownerDelta, type Permission, removalPermission, type Role } from './access.js';
import { environmentNotFound, lastOwner, memberNotFound } from './errors.js';
import {
  ENVIRONMENT_HEADER_ATTRIBUTES,
  EnvironmentHeaderRecord,
  MEMBER_ATTRIBUTES,
  type Member,
  MemberRecord,
  toMember,
} from './schemas.js';

/**
 * Membership: the role check every environment operation starts with, and owners managing
 * members. The META item counts owners, and every change of an owner's membership moves that
 * count in the same transaction on condition it stays ≥ 1 — so concurrent demotions or
 * removals can never leave an environment without an owner.
 */

/** Reads the caller's role and checks it grants `permission` (404 for non-members, else 403). */
export async function authorizeMember(deps: StoreDeps, environmentId: string, sub: string, permission: Permission): Promise<Role> {
  const member = await readMember(deps, environmentTenant(environmentId), sub);
  return authorize(member?.role, permission);
}

/** Adds a member or changes a member's role; owners only. Idempotent for an unchanged role. */
export async function putMember(deps: StoreDeps, sub: string, environmentId: string, userId: string, role: Role): Promise<Member> {
  const tenant = environmentTenant(environmentId);
  await authorizeMember(deps, environmentId, sub, 'manageMembers');
  return retryConditionalWrite(
    async () => {
      const [current, header] = await Promise.all([readMember(deps, tenant, userId), readHeader(deps, tenant)]);
      if (current?.role === role) return toMember(current);
      const now = nowTimestamp();
      const member: MemberRecord = { user_id: userId, role, created_at: current?.created_at ?? now, updated_at: now, updated_by: sub };
      await transactWrite(deps.ddb, [
        {
          Put: {
            TableName: deps.config.tableName,
            Item: memberItem(environmentId, header, member),
            ...(current ? unchangedRole(current.role) : { ConditionExpression: 'attribute_not_exists(PK)' }),
          },
        },
        ...countOwners(deps, tenant, ownerDelta(current?.role, role)),
      ]);
      return toMember(member);
    },
    lastOwnerUnlessRace,
  );
}

/** Removes a member: owners may remove anyone, every member may remove themself (leave). */
export async function removeMember(deps: StoreDeps, sub: string, environmentId: string, userId: string): Promise<void> {
  const tenant = environmentTenant(environmentId);
  await authorizeMember(deps, environmentId, sub, removalPermission(sub, userId));
  await retryConditionalWrite(
    async () => {
      const current = await readMember(deps, tenant, userId);
      if (!current) throw memberNotFound(userId);
      await transactWrite(deps.ddb, [
        { Delete: { TableName: deps.config.tableName, Key: keys.member(tenant, userId), ...unchangedRole(current.role) } },
        ...countOwners(deps, tenant, ownerDelta(current.role, undefined)),
      ]);
    },
    lastOwnerUnlessRace,
  );
}

/** A member item: the role, GSI1 keys for "my environments", and a copy of the header for that list. */
export function memberItem(environmentId: string, header: EnvironmentHeaderRecord, member: MemberRecord): Record<string, unknown> {
  const tenant = environmentTenant(environmentId);
  return {
    ...keys.member(tenant, member.user_id),
    ...indexKeys.membership(member.user_id, tenant),
    ...member,
    environment_id: environmentId,
    environment: header,
  };
}

async function readMember({ ddb, config }: StoreDeps, tenant: string, userId: string): Promise<MemberRecord | undefined> {
  const { Item } = await ddb.send(
    new GetCommand({ TableName: config.tableName, Key: keys.member(tenant, userId), ConsistentRead: true, ...projection(...MEMBER_ATTRIBUTES) }),
  );
  return Item ? parseRecord(MemberRecord, Item, 'environment-member') : undefined;
}

async function readHeader({ ddb, config }: StoreDeps, tenant: string): Promise<EnvironmentHeaderRecord> {
  const { Item } = await ddb.send(
    new GetCommand({
      TableName: config.tableName,
      Key: keys.tenantMeta(tenant),
      ConsistentRead: true,
      ...projection(...ENVIRONMENT_HEADER_ATTRIBUTES),
    }),
  );
  if (!Item) throw environmentNotFound();
  return parseRecord(EnvironmentHeaderRecord, Item, 'environment-header');
}

/** Writes a member only if its role is still the one read, so the owner count stays exact. */
function unchangedRole(role: Role) {
  return {
    ConditionExpression: '#role = :read',
    ExpressionAttributeNames: { '#role': 'role' },
    ExpressionAttributeValues: { ':read': role },
  };
}

/** Moves the owner count; losing an owner is refused when it would leave none. */
function countOwners({ config }: StoreDeps, tenant: string, delta: -1 | 0 | 1): TransactItem[] {
  if (delta === 0) return [];
  const update = {
    TableName: config.tableName,
    Key: keys.tenantMeta(tenant),
    UpdateExpression: 'ADD #owners :delta',
    ExpressionAttributeNames: { '#owners': 'owners' },
  };
  if (delta === 1) return [{ Update: { ...update, ExpressionAttributeValues: { ':delta': delta } } }];
  return [{ Update: { ...update, ConditionExpression: '#owners > :one', ExpressionAttributeValues: { ':delta': delta, ':one': 1 } } }];
}

/** The member write (item 0) failing is a race to re-read; only the owner count failing is the answer. */
function lastOwnerUnlessRace(failed: number[]): Error | undefined {
  return failed.includes(0) ? undefined : lastOwner();
}
