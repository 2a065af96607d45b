import type { PutEventsCommand, PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { type ChangeDetailType, type ChangeStreamRecord, classifyRecord } from '../../lib/events/change-events.js';
import { eventBridgeSink, handleChangeStream, type PutEventsClient } from '../../lib/events/publish.js';
import { ACCESS_ACTIONS, CHANGE_ACTIONS, type ChangeAction } from '../../lib/store/items/audit-event.js';
import { loggedDuring } from '../support/logs.js';

/** What each change action is published as (docs/architecture.md, "Change events"). */
const EXPECTED_DETAIL_TYPE: Record<ChangeAction, ChangeDetailType> = {
  create: 'SecretChanged',
  update: 'SecretChanged',
  delete: 'SecretChanged',
  restore: 'SecretChanged',
  purge: 'SecretChanged',
  rollback: 'SecretChanged',
  rename: 'SecretChanged',
  copy: 'SecretChanged',
  'member.put': 'MemberChanged',
  'member.remove': 'MemberChanged',
  'token.create': 'TokenChanged',
  'token.revoke': 'TokenChanged',
  'environment.create': 'EnvironmentChanged',
  'environment.update': 'EnvironmentChanged',
  'environment.delete': 'EnvironmentChanged',
  'environment.restore': 'EnvironmentChanged',
};

const ULID = '01JAAAAAAAAAAAAAAAAAAAAAAA';
const SECRET_VALUE = 'sk-live-do-not-publish';
let sequence = 100;

/** An audit item as stored (lib/store/items/audit-event.ts), with room for stray attributes. */
function auditItem(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    PK: 'USER#alice',
    SK: `AUDIT#${ULID}`,
    action: 'update',
    actor: 'alice',
    request_id: 'req-1',
    keys: ['DB_URL'],
    at: '2025-06-01T12:00:00.000Z',
    expires_at: 1_760_000_000,
    ...fields,
  };
}

/** A stream record as Lambda delivers it. */
function streamRecord(item: Record<string, unknown>, eventName = 'INSERT'): ChangeStreamRecord {
  const image = marshall(item, { removeUndefinedValues: true });
  return {
    eventName,
    dynamodb: {
      SequenceNumber: String(sequence++).padStart(21, '0'),
      Keys: { PK: image.PK, SK: image.SK },
      ...(eventName === 'REMOVE' ? {} : { NewImage: image }),
    },
  };
}

const changeOf = (record: ChangeStreamRecord) => {
  const classified = classifyRecord(record);
  if (classified.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(classified)}`);
  return classified.event;
};

describe('change event mapping', () => {
  it.each(CHANGE_ACTIONS.map((action) => [action]))('publishes %s as its detail-type', (action) => {
    expect(changeOf(streamRecord(auditItem({ action }))).detailType).toBe(EXPECTED_DETAIL_TYPE[action]);
  });

  it('describes a user secret change by tenant, name, secret id and version', () => {
    const event = changeOf(streamRecord(auditItem({ action: 'update', secret_id: 'sec-1', version: 3 })));
    expect(event).toEqual({
      detailType: 'SecretChanged',
      detail: {
        id: `USER#alice/${ULID}`,
        tenant: 'USER#alice',
        secretId: 'sec-1',
        name: 'DB_URL',
        action: 'update',
        version: 3,
        actor: 'alice',
        requestId: 'req-1',
        at: '2025-06-01T12:00:00.000Z',
      },
    });
    expect(Object.keys(event.detail)).not.toContain('key');
  });

  it('describes an environment change by environment id and key, the member and the token', () => {
    const tenant = { PK: 'ENV#env-1', SK: `AUDIT#${ULID}` };
    expect(changeOf(streamRecord(auditItem({ ...tenant, keys: ['API_KEY'], version: 7 }))).detail).toEqual({
      id: `ENV#env-1/${ULID}`,
      tenant: 'ENV#env-1',
      environmentId: 'env-1',
      key: 'API_KEY',
      action: 'update',
      version: 7,
      actor: 'alice',
      requestId: 'req-1',
      at: '2025-06-01T12:00:00.000Z',
    });
    const member = changeOf(streamRecord(auditItem({ ...tenant, action: 'member.remove', keys: [], user_id: 'bob' })));
    expect(member.detail).toMatchObject({ environmentId: 'env-1', userId: 'bob', action: 'member.remove' });
    expect(member.detail).not.toHaveProperty('key');
    const token = changeOf(
      streamRecord(auditItem({ ...tenant, action: 'token.revoke', keys: [], token_id: 'tok-9', actor: 'token:tok-1' })),
    );
    expect(token.detail).toMatchObject({ tokenId: 'tok-9', actor: 'token:tok-1' });
  });

  it('gives a redelivered record the same id, and different audit items different ids', () => {
    const item = auditItem();
    expect(changeOf(streamRecord(item)).detail.id).toBe(changeOf(streamRecord(item)).detail.id);
    expect(changeOf(streamRecord(auditItem({ SK: 'AUDIT#01JBBBBBBBBBBBBBBBBBBBBBBB' }))).detail.id).not.toBe(
      changeOf(streamRecord(item)).detail.id,
    );
  });

  it('never carries a value, a masked value or any attribute it does not list', () => {
    const event = changeOf(
      streamRecord(
        auditItem({ value: SECRET_VALUE, masked_value: 'sk-l…lish', ct: 'AAAA', note: SECRET_VALUE, kv: 1 }),
      ),
    );
    expect(JSON.stringify(event)).not.toContain(SECRET_VALUE);
    expect(Object.keys(event.detail).sort()).toEqual(
      ['id', 'tenant', 'name', 'action', 'actor', 'requestId', 'at'].sort(),
    );
  });

  it.each<[string, ChangeStreamRecord]>([
    ...ACCESS_ACTIONS.map((action): [string, ChangeStreamRecord] => [
      `access ${action}`,
      streamRecord(auditItem({ action })),
    ]),
    ['a modified audit item', streamRecord(auditItem(), 'MODIFY')],
    ['an audit item removed by TTL', streamRecord(auditItem(), 'REMOVE')],
    ['a secret', streamRecord({ PK: 'USER#alice', SK: 'SECRET#sec-1', kv: 1, ct: SECRET_VALUE, version: 1 })],
    ['a tenant header', streamRecord({ PK: 'ENV#env-1', SK: 'META', key_version: 1, total: 0 })],
    ['a data key', streamRecord({ PK: 'USER#alice', SK: 'DATAKEY#000001', wrapped: 'AAAA' })],
    ['an idempotency record', streamRecord({ PK: 'IDEMPOTENCY#alice', SK: 'KEY#k1', action: 'create' })],
  ])('publishes nothing for %s', (_, record) => {
    expect(classifyRecord(record)).toEqual({ kind: 'skip' });
  });

  it.each([
    ['a missing actor', auditItem({ actor: undefined }), ['actor']],
    ['an unknown action', auditItem({ action: 'exfiltrate' }), ['action']],
    ['keys that are not a list', auditItem({ keys: 'DB_URL' }), ['keys']],
    ['a tenant that is none', auditItem({ PK: 'IDEMPOTENCY#alice' }), ['PK']],
    ['an empty audit id', auditItem({ SK: 'AUDIT#' }), ['SK']],
  ])('calls an audit item with %s malformed, naming the field', (_, item, fields) => {
    expect(classifyRecord(streamRecord(item))).toEqual({ kind: 'malformed', fields });
  });

  it('calls an inserted audit item without a readable image malformed', () => {
    const keys = { PK: { S: 'USER#alice' }, SK: { S: `AUDIT#${ULID}` } };
    expect(classifyRecord({ eventName: 'INSERT', dynamodb: { Keys: keys } }).kind).toBe('malformed');
    expect(
      classifyRecord({ eventName: 'INSERT', dynamodb: { Keys: keys, NewImage: { ...keys, action: { X: 1 } } } }).kind,
    ).toBe('malformed');
  });
});

/** An EventBridge stand-in that records every PutEvents and answers what `answer` says. */
function fakeEventBridge(answer: (call: number, entries: number) => PutEventsCommandOutput | Error) {
  const calls: NonNullable<PutEventsCommand['input']['Entries']>[] = [];
  const client: PutEventsClient = {
    send: async (command) => {
      const entries = command.input.Entries ?? [];
      calls.push(entries);
      const answered = answer(calls.length, entries.length);
      if (answered instanceof Error) throw answered;
      return answered;
    },
  };
  return { client, calls };
}

const accepted = (entries: number): PutEventsCommandOutput => ({
  $metadata: {},
  FailedEntryCount: 0,
  Entries: Array.from({ length: entries }, (_, index) => ({ EventId: `e${index}` })),
});

/** Change records with non-change records between them; answers the batch and the change records' positions. */
function mixedBatch(changes: number) {
  const records: ChangeStreamRecord[] = [];
  const changePositions: number[] = [];
  for (let index = 0; index < changes; index++) {
    if (index % 4 === 0) records.push(streamRecord({ PK: 'USER#alice', SK: `SECRET#s${index}`, ct: 'AAAA' }));
    changePositions.push(records.length);
    records.push(streamRecord(auditItem({ SK: `AUDIT#01J${String(index).padStart(23, '0')}`, version: index })));
  }
  return { records, changePositions };
}

const sequenceNumbers = (records: ChangeStreamRecord[]) =>
  records.map((record) => ({ itemIdentifier: record.dynamodb!.SequenceNumber! }));

describe('the publisher function', () => {
  it('sends the changes of a batch in stream order, ten per PutEvents, to its bus', async () => {
    const { client, calls } = fakeEventBridge((_, entries) => accepted(entries));
    const { records } = mixedBatch(25);
    const answer = await handleChangeStream(eventBridgeSink(client, 'secrets-events'), { Records: records });
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(calls.map((entries) => entries.length)).toEqual([10, 10, 5]);
    const entries = calls.flat();
    expect(entries.map((entry) => JSON.parse(entry.Detail!).version)).toEqual([...Array(25).keys()]);
    expect(entries[0]).toEqual({
      EventBusName: 'secrets-events',
      Source: 'secrets-service',
      DetailType: 'SecretChanged',
      Detail: JSON.stringify(changeOf(records[1]!).detail),
    });
  });

  it('reports the first rejected entry and every record after it, and sends nothing more', async () => {
    const { client, calls } = fakeEventBridge((call, entries) =>
      call === 2
        ? {
            $metadata: {},
            FailedEntryCount: 2,
            Entries: Array.from({ length: entries }, (_, index) =>
              index === 3 || index === 6 ? { ErrorCode: 'ThrottlingException' } : { EventId: `e${index}` },
            ),
          }
        : accepted(entries),
    );
    const { records, changePositions } = mixedBatch(25);
    const log = await loggedDuring(async () => {
      const answer = await handleChangeStream(eventBridgeSink(client, 'secrets-events'), { Records: records });
      // The 14th change (second call, fourth entry) is the first one EventBridge did not take.
      expect(answer.batchItemFailures).toEqual(sequenceNumbers(records.slice(changePositions[13])));
    }, 'info');
    expect(calls).toHaveLength(2);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', rejected: 2 }));
  });

  it('fails from the first event of a PutEvents that threw, keeping what came before', async () => {
    const { client } = fakeEventBridge((call, entries) => (call === 1 ? accepted(entries) : new Error('timeout')));
    const { records, changePositions } = mixedBatch(15);
    const log = await loggedDuring(async () => {
      const answer = await handleChangeStream(eventBridgeSink(client, 'secrets-events'), { Records: records });
      expect(answer.batchItemFailures).toEqual(sequenceNumbers(records.slice(changePositions[10])));
    }, 'info');
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', error: 'Error' }));
    expect(log.text).not.toContain('timeout');
  });

  it('counts an answer that does not say which entries failed as all of them failing', async () => {
    const { client } = fakeEventBridge(() => ({ $metadata: {}, FailedEntryCount: 1 }));
    const { records, changePositions } = mixedBatch(3);
    await loggedDuring(async () => {
      const answer = await handleChangeStream(eventBridgeSink(client, 'secrets-events'), { Records: records });
      expect(answer.batchItemFailures).toEqual(sequenceNumbers(records.slice(changePositions[0])));
    }, 'info');
  });

  it('logs a malformed audit item by field, without its values, skips it and publishes the rest', async () => {
    const { client, calls } = fakeEventBridge((_, entries) => accepted(entries));
    const records = [
      streamRecord(auditItem({ action: 'create' })),
      streamRecord(auditItem({ SK: 'AUDIT#01JCCCCCCCCCCCCCCCCCCCCCCC', actor: 42, value: SECRET_VALUE })),
      streamRecord(auditItem({ action: 'delete', SK: 'AUDIT#01JDDDDDDDDDDDDDDDDDDDDDDD' })),
    ];
    const log = await loggedDuring(async () => {
      expect(await handleChangeStream(eventBridgeSink(client, 'bus'), { Records: records })).toEqual({
        batchItemFailures: [],
      });
    });
    expect(calls.flat().map((entry) => JSON.parse(entry.Detail!).action)).toEqual(['create', 'delete']);
    expect(log.lines).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'malformed audit item in the table stream, skipped',
        fields: ['actor'],
        sequenceNumber: records[1]!.dynamodb!.SequenceNumber,
      }),
    ]);
    expect(log.text).not.toContain(SECRET_VALUE);
  });

  it('calls nothing for a batch without changes', async () => {
    const { client, calls } = fakeEventBridge((_, entries) => accepted(entries));
    const records = [streamRecord(auditItem({ action: 'reveal' })), streamRecord(auditItem(), 'REMOVE')];
    expect(await handleChangeStream(eventBridgeSink(client, 'bus'), { Records: records })).toEqual({
      batchItemFailures: [],
    });
    expect(calls).toEqual([]);
  });

  it('rejects an event it cannot read, so the whole batch is retried', async () => {
    const { client } = fakeEventBridge((_, entries) => accepted(entries));
    const log = await loggedDuring(() =>
      expect(handleChangeStream(eventBridgeSink(client, 'bus'), { records: [] })).rejects.toThrow(
        'Unreadable stream event at: Records',
      ),
    );
    expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'unreadable stream event' }));
  });
});
