import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Config } from './config.js';
import { ulid } from './http/request-id.js';
import { keys } from './store/keys.js';

/** An access to plaintext: who, which keys, when and under which request. Never a value. */
export interface AuditEvent {
  action: 'inject' | 'reveal';
  actor: string;
  requestId: string;
  keys: string[];
}

/**
 * Writes the audit item before plaintext leaves the service: if the audit cannot be
 * written, the caller gets an error instead of the values. Items expire via TTL.
 */
export async function recordAudit(deps: { ddb: DynamoDBDocumentClient; config: Config }, tenant: string, event: AuditEvent): Promise<void> {
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
