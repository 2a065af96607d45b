import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localDynamoDbClient } from '../../infra/local/dynamodb.js';
import { type CallResult, startTestStack, type TestStack } from '../support/stack.js';

/**
 * Value versions and the trash of the v1 API over HTTP (API contract, "Versions and recovery"):
 * listing and restoring versions, pruning beyond MAX_VERSIONS (lowered to 3 here), and delete →
 * trash → restore / purge / expiry, each answering 404 for another user's id.
 */
const SECRETS = '/api/v1/user/secrets';
const DELETED = `${SECRETS}/deleted`;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;
const DAY_MS = 86_400_000;
const MAX_VERSIONS = 3;

let stack: TestStack;
let ddb: DynamoDBDocumentClient;

beforeAll(async () => {
  vi.stubEnv('MAX_VERSIONS', String(MAX_VERSIONS));
  // Low enough to reach with a few secrets; every other user here stays below it.
  vi.stubEnv('MAX_SECRETS_PER_TENANT', '3');
  stack = await startTestStack();
  ddb = DynamoDBDocumentClient.from(localDynamoDbClient(stack.dynamoDbEndpoint));
});
afterAll(async () => {
  ddb?.destroy();
  await stack?.stop();
  vi.unstubAllEnvs();
});

function expectV1Error(result: CallResult, status: number, type: string) {
  expect(result.status).toBe(status);
  expect(result.body).toMatchObject({ code: status, type });
  expect(typeof result.body.detail).toBe('string');
  expect(result.headers.get('x-request-id')).toMatch(REQUEST_ID);
}

/** A user of this file: a token for its calls and one with the inject scope. */
async function user(sub: string) {
  return { sub, token: await stack.token(sub), injector: await stack.token(sub, 'secrets:inject') };
}
type User = Awaited<ReturnType<typeof user>>;

async function create(who: User, name: string, value: string): Promise<CallResult> {
  const created = await stack.call('POST', SECRETS, { token: who.token, body: { name, value } });
  expect(created.status).toBe(201);
  return created;
}

async function update(who: User, id: string, value: string): Promise<CallResult> {
  const updated = await stack.call('PUT', `${SECRETS}/${id}`, { token: who.token, body: { value } });
  expect(updated.status).toBe(200);
  return updated;
}

const versionsOf = (who: User, id: string, query = '') =>
  stack.call('GET', `${SECRETS}/${id}/versions${query}`, { token: who.token });

const restoreVersion = (who: User, id: string, version: number | string, headers: Record<string, string> = {}) =>
  stack.call('POST', `${SECRETS}/${id}/versions/${version}/restore`, { token: who.token, headers });

async function injected(who: User): Promise<Record<string, string>> {
  const result = await stack.call('GET', `${SECRETS}/env`, { token: who.injector });
  expect(result.status).toBe(200);
  return result.body.env;
}

async function versionNumbers(who: User, id: string): Promise<number[]> {
  const listed = await versionsOf(who, id);
  expect(listed.status).toBe(200);
  return listed.body.versions.map((version: { version: number }) => version.version);
}

/** The kept earlier values of a secret as stored (the current value lives in its SECRET# item). */
const versionItems = (who: User, id: string) => stack.items(`USER#${who.sub}`, `VERSION#${id}#`);

async function auditActions(who: User): Promise<[string, number | null][]> {
  const audit = await stack.call('GET', '/api/v1/user/audit', { token: who.token });
  expect(audit.status).toBe(200);
  return audit.body.events.map((event: { action: string; version: number | null }) => [event.action, event.version]);
}

/** Moves the trash window of `id` (and of its reserved name) into the past, as if TTL had not run yet. */
async function expireTrash(who: User, id: string, name: string) {
  const past = Math.floor(Date.now() / 1000) - 60;
  for (const SK of [`TRASH#${id}`, `TRASHNAME#${name}`]) {
    await ddb.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { PK: `USER#${who.sub}`, SK },
        UpdateExpression: 'SET expires_at = :past',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':past': past },
      }),
    );
  }
}

describe('GET /api/v1/user/secrets/{id}/versions', () => {
  it('lists every kept value newest first, the current one first and flagged, masked, never a value', async () => {
    const who = await user('versions-lister');
    const values = ['first-value-aaaaaaaaaaaa', 'second-value-bbbbbbbbbbb', 'third-value-cccccccccccc'] as const;
    const created = await create(who, 'LISTED', values[0]);
    const second = await update(who, created.body.id, values[1]);
    const third = await update(who, created.body.id, values[2]);
    expect(third.headers.get('etag')).toBe('"3"');

    const listed = await versionsOf(who, created.body.id);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      versions: [
        { version: 3, masked_value: third.body.masked_value, created_at: third.body.updated_at, current: true },
        { version: 2, masked_value: second.body.masked_value, created_at: second.body.updated_at, current: false },
        { version: 1, masked_value: created.body.masked_value, created_at: created.body.created_at, current: false },
      ],
      next_cursor: null,
    });
    for (const version of listed.body.versions) {
      expect(Object.keys(version).sort()).toEqual(['created_at', 'current', 'masked_value', 'version']);
      expect(version.created_at).toMatch(TIMESTAMP);
      expect(version.masked_value).toContain('••••');
    }
    // The three masks differ, so each row shows its own value's mask.
    expect(new Set(listed.body.versions.map((v: { masked_value: string }) => v.masked_value)).size).toBe(3);
    for (const value of values) expect(listed.text).not.toContain(value);
    expect(listed.text).not.toMatch(/"value"/);
    expect(listed.headers.get('x-request-id')).toMatch(REQUEST_ID);
  });

  it('pages with limit and cursor, and refuses a cursor of another secret or a forged one', async () => {
    const who = await user('versions-pager');
    const created = await create(who, 'PAGED', 'paged-value-1');
    await update(who, created.body.id, 'paged-value-2');
    await update(who, created.body.id, 'paged-value-3');
    const all = (await versionsOf(who, created.body.id)).body.versions;

    const seen = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await versionsOf(who, created.body.id, query);
      expect(page.status).toBe(200);
      expect(page.body.versions).toHaveLength(1);
      seen.push(...page.body.versions);
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(all);
    expect(seen.map((version) => version.version)).toEqual([3, 2, 1]);

    const twoThenRest = await versionsOf(who, created.body.id, '?limit=2');
    expect(twoThenRest.body.versions.map((v: { version: number }) => v.version)).toEqual([3, 2]);
    const rest = await versionsOf(
      who,
      created.body.id,
      `?limit=2&cursor=${encodeURIComponent(twoThenRest.body.next_cursor)}`,
    );
    expect(rest.body).toEqual({ versions: [all[2]], next_cursor: null });

    // A cursor handed out for another secret's versions is not one of this list.
    const other = await create(who, 'OTHER', 'other-value-1');
    await update(who, other.body.id, 'other-value-2');
    const otherPage = await versionsOf(who, other.body.id, '?limit=1');
    expect(typeof otherPage.body.next_cursor).toBe('string');
    const foreign = await versionsOf(
      who,
      created.body.id,
      `?limit=1&cursor=${encodeURIComponent(otherPage.body.next_cursor)}`,
    );
    expectV1Error(foreign, 422, 'validation_error');
    expect(foreign.body.errors[0].loc).toEqual(['query', 'cursor']);
    // Nor is a cursor of the secrets list, or a forged one.
    const secretsPage = await stack.call('GET', `${SECRETS}?limit=1`, { token: who.token });
    expect(typeof secretsPage.body.next_cursor).toBe('string');
    const listCursor = await versionsOf(
      who,
      created.body.id,
      `?cursor=${encodeURIComponent(secretsPage.body.next_cursor)}`,
    );
    expectV1Error(listCursor, 422, 'validation_error');
    const forged = await versionsOf(who, created.body.id, '?cursor=not-a-cursor');
    expectV1Error(forged, 422, 'validation_error');
    expect(forged.body.errors[0].loc).toEqual(['query', 'cursor']);
    expectV1Error(await versionsOf(who, created.body.id, '?limit=0'), 422, 'validation_error');
    expectV1Error(await versionsOf(who, created.body.id, '?limit=101'), 422, 'validation_error');
  });

  it('lists only the current value of a secret never updated', async () => {
    const who = await user('versions-single');
    const created = await create(who, 'SINGLE', 'only-value-000000');
    expect((await versionsOf(who, created.body.id)).body).toEqual({
      versions: [
        { version: 1, masked_value: created.body.masked_value, created_at: created.body.created_at, current: true },
      ],
      next_cursor: null,
    });
    expect(await versionItems(who, created.body.id)).toEqual([]);
  });

  it('answers 404 for an unknown id and 422 at path.id for a malformed one', async () => {
    const who = await user('versions-missing');
    const missing = await versionsOf(who, '00000000-0000-4000-8000-000000000000');
    expectV1Error(missing, 404, 'not_found_error');
    const malformed = await versionsOf(who, 'not-a-uuid');
    expectV1Error(malformed, 422, 'validation_error');
    expect(malformed.body.errors[0].loc).toEqual(['path', 'id']);
  });
});

describe('pruning beyond MAX_VERSIONS', () => {
  it('keeps exactly the newest MAX_VERSIONS values, the VERSION# items matching, and forgets the pruned ones', async () => {
    const who = await user('pruner');
    const created = await create(who, 'PRUNED', 'pruned-value-1');
    for (let n = 2; n <= 6; n++) await update(who, created.body.id, `pruned-value-${n}`);

    const listed = await versionsOf(who, created.body.id);
    expect(listed.body.versions.map((v: { version: number; current: boolean }) => [v.version, v.current])).toEqual([
      [6, true],
      [5, false],
      [4, false],
    ]);
    expect(listed.body.versions).toHaveLength(MAX_VERSIONS);
    const items = await versionItems(who, created.body.id);
    expect(items.map((item) => item.value_version).sort()).toEqual([4, 5]);
    // MAX_VERSIONS - 1 slots, each write at the limit overwriting the oldest one's.
    expect(items.map((item) => item.SK).sort()).toEqual([
      `VERSION#${created.body.id}#000000`,
      `VERSION#${created.body.id}#000001`,
    ]);
    for (const item of items) expect(item).not.toHaveProperty('expires_at');
    expect(JSON.stringify(items)).not.toMatch(/pruned-value/);

    for (const pruned of [1, 2, 3]) {
      const gone = await restoreVersion(who, created.body.id, pruned);
      expectV1Error(gone, 404, 'not_found_error');
    }
    expect(await injected(who)).toEqual({ PRUNED: 'pruned-value-6' });
    expect((await stack.call('GET', `${SECRETS}/${created.body.id}`, { token: who.token })).headers.get('etag')).toBe(
      '"6"',
    );
  });
});

describe('POST /api/v1/user/secrets/{id}/versions/{version}/restore', () => {
  it('writes the kept value as a new version with a new ETag, honouring If-Match', async () => {
    const who = await user('rollbacker');
    const created = await create(who, 'ROLLED', 'original-value-0001');
    await update(who, created.body.id, 'changed-value-00002');
    const third = await update(who, created.body.id, 'changed-value-00003');
    expect(third.headers.get('etag')).toBe('"3"');

    const restored = await restoreVersion(who, created.body.id, 1, { 'if-match': '"3"' });
    expect(restored.status).toBe(200);
    expect(restored.headers.get('etag')).toBe('"4"');
    expect(restored.body).toEqual({
      id: created.body.id,
      name: 'ROLLED',
      provider: 'custom',
      masked_value: created.body.masked_value,
      created_at: created.body.created_at,
      updated_at: expect.stringMatching(TIMESTAMP),
    });
    expect(restored.text).not.toContain('original-value');
    expect(await injected(who)).toEqual({ ROLLED: 'original-value-0001' });
    const got = await stack.call('GET', `${SECRETS}/${created.body.id}`, { token: who.token });
    expect(got.headers.get('etag')).toBe('"4"');
    expect(got.body).toEqual(restored.body);

    // The restore is a write like any other: version 1 itself is now beyond the 3 kept.
    const listed = await versionsOf(who, created.body.id);
    expect(listed.body.versions).toEqual([
      { version: 4, masked_value: created.body.masked_value, created_at: restored.body.updated_at, current: true },
      { version: 3, masked_value: third.body.masked_value, created_at: third.body.updated_at, current: false },
      expect.objectContaining({ version: 2, current: false }),
    ]);
    expectV1Error(await restoreVersion(who, created.body.id, 1), 404, 'not_found_error');
    expect((await auditActions(who)).filter(([action]) => action !== 'inject')).toEqual([
      ['rollback', 4],
      ['update', 3],
      ['update', 2],
      ['create', 1],
    ]);

    // Without If-Match it restores as well.
    const again = await restoreVersion(who, created.body.id, 2);
    expect(again.status).toBe(200);
    expect(again.headers.get('etag')).toBe('"5"');
    expect(await injected(who)).toEqual({ ROLLED: 'changed-value-00002' });
    expect(await versionNumbers(who, created.body.id)).toEqual([5, 4, 3]);
  });

  it('answers 412 for a stale If-Match and changes nothing', async () => {
    const who = await user('stale-rollbacker');
    const created = await create(who, 'GUARDED', 'guarded-value-0001');
    await update(who, created.body.id, 'guarded-value-0002');
    const before = await versionsOf(who, created.body.id);
    const auditBefore = await auditActions(who);

    const stale = await restoreVersion(who, created.body.id, 1, { 'if-match': '"1"' });
    expectV1Error(stale, 412, 'precondition_failed');
    expect(stale.text).not.toContain('guarded-value');

    expect((await stack.call('GET', `${SECRETS}/${created.body.id}`, { token: who.token })).headers.get('etag')).toBe(
      '"2"',
    );
    expect(await injected(who)).toEqual({ GUARDED: 'guarded-value-0002' });
    expect((await versionsOf(who, created.body.id)).body).toEqual(before.body);
    // The inject above is the only new audit event.
    expect((await auditActions(who)).slice(1)).toEqual(auditBefore);
  });

  it('answers 404 for a version the secret never had, and 422 for a malformed version', async () => {
    const who = await user('unknown-version');
    const created = await create(who, 'VERSIONED', 'versioned-value-1');
    await update(who, created.body.id, 'versioned-value-2');
    for (const version of [3, 99]) {
      const unknown = await restoreVersion(who, created.body.id, version);
      expectV1Error(unknown, 404, 'not_found_error');
      expect(unknown.text).not.toContain('versioned-value');
    }
    for (const version of ['abc', '0', '-1', '1.5']) {
      const malformed = await restoreVersion(who, created.body.id, version);
      expectV1Error(malformed, 422, 'validation_error');
      expect(malformed.body.errors[0].loc).toEqual(['path', 'version']);
    }
    expectV1Error(await restoreVersion(who, '00000000-0000-4000-8000-000000000000', 1), 404, 'not_found_error');
    expect(await injected(who)).toEqual({ VERSIONED: 'versioned-value-2' });
    expect(await versionNumbers(who, created.body.id)).toEqual([2, 1]);
  });
});

describe('the trash', () => {
  it('hides a deleted secret everywhere, lists it with its window, and restores it with every version', async () => {
    const who = await user('trasher');
    const created = await create(who, 'TRASHED', 'trashed-value-00001');
    const updated = await update(who, created.body.id, 'trashed-value-00002');
    await create(who, 'KEEP', 'keep-value');
    const id = created.body.id;

    const before = Date.now();
    const deleted = await stack.call('DELETE', `${SECRETS}/${id}`, {
      token: who.token,
      headers: { 'if-match': '"2"' },
    });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');

    // Gone from get, list, total, inject and every id route.
    expectV1Error(await stack.call('GET', `${SECRETS}/${id}`, { token: who.token }), 404, 'not_found_error');
    const list = await stack.call('GET', SECRETS, { token: who.token });
    expect(list.body.total).toBe(1);
    expect(list.body.secrets.map((secret: { name: string }) => secret.name)).toEqual(['KEEP']);
    expect(await injected(who)).toEqual({ KEEP: 'keep-value' });
    expectV1Error(await versionsOf(who, id), 404, 'not_found_error');
    expectV1Error(await restoreVersion(who, id, 1), 404, 'not_found_error');
    expectV1Error(
      await stack.call('PUT', `${SECRETS}/${id}`, { token: who.token, body: { value: 'x' } }),
      404,
      'not_found_error',
    );

    // Listed in the trash with its metadata, when it was deleted and when it will be purged.
    const trash = await stack.call('GET', DELETED, { token: who.token });
    expect(trash.status).toBe(200);
    expect(trash.body).toEqual({
      secrets: [
        {
          ...updated.body,
          deleted_at: expect.stringMatching(TIMESTAMP),
          purge_at: expect.stringMatching(TIMESTAMP),
        },
      ],
      next_cursor: null,
    });
    expect(trash.text).not.toContain('trashed-value');
    const [entry] = trash.body.secrets;
    expect(Date.parse(entry.deleted_at)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(entry.deleted_at)).toBeLessThanOrEqual(Date.now());
    // The default recovery window is 7 days, both stamps read from one instant.
    expect(Date.parse(entry.purge_at) - Date.parse(entry.deleted_at)).toBe(7 * DAY_MS);

    // Its versions wait in the table, expiring with it.
    const trashed = await stack.items(`USER#${who.sub}`, `TRASH#${id}`);
    const expiresAt = Date.parse(entry.purge_at) / 1000;
    expect(trashed.map((item) => item.expires_at)).toEqual([expiresAt]);
    const waiting = await versionItems(who, id);
    expect(waiting.map((item) => [item.value_version, item.expires_at])).toEqual([[1, expiresAt]]);

    // The name stays reserved, pointing at how to get it back.
    const reserved = await stack.call('POST', SECRETS, { token: who.token, body: { name: 'TRASHED', value: 'new' } });
    expectV1Error(reserved, 409, 'conflict_error');
    expect(reserved.body.detail).toContain(`/api/v1/user/secrets/deleted/${id}/restore`);

    const stale = await stack.call('POST', `${DELETED}/${id}/restore`, {
      token: who.token,
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    const restored = await stack.call('POST', `${DELETED}/${id}/restore`, {
      token: who.token,
      headers: { 'if-match': '"2"' },
    });
    expect(restored.status).toBe(200);
    expect(restored.body).toEqual({ ...updated.body, updated_at: expect.stringMatching(TIMESTAMP) });
    // A write: the record version at delete (2) + 1.
    expect(restored.headers.get('etag')).toBe('"3"');
    const got = await stack.call('GET', `${SECRETS}/${id}`, { token: who.token });
    expect(got.status).toBe(200);
    expect(got.headers.get('etag')).toBe('"3"');
    expect(await injected(who)).toEqual({ KEEP: 'keep-value', TRASHED: 'trashed-value-00002' });
    expect((await stack.call('GET', SECRETS, { token: who.token })).body.total).toBe(2);
    expect((await versionsOf(who, id)).body).toEqual({
      versions: [
        { version: 2, masked_value: updated.body.masked_value, created_at: updated.body.updated_at, current: true },
        { version: 1, masked_value: created.body.masked_value, created_at: created.body.created_at, current: false },
      ],
      next_cursor: null,
    });
    // Kept for good again.
    expect((await versionItems(who, id)).map((item) => item.expires_at)).toEqual([undefined]);
    expect(await stack.items(`USER#${who.sub}`, `TRASH`)).toEqual([]);
    expect((await stack.call('GET', DELETED, { token: who.token })).body).toEqual({ secrets: [], next_cursor: null });
    expectV1Error(await stack.call('POST', `${DELETED}/${id}/restore`, { token: who.token }), 404, 'not_found_error');

    // The kept version still restores after the round trip through the trash.
    const rolledBack = await restoreVersion(who, id, 1, { 'if-match': '"3"' });
    expect(rolledBack.status).toBe(200);
    expect(rolledBack.headers.get('etag')).toBe('"4"');
    expect((await injected(who)).TRASHED).toBe('trashed-value-00001');
    expect(await versionNumbers(who, id)).toEqual([4, 2, 1]);
    expect((await auditActions(who)).filter(([action]) => action !== 'inject')).toEqual([
      ['rollback', 4],
      ['restore', 3],
      ['delete', 2],
      ['create', 1],
      ['update', 2],
      ['create', 1],
    ]);
  });

  it('purges a trashed secret with its versions at once and frees its name', async () => {
    const who = await user('purger');
    const created = await create(who, 'PURGED', 'purged-value-00001');
    await update(who, created.body.id, 'purged-value-00002');
    await update(who, created.body.id, 'purged-value-00003');
    const id = created.body.id;
    expect(await versionItems(who, id)).toHaveLength(2);
    expect((await stack.call('DELETE', `${SECRETS}/${id}`, { token: who.token })).status).toBe(204);

    const purged = await stack.call('DELETE', `${DELETED}/${id}`, { token: who.token });
    expect(purged.status).toBe(204);
    expect(purged.text).toBe('');
    expect((await stack.call('GET', DELETED, { token: who.token })).body).toEqual({ secrets: [], next_cursor: null });
    expect(await versionItems(who, id)).toEqual([]);
    expect(await stack.items(`USER#${who.sub}`, 'TRASH')).toEqual([]);
    expectV1Error(await stack.call('POST', `${DELETED}/${id}/restore`, { token: who.token }), 404, 'not_found_error');
    expectV1Error(await stack.call('DELETE', `${DELETED}/${id}`, { token: who.token }), 404, 'not_found_error');
    // A live secret is not in the trash: purge does not reach it.
    const live = await create(who, 'LIVE', 'live-value');
    expectV1Error(
      await stack.call('DELETE', `${DELETED}/${live.body.id}`, { token: who.token }),
      404,
      'not_found_error',
    );
    expect(await injected(who)).toEqual({ LIVE: 'live-value' });

    const again = await create(who, 'PURGED', 'purged-again-value');
    expect(again.body.id).not.toBe(id);
    expect(await versionNumbers(who, again.body.id)).toEqual([1]);
    expect(
      (await auditActions(who))
        .map(([action]) => action)
        .filter((a) => a !== 'inject')
        .slice(0, 3),
    ).toEqual(['create', 'create', 'purge']);
  });

  it('treats a trashed secret past its window as purged, before TTL removes it', async () => {
    const who = await user('expirer');
    const created = await create(who, 'EXPIRED', 'expired-value-0001');
    const id = created.body.id;
    expect((await stack.call('DELETE', `${SECRETS}/${id}`, { token: who.token })).status).toBe(204);
    await expireTrash(who, id, 'EXPIRED');

    expect((await stack.call('GET', DELETED, { token: who.token })).body).toEqual({ secrets: [], next_cursor: null });
    expectV1Error(await stack.call('POST', `${DELETED}/${id}/restore`, { token: who.token }), 404, 'not_found_error');
    expectV1Error(await stack.call('DELETE', `${DELETED}/${id}`, { token: who.token }), 404, 'not_found_error');
    expectV1Error(await versionsOf(who, id), 404, 'not_found_error');

    // The name is free again, and the new secret lives and trashes on its own.
    const recreated = await create(who, 'EXPIRED', 'expired-value-0002');
    expect(recreated.body.id).not.toBe(id);
    expect(await injected(who)).toEqual({ EXPIRED: 'expired-value-0002' });
    expect((await stack.call('DELETE', `${SECRETS}/${recreated.body.id}`, { token: who.token })).status).toBe(204);
    const trash = await stack.call('GET', DELETED, { token: who.token });
    expect(trash.body.secrets.map((secret: { id: string }) => secret.id)).toEqual([recreated.body.id]);
    const reserved = await stack.call('POST', SECRETS, { token: who.token, body: { name: 'EXPIRED', value: 'x' } });
    expectV1Error(reserved, 409, 'conflict_error');
    expect(reserved.body.detail).toContain(`/api/v1/user/secrets/deleted/${recreated.body.id}/restore`);
    const restored = await stack.call('POST', `${DELETED}/${recreated.body.id}/restore`, { token: who.token });
    expect(restored.status).toBe(200);
    expect(await injected(who)).toEqual({ EXPIRED: 'expired-value-0002' });
  });

  it('pages the trash with limit and cursor', async () => {
    const who = await user('trash-pager');
    const ids: string[] = [];
    for (const name of ['ONE', 'TWO', 'THREE']) {
      const created = await create(who, name, `${name}-value`);
      expect((await stack.call('DELETE', `${SECRETS}/${created.body.id}`, { token: who.token })).status).toBe(204);
      ids.push(created.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await stack.call('GET', `${DELETED}${query}`, { token: who.token });
      expect(page.status).toBe(200);
      seen.push(...page.body.secrets.map((secret: { id: string }) => secret.id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(2);
    expect([...seen].sort()).toEqual([...ids].sort());
    expectV1Error(
      await stack.call('GET', `${DELETED}?cursor=not-a-cursor`, { token: who.token }),
      422,
      'validation_error',
    );
  });

  it('refuses a restore that would pass the quota with 409 and leaves it in the trash', async () => {
    const who = await user('trash-quota');
    const first = await create(who, 'A', 'a-value');
    await create(who, 'B', 'b-value');
    await create(who, 'C', 'c-value');
    expect((await stack.call('DELETE', `${SECRETS}/${first.body.id}`, { token: who.token })).status).toBe(204);
    await create(who, 'D', 'd-value');

    const refused = await stack.call('POST', `${DELETED}/${first.body.id}/restore`, { token: who.token });
    expectV1Error(refused, 409, 'conflict_error');
    expect(
      (await stack.call('GET', DELETED, { token: who.token })).body.secrets.map((s: { id: string }) => s.id),
    ).toEqual([first.body.id]);
    expect(await injected(who)).toEqual({ B: 'b-value', C: 'c-value', D: 'd-value' });
    expect((await stack.call('GET', SECRETS, { token: who.token })).body.total).toBe(3);
  });

  it('answers 422 at path.id for a malformed id on the trash routes', async () => {
    const who = await user('trash-malformed');
    for (const [method, path] of [
      ['POST', `${DELETED}/not-a-uuid/restore`],
      ['DELETE', `${DELETED}/not-a-uuid`],
    ] as const) {
      const result = await stack.call(method, path, { token: who.token });
      expectV1Error(result, 422, 'validation_error');
      expect(result.body.errors[0].loc).toEqual(['path', 'id']);
    }
  });
});

describe('isolation and authentication', () => {
  it("answers 404 for another user's id on every versions and trash route, and leaves it untouched", async () => {
    const owner = await user('iso-owner');
    const intruder = await user('iso-intruder');
    const live = await create(owner, 'LIVE_ONE', 'live-value-00001');
    await update(owner, live.body.id, 'live-value-00002');
    const doomed = await create(owner, 'TRASHED_ONE', 'trashed-value-0001');
    expect((await stack.call('DELETE', `${SECRETS}/${doomed.body.id}`, { token: owner.token })).status).toBe(204);

    for (const result of [
      await versionsOf(intruder, live.body.id),
      await restoreVersion(intruder, live.body.id, 1),
      await restoreVersion(intruder, live.body.id, 1, { 'if-match': '"2"' }),
      await stack.call('POST', `${DELETED}/${doomed.body.id}/restore`, { token: intruder.token }),
      await stack.call('DELETE', `${DELETED}/${doomed.body.id}`, { token: intruder.token }),
      await versionsOf(intruder, doomed.body.id),
    ]) {
      expectV1Error(result, 404, 'not_found_error');
      expect(result.text).not.toMatch(/LIVE_ONE|TRASHED_ONE|-value-/);
    }
    expect((await stack.call('GET', DELETED, { token: intruder.token })).body).toEqual({
      secrets: [],
      next_cursor: null,
    });
    expect(await injected(intruder)).toEqual({});

    // The owner's secret, versions and trash are as they were.
    expect(await injected(owner)).toEqual({ LIVE_ONE: 'live-value-00002' });
    expect(await versionNumbers(owner, live.body.id)).toEqual([2, 1]);
    expect(
      (await stack.call('GET', DELETED, { token: owner.token })).body.secrets.map((s: { id: string }) => s.id),
    ).toEqual([doomed.body.id]);
    expect((await stack.call('POST', `${DELETED}/${doomed.body.id}/restore`, { token: owner.token })).status).toBe(200);
  });

  it('answers 401 authentication_error on every route without a valid token', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const expired = await stack.token('someone', undefined, -60);
    for (const token of [undefined, expired]) {
      for (const [method, path] of [
        ['GET', `${SECRETS}/${id}/versions`],
        ['POST', `${SECRETS}/${id}/versions/1/restore`],
        ['GET', DELETED],
        ['POST', `${DELETED}/${id}/restore`],
        ['DELETE', `${DELETED}/${id}`],
      ] as const) {
        expectV1Error(await stack.call(method, path, { token }), 401, 'authentication_error');
      }
    }
  });
});
