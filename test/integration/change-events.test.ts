import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localDynamoDbClient } from '../../infra/local/dynamodb.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { changeEventId } from '../../lib/events/change-events.js';
import type { TableDeps } from '../../lib/store/dynamodb.js';
import type { AuditAction, StoredAuditEvent } from '../../lib/store/items/audit-event.js';
import * as auditEventItem from '../../lib/store/items/audit-event.js';
import { environmentTenant, itemKeys, userTenant } from '../../lib/store/keys.js';
import { TransactionConditionFailed, transactWrite } from '../../lib/store/transactions.js';
import { ulid } from '../../lib/ulid.js';
import { readEvents, waitForEventIds } from '../support/events.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * The local stack turns committed audit items of changes into lines of events.jsonl, through
 * the same mapping as the publisher function: exactly one per committed change, none for a
 * transaction that failed, none for an access.
 */
let stack: TestStack;
let table: TableDeps;
const VALUE = 'change-events-test-value';

beforeAll(async () => {
  stack = await startTestStack({ changeEvents: true });
  table = tableOf(stack);
});
afterAll(() => stack?.stop());

function tableOf(local: Pick<LocalStack, 'dynamoDbEndpoint' | 'tableName'>): TableDeps {
  const ddb = DynamoDBDocumentClient.from(localDynamoDbClient(local.dynamoDbEndpoint), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { ddb, config: { tableName: local.tableName } };
}

function auditEvent(action: AuditAction, fields: Partial<StoredAuditEvent> = {}): StoredAuditEvent {
  return {
    id: ulid(),
    action,
    actor: 'alice',
    request_id: `req-${randomUUID()}`,
    keys: [],
    at: new Date().toISOString(),
    expires_at: Math.floor(Date.now() / 1000) + 86_400,
    ...fields,
  };
}

/** Commits a change's audit item in a transaction, as the write paths do; answers its event id. */
async function commitChange(deps: TableDeps, tenant: string, event: StoredAuditEvent): Promise<string> {
  await transactWrite(deps.ddb, { audit: auditEventItem.putNew(deps, tenant, event) });
  return changeEventId(tenant, event.id);
}

describe('change events on the local stack', () => {
  it('writes one line per committed change, with only allowed fields, and none for failures or accesses', async () => {
    const user = userTenant(`events-${randomUUID()}`);
    const environmentId = randomUUID();
    const environment = environmentTenant(environmentId);

    const secretCreate = auditEvent('create', { keys: ['DB_URL'], secret_id: randomUUID(), version: 1 });
    // A change whose transaction also writes another item: only the audit item becomes an event.
    await transactWrite(table.ddb, {
      audit: auditEventItem.putNew(table, user, secretCreate),
      other: { Put: { TableName: table.config.tableName, Item: { ...itemKeys.tenantMeta(user), total: 1 } } },
    });
    const committed = [
      changeEventId(user, secretCreate.id),
      await commitChange(table, environment, auditEvent('update', { keys: ['API_KEY'], version: 2 })),
      await commitChange(table, environment, auditEvent('member.put', { user_id: 'bob' })),
      await commitChange(table, environment, auditEvent('token.create', { token_id: 'tok-1' })),
      await commitChange(table, environment, auditEvent('environment.update')),
    ];

    // A transaction whose condition fails commits nothing, its audit item included.
    const failed = auditEvent('delete', { keys: ['API_KEY'] });
    await expect(
      transactWrite(table.ddb, {
        audit: auditEventItem.putNew(table, environment, failed),
        guard: {
          ConditionCheck: {
            TableName: table.config.tableName,
            Key: itemKeys.environmentSecret(environment, 'NO_SUCH_KEY'),
            ConditionExpression: 'attribute_exists(PK)',
          },
        },
      }),
    ).rejects.toBeInstanceOf(TransactionConditionFailed);
    // An access writes its audit item on its own; it is not a change.
    await auditEventItem.put(table, environment, auditEvent('reveal', { keys: ['API_KEY'] }));
    // An audit item rewritten in place (a MODIFY) is no new change either.
    await table.ddb.send(
      new PutCommand({
        TableName: table.config.tableName,
        Item: { ...itemKeys.audit(user, secretCreate.id), ...secretCreate, id: undefined, actor: 'mallory' },
      }),
    );
    // Committed last: once its event is there, every record before it has been read.
    const last = await commitChange(table, user, auditEvent('rename', { keys: ['DB_URL_2'], secret_id: 'x' }));

    const events = await waitForEventIds(stack.dataDir, [...committed, last]);
    expect(events.map((event) => event.id)).toEqual([...committed, last]);
    expect(events.map((event) => [event.detailType, event.action])).toEqual([
      ['SecretChanged', 'create'],
      ['SecretChanged', 'update'],
      ['MemberChanged', 'member.put'],
      ['TokenChanged', 'token.create'],
      ['EnvironmentChanged', 'environment.update'],
      ['SecretChanged', 'rename'],
    ]);
    expect(events[0]).toEqual({
      id: committed[0],
      tenant: user,
      secretId: secretCreate.secret_id,
      name: 'DB_URL',
      action: 'create',
      version: 1,
      actor: 'alice',
      requestId: secretCreate.request_id,
      at: secretCreate.at,
      detailType: 'SecretChanged',
      source: 'secrets-service',
      time: expect.any(String),
    });
    expect(events[1]).toMatchObject({ tenant: environment, environmentId, key: 'API_KEY', version: 2 });
    expect(events[1]).not.toHaveProperty('name');
    expect(events[2]).toMatchObject({ environmentId, userId: 'bob' });
    expect(events[3]).toMatchObject({ environmentId, tokenId: 'tok-1' });
    expect(readFileSync(stack.eventsFile, 'utf8')).not.toContain('mallory');
  });

  it('resumes after a restart without repeating events, including changes committed while it was down', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'secrets-events-'));
    const options = {
      dataDir,
      port: 0,
      dynamoDbEndpoint: inject('dynamoDbEndpoint'),
      tableName: `test-${randomUUID()}`,
    };
    const tenant = userTenant(`restart-${randomUUID()}`);
    let running: LocalStack | undefined;
    try {
      running = await startLocalStack(options);
      const deps = tableOf(running);
      const before = await commitChange(deps, tenant, auditEvent('create', { keys: ['A'] }));
      await waitForEventIds(dataDir, [before]);
      // Committed right before the stop: the stop reads the stream once more.
      const atStop = await commitChange(deps, tenant, auditEvent('update', { keys: ['A'], version: 2 }));
      await running.stop();
      running = undefined;
      expect(readEvents(dataDir).map((event) => event.id)).toEqual([before, atStop]);

      const whileDown = await commitChange(deps, tenant, auditEvent('delete', { keys: ['A'] }));
      running = await startLocalStack(options);
      const after = await commitChange(deps, tenant, auditEvent('restore', { keys: ['A'] }));
      const events = await waitForEventIds(dataDir, [after]);
      expect(events.map((event) => event.id)).toEqual([before, atStop, whileDown, after]);
    } finally {
      await running?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('never writes a value into events.jsonl', async () => {
    const token = await stack.token(`events-http-${randomUUID()}`);
    const created = await stack.call('POST', '/api/v1/user/secrets', {
      token,
      body: { name: 'EVENTS_VALUE', value: VALUE },
    });
    expect(created.status).toBe(201);
    // Whether or not the route writes its audit item yet, whatever it committed has been read
    // once a change committed after it has its event.
    const marker = await commitChange(table, userTenant('events-marker'), auditEvent('create', { keys: ['M'] }));
    await waitForEventIds(stack.dataDir, [marker]);
    expect(readFileSync(stack.eventsFile, 'utf8')).not.toContain(VALUE);
  });
});
