import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { Config } from './config.js';
import { parseRecord } from './store/records.js';
import { ulid } from './ulid.js';
import { decodeCursor, type PageQuery, pageOf } from './store/cursor.js';
import { keys, SK_PREFIX } from './store/keys.js';

/** An access to plaintext: who, which keys, when and under which request. Never a value. */
export interface AuditEvent {
  action: 'inject' | 'reveal';
  actor: string;
  requestId: string;
  keys: string[];
}

interface AuditDeps {
  ddb: DynamoDBDocumentClient;
  config: Pick<Config, 'tableName' | 'auditRetentionDays'>;
}

/**
 * Writes the audit item before plaintext leaves the service: if the audit cannot be
 * written, the caller gets an error instead of the values. Items expire via TTL.
 */
export async function recordAudit(deps: AuditDeps, tenant: string, event: AuditEvent): Promise<void> {
  const at = new Date();
  await deps.ddb.send(
    new PutCommand({
      TableName: deps.config.tableName,
      Item: {
        ...keys.audit(tenant, ulid(at.getTime())),
        action: event.action,
        actor: event.actor,
        request_id: event.requestId,
        keys: event.keys,
        at: at.toISOString(),
        expires_at: Math.floor(at.getTime() / 1000) + deps.config.auditRetentionDays * 86400,
      },
    }),
  );
}

const AuditRecord = z.object({
  action: z.enum(['inject', 'reveal']),
  actor: z.string(),
  request_id: z.string(),
  keys: z.array(z.string()),
  at: z.string(),
});

export interface AuditEntry extends AuditEvent {
  at: string;
}

/** One page of a tenant's audit events, newest first (their sort keys are ULIDs). */
export async function listAudit(
  { ddb, config }: AuditDeps,
  tenant: string,
  page: PageQuery,
): Promise<{ events: AuditEntry[]; nextCursor: string | null }> {
  const after = decodeCursor(page.cursor, SK_PREFIX.audit);
  // Stryker disable next-line ArrayDeclaration: equivalent, a Query answer always holds Items
  const { Items = [] } = await ddb.send(
    new QueryCommand({
      TableName: config.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': tenant, ':prefix': SK_PREFIX.audit },
      ExclusiveStartKey: after === undefined ? undefined : { PK: tenant, SK: after },
      ScanIndexForward: false,
      Limit: page.limit + 1,
      ConsistentRead: true,
    }),
  );
  const { shown, nextCursor } = pageOf(Items, page.limit);
  return {
    events: shown.map((item) => {
      const { action, actor, request_id, keys: accessed, at } = parseRecord(AuditRecord, item, 'audit');
      return { action, actor, keys: accessed, requestId: request_id, at };
    }),
    nextCursor,
  };
}
