import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type AuditEntry, listAudit } from '../audit.js';
import { parseRecord } from '../store/records.js';
import type { StoreDeps } from '../secrets/user-secrets.js';
import { decodeCursor, type PageQuery, pageOf } from '../store/cursor.js';
import { projection } from '../store/expressions.js';
import { ENVIRONMENT_TENANT_PREFIX, environmentTenant, indexKeys, keys, userTenant } from '../store/keys.js';
import { TABLE_DEFINITION } from '../store/table.js';
import { transactWrite } from '../store/transactions.js';
import { nowTimestamp } from '../time.js';
import { authorizeMember, memberItem } from './members.js';
import {
  type CreateEnvironmentBody,
  type Environment,
  type EnvironmentHeaderRecord,
  MEMBERSHIP_ATTRIBUTES,
  MembershipRecord,
  toEnvironment,
} from './schemas.js';

const MEMBERSHIP_INDEX = TABLE_DEFINITION.indexes[0].name;

/**
 * Creates an environment with the caller as its one owner. Its data key is made on the
 * first secret write, so creating an environment costs no KMS call.
 */
export async function createEnvironment({ ddb, config }: StoreDeps, sub: string, input: CreateEnvironmentBody): Promise<Environment> {
  const id = randomUUID();
  const tenant = environmentTenant(id);
  const now = nowTimestamp();
  const header: EnvironmentHeaderRecord = { name: input.name, description: input.description, created_at: now, updated_at: now };
  await transactWrite(ddb, [
    {
      Put: {
        TableName: config.tableName,
        Item: { ...keys.tenantMeta(tenant), ...header, created_by: sub, total: 0, owners: 1 },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
    {
      Put: {
        TableName: config.tableName,
        Item: memberItem(id, header, { user_id: sub, role: 'owner', created_at: now, updated_at: now, updated_by: sub }),
      },
    },
  ]);
  return toEnvironment(id, header, 'owner');
}

/**
 * One page of the caller's environments, in id order: one Query of GSI1 over the caller's
 * member items. A GSI is eventually consistent, so a membership may take a moment to show.
 */
export async function listEnvironments(
  { ddb, config }: StoreDeps,
  sub: string,
  page: PageQuery,
): Promise<{ environments: Environment[]; nextCursor: string | null }> {
  const after = decodeCursor(page.cursor, ENVIRONMENT_TENANT_PREFIX);
  // Stryker disable next-line ArrayDeclaration: equivalent, a Query answer always holds Items
  const { Items = [] } = await ddb.send(
    new QueryCommand({
      TableName: config.tableName,
      IndexName: MEMBERSHIP_INDEX,
      KeyConditionExpression: 'GSI1PK = :user AND begins_with(GSI1SK, :prefix)',
      ExpressionAttributeValues: { ':user': userTenant(sub), ':prefix': ENVIRONMENT_TENANT_PREFIX },
      // The partition is always the caller's, so a cursor cannot reach another user's list.
      ExclusiveStartKey: after === undefined ? undefined : { ...keys.member(after, sub), ...indexKeys.membership(sub, after) },
      Limit: page.limit + 1,
      ...projection(...MEMBERSHIP_ATTRIBUTES, 'GSI1SK'),
    }),
  );
  const { shown, nextCursor } = pageOf(Items, page.limit, 'GSI1SK');
  return {
    environments: shown.map((item) => {
      const membership = parseRecord(MembershipRecord, item, 'environment-membership');
      return toEnvironment(membership.environment_id, membership.environment, membership.role);
    }),
    nextCursor,
  };
}

/** One page of who received plaintext from the environment, newest first; owners only. */
export async function listEnvironmentAudit(
  deps: StoreDeps,
  sub: string,
  environmentId: string,
  page: PageQuery,
): Promise<{ events: AuditEntry[]; nextCursor: string | null }> {
  await authorizeMember(deps, environmentId, sub, 'readAudit');
  return listAudit(deps, environmentTenant(environmentId), page);
}
