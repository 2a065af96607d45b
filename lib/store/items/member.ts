import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { decodeCursor, pageOf } from '../cursor.js';
import type { TableDeps } from '../dynamodb.js';
import { projection } from '../expressions.js';
import { ENVIRONMENT_TENANT_PREFIX, environmentTenant, indexKeys, itemKeys, SK_PREFIX, userTenant } from '../keys.js';
import type { PageQuery } from '../page-query.js';
import { parseRecord } from '../records.js';
import { TABLE_DEFINITION } from '../table.js';
import { getItem, readTenantPage } from '../tenant-items.js';
import type { TransactItem } from '../transactions.js';
import { timestamp } from './fields.js';

/**
 * An environment member (SK = MEMBER#<sub> in ENV#<id>): the role, and GSI1 keys so "my
 * environments" is one Query of the member's own index partition. The environment's name and
 * state are read from its header, so a rename or a deletion never has to rewrite members.
 */
export const ROLES = ['owner', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const role = z.enum(ROLES);

export const MemberRecord = z.object({
  user_id: z.string(),
  role,
  created_at: timestamp,
  updated_at: timestamp,
  updated_by: z.string(),
});
export type MemberRecord = z.infer<typeof MemberRecord>;

/** A member item as the user's environments list reads it from GSI1. */
const MembershipRecord = z.object({ environment_id: z.guid(), role });
export type MembershipRecord = z.infer<typeof MembershipRecord>;
export const MEMBERSHIP_ATTRIBUTES = Object.keys(MembershipRecord.shape);

export const MEMBER_ATTRIBUTES = Object.keys(MemberRecord.shape);
const shape = { schema: MemberRecord, type: 'environment-member', attributes: MEMBER_ATTRIBUTES };
const INDEX = TABLE_DEFINITION.indexes[0].name;

/** Writes a member only if its role is still the one read, so the owner count stays exact. */
const unchangedRole = (read: Role) => ({
  ConditionExpression: '#role = :read',
  ExpressionAttributeNames: { '#role': 'role' },
  ExpressionAttributeValues: { ':read': read },
});

export function build(environmentId: string, member: MemberRecord): Record<string, unknown> {
  const tenant = environmentTenant(environmentId);
  return {
    ...itemKeys.member(tenant, member.user_id),
    ...indexKeys.membership(member.user_id, tenant),
    ...member,
    environment_id: environmentId,
  };
}

export const get = (table: TableDeps, tenant: string, userId: string): Promise<MemberRecord | undefined> =>
  getItem(table, itemKeys.member(tenant, userId), shape);

/** Writes the member if new (`readRole` undefined), else only if its role is still `readRole`. */
export function put({ config }: TableDeps, item: Record<string, unknown>, readRole: Role | undefined): TransactItem {
  return {
    Put: {
      TableName: config.tableName,
      Item: item,
      ...(readRole ? unchangedRole(readRole) : { ConditionExpression: 'attribute_not_exists(PK)' }),
    },
  };
}

/** One page of an environment's members in user id order, strongly consistent. */
export const page = (
  table: TableDeps,
  tenant: string,
  page: PageQuery,
): Promise<{ items: MemberRecord[]; nextCursor: string | null }> =>
  readTenantPage(table, tenant, SK_PREFIX.member, page, shape);

export function deleteIfRole({ config }: TableDeps, tenant: string, userId: string, readRole: Role): TransactItem {
  return {
    Delete: { TableName: config.tableName, Key: itemKeys.member(tenant, userId), ...unchangedRole(readRole) },
  };
}

/**
 * One page of a user's memberships in environment id order, from GSI1. An index is
 * eventually consistent, so a new membership may take a moment to show.
 */
export async function membershipsOf(
  { ddb, config }: TableDeps,
  sub: string,
  page: PageQuery,
): Promise<{ items: MembershipRecord[]; nextCursor: string | null }> {
  const after = decodeCursor(page.cursor, ENVIRONMENT_TENANT_PREFIX);
  // Stryker disable next-line ArrayDeclaration: equivalent, a Query answer always holds Items
  const { Items = [] } = await ddb.send(
    new QueryCommand({
      TableName: config.tableName,
      IndexName: INDEX,
      KeyConditionExpression: 'GSI1PK = :user AND begins_with(GSI1SK, :prefix)',
      ExpressionAttributeValues: { ':user': userTenant(sub), ':prefix': ENVIRONMENT_TENANT_PREFIX },
      // The partition is always the caller's, so a cursor cannot reach another user's list.
      ExclusiveStartKey:
        after === undefined ? undefined : { ...itemKeys.member(after, sub), ...indexKeys.membership(sub, after) },
      Limit: page.limit + 1,
      ...projection(...MEMBERSHIP_ATTRIBUTES, 'GSI1SK'),
    }),
  );
  const { shown, nextCursor } = pageOf(Items, page.limit, 'GSI1SK');
  return {
    items: shown.map((item) => parseRecord(MembershipRecord, item, 'environment-membership')),
    nextCursor,
  };
}
