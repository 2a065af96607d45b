import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localDynamoDbClient } from '../../infra/local/dynamodb.js';
import { type CallResult, startTestStack, type TestStack } from '../support/stack.js';

/**
 * Value versions and the trash of the environments API over HTTP (API contract, "Versions and
 * recovery"): listing, revealing and restoring versions, pruning beyond MAX_VERSIONS (lowered to
 * 5 here), delete → trash → restore / purge / expiry, and who may do each.
 */
const ENVIRONMENTS = '/api/environments';
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;
const DAY_MS = 86_400_000;
const MAX_VERSIONS = 5;
const MASK = '••••';
const NO_ENVIRONMENT = '00000000-0000-4000-8000-000000000000';

let stack: TestStack;
let ddb: DynamoDBDocumentClient;

beforeAll(async () => {
  vi.stubEnv('MAX_VERSIONS', String(MAX_VERSIONS));
  stack = await startTestStack();
  ddb = DynamoDBDocumentClient.from(localDynamoDbClient(stack.dynamoDbEndpoint));
});
afterAll(async () => {
  ddb?.destroy();
  await stack?.stop();
  vi.unstubAllEnvs();
});

/** The environments envelope: string code, message, requestId repeating x-request-id. */
function expectError(result: CallResult, status: number, code: string, field?: string) {
  expect(result.status).toBe(status);
  expect(result.body).toMatchObject({ code, message: expect.any(String) });
  expect(result.body.requestId).toMatch(REQUEST_ID);
  expect(result.body.requestId).toBe(result.headers.get('x-request-id'));
  if (field) expect(result.body.field).toBe(field);
}

const ROLES = ['owner', 'editor', 'viewer', 'stranger'] as const;
type Who = (typeof ROLES)[number];

/** An environment of `<prefix>-owner` with an editor and a viewer, and a stranger who is no member. */
async function team(prefix: string) {
  const subs = Object.fromEntries(ROLES.map((who) => [who, `${prefix}-${who}`])) as Record<Who, string>;
  const tokens = Object.fromEntries(
    await Promise.all(ROLES.map(async (who) => [who, await stack.token(subs[who])] as const)),
  ) as Record<Who, string>;
  const injector = await stack.token(subs.owner, 'secrets:inject');
  const created = await stack.call('POST', ENVIRONMENTS, { token: tokens.owner, body: { name: `${prefix} env` } });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  const puts = await Promise.all(
    (['editor', 'viewer'] as const).map((role) =>
      stack.call('PUT', `${ENVIRONMENTS}/${id}/members/${subs[role]}`, { token: tokens.owner, body: { role } }),
    ),
  );
  for (const put of puts) expect(put.status).toBe(200);
  return { id, subs, tokens, injector };
}
type Team = Awaited<ReturnType<typeof team>>;

const secrets = (t: Team) => `${ENVIRONMENTS}/${t.id}/secrets`;
const deleted = (t: Team) => `${ENVIRONMENTS}/${t.id}/deleted-secrets`;

async function create(t: Team, who: Who, key: string, value: string, extra: Record<string, unknown> = {}) {
  const created = await stack.call('POST', secrets(t), { token: t.tokens[who], body: { key, value, ...extra } });
  expect(created.status).toBe(201);
  return created;
}

async function patch(t: Team, who: Who, key: string, body: Record<string, unknown>) {
  const patched = await stack.call('PATCH', `${secrets(t)}/${key}`, { token: t.tokens[who], body });
  expect(patched.status).toBe(200);
  return patched;
}

const versionsOf = (t: Team, who: Who, key: string, query = '') =>
  stack.call('GET', `${secrets(t)}/${key}/versions${query}`, { token: t.tokens[who] });

const revealVersion = (t: Team, who: Who, key: string, version: number | string) =>
  stack.call('GET', `${secrets(t)}/${key}/versions/${version}/value`, { token: t.tokens[who] });

const restoreVersion = (
  t: Team,
  who: Who,
  key: string,
  version: number | string,
  headers: Record<string, string> = {},
) => stack.call('POST', `${secrets(t)}/${key}/versions/${version}/restore`, { token: t.tokens[who], headers });

async function versionNumbers(t: Team, key: string): Promise<number[]> {
  const listed = await versionsOf(t, 'owner', key);
  expect(listed.status).toBe(200);
  return listed.body.versions.map((version: { version: number }) => version.version);
}

async function injected(t: Team): Promise<Record<string, string>> {
  const result = await stack.call('GET', `${ENVIRONMENTS}/${t.id}/env`, { token: t.injector });
  expect(result.status).toBe(200);
  return result.body.env;
}

async function etagOf(t: Team, key: string): Promise<string | null> {
  const got = await stack.call('GET', `${secrets(t)}/${key}`, { token: t.tokens.owner });
  expect(got.status).toBe(200);
  return got.headers.get('etag');
}

interface AuditEvent {
  action: string;
  actor: string;
  keys: string[];
  version?: number;
  requestId: string;
  at: string;
}

async function auditEvents(t: Team): Promise<AuditEvent[]> {
  const audit = await stack.call('GET', `${ENVIRONMENTS}/${t.id}/audit?limit=100`, { token: t.tokens.owner });
  expect(audit.status).toBe(200);
  return audit.body.events;
}

/** The kept earlier values of a secret as stored (the current value lives in its SECRET# item). */
const versionItems = (t: Team, key: string) => stack.items(`ENV#${t.id}`, `VERSION#${key}#`);
const trashItems = (t: Team) => stack.items(`ENV#${t.id}`, 'TRASH#');

/** Sets `expires_at` of a stored item of the environment, as if the sweep had not run yet. */
async function setExpiry(t: Team, SK: string, expiresAt: number) {
  await ddb.send(
    new UpdateCommand({
      TableName: stack.tableName,
      Key: { PK: `ENV#${t.id}`, SK },
      UpdateExpression: 'SET expires_at = :at',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':at': expiresAt },
    }),
  );
}

describe('GET …/secrets/{key}/versions', () => {
  it('lists each written value newest first, skipping a description-only change, masked and without values', async () => {
    const t = await team('lister');
    const values = ['first-value-aaaaaaaaaaaa', 'second-value-bbbbbbbbbbb', 'third-value-cccccccccccc'] as const;
    const created = await create(t, 'owner', 'API_KEY', values[0]);
    const second = await patch(t, 'editor', 'API_KEY', { value: values[1] });
    const described = await patch(t, 'owner', 'API_KEY', { description: 'only the description' });
    expect(described.body.version).toBe(3);
    const fourth = await patch(t, 'editor', 'API_KEY', { value: values[2] });
    expect(fourth.headers.get('etag')).toBe('"4"');

    // Any member lists them, a viewer too.
    const listed = await versionsOf(t, 'viewer', 'API_KEY');
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      versions: [
        {
          version: 4,
          maskedValue: fourth.body.maskedValue,
          createdAt: fourth.body.updatedAt,
          createdBy: t.subs.editor,
          current: true,
        },
        {
          version: 2,
          maskedValue: second.body.maskedValue,
          createdAt: second.body.updatedAt,
          createdBy: t.subs.editor,
          current: false,
        },
        {
          version: 1,
          maskedValue: created.body.maskedValue,
          createdAt: created.body.createdAt,
          createdBy: t.subs.owner,
          current: false,
        },
      ],
      nextCursor: null,
    });
    for (const version of listed.body.versions) {
      expect(Object.keys(version).sort()).toEqual(['createdAt', 'createdBy', 'current', 'maskedValue', 'version']);
      expect(version.createdAt).toMatch(TIMESTAMP);
      expect(version.maskedValue).toContain(MASK);
    }
    expect(new Set(listed.body.versions.map((v: { maskedValue: string }) => v.maskedValue)).size).toBe(3);
    for (const value of values) expect(listed.text).not.toContain(value);
    expect(listed.text).not.toMatch(/"value"/);
    expect(listed.body.versions.filter((v: { current: boolean }) => v.current)).toHaveLength(1);

    // The earlier values are stored as VERSION# items of the versions they were written at.
    const items = await versionItems(t, 'API_KEY');
    expect(items.map((item) => item.value_version).sort()).toEqual([1, 2]);
    expect(JSON.stringify(items)).not.toMatch(/-value-/);
  });

  it('lists only the current value of a secret never changed, and 404 for a missing key or environment', async () => {
    const t = await team('single');
    const created = await create(t, 'owner', 'ONLY', 'only-value-000000');
    expect((await versionsOf(t, 'editor', 'ONLY')).body).toEqual({
      versions: [
        {
          version: 1,
          maskedValue: created.body.maskedValue,
          createdAt: created.body.createdAt,
          createdBy: t.subs.owner,
          current: true,
        },
      ],
      nextCursor: null,
    });
    expect(await versionItems(t, 'ONLY')).toEqual([]);
    expectError(await versionsOf(t, 'owner', 'MISSING'), 404, 'SECRET_NOT_FOUND');
    expectError(
      await stack.call('GET', `${ENVIRONMENTS}/${NO_ENVIRONMENT}/secrets/ONLY/versions`, { token: t.tokens.owner }),
      404,
      'ENVIRONMENT_NOT_FOUND',
    );
  });

  it('pages with limit and cursor, and refuses a forged cursor or a bad limit', async () => {
    const t = await team('pager');
    await create(t, 'owner', 'PAGED', 'paged-value-000001');
    await patch(t, 'owner', 'PAGED', { value: 'paged-value-000002' });
    await patch(t, 'owner', 'PAGED', { description: 'skipped' });
    await patch(t, 'owner', 'PAGED', { value: 'paged-value-000004' });
    const all = (await versionsOf(t, 'owner', 'PAGED')).body.versions;
    expect(all.map((v: { version: number }) => v.version)).toEqual([4, 2, 1]);

    const seen = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await versionsOf(t, 'viewer', 'PAGED', query);
      expect(page.status).toBe(200);
      expect(page.body.versions).toHaveLength(1);
      seen.push(...page.body.versions);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(all);

    const two = await versionsOf(t, 'owner', 'PAGED', '?limit=2');
    expect(two.body.versions.map((v: { version: number }) => v.version)).toEqual([4, 2]);
    expect(typeof two.body.nextCursor).toBe('string');
    const rest = await versionsOf(t, 'owner', 'PAGED', `?limit=2&cursor=${encodeURIComponent(two.body.nextCursor)}`);
    expect(rest.body).toEqual({ versions: [all[2]], nextCursor: null });

    expectError(await versionsOf(t, 'owner', 'PAGED', '?cursor=forged'), 400, 'VALIDATION_ERROR', 'cursor');
    expectError(await versionsOf(t, 'owner', 'PAGED', '?limit=0'), 400, 'VALIDATION_ERROR', 'limit');
    expectError(await versionsOf(t, 'owner', 'PAGED', '?limit=101'), 400, 'VALIDATION_ERROR', 'limit');
  });
});

describe('GET …/secrets/{key}/versions/{version}/value', () => {
  it('reveals an older value to owners and editors and audits it with the version', async () => {
    const t = await team('revealer');
    await create(t, 'owner', 'API_KEY', 'reveal-value-000001');
    await patch(t, 'owner', 'API_KEY', { value: 'reveal-value-000002' });
    await patch(t, 'owner', 'API_KEY', { description: 'no value here' });
    await patch(t, 'owner', 'API_KEY', { value: 'reveal-value-000004' });

    const byEditor = await revealVersion(t, 'editor', 'API_KEY', 1);
    expect(byEditor.status).toBe(200);
    expect(byEditor.body).toEqual({ key: 'API_KEY', version: 1, value: 'reveal-value-000001' });
    expect(byEditor.headers.get('cache-control')).toBe('no-store');
    const [event] = await auditEvents(t);
    expect(event).toEqual({
      action: 'reveal',
      actor: t.subs.editor,
      keys: ['API_KEY'],
      version: 1,
      requestId: byEditor.headers.get('x-request-id'),
      at: expect.any(String),
    });

    const byOwner = await revealVersion(t, 'owner', 'API_KEY', 2);
    expect(byOwner.body).toEqual({ key: 'API_KEY', version: 2, value: 'reveal-value-000002' });
    // The current value is one of the versions too.
    expect((await revealVersion(t, 'owner', 'API_KEY', 4)).body).toEqual({
      key: 'API_KEY',
      version: 4,
      value: 'reveal-value-000004',
    });
    const events = await auditEvents(t);
    expect(events.slice(0, 3).map((e) => [e.action, e.actor, e.version])).toEqual([
      ['reveal', t.subs.owner, 4],
      ['reveal', t.subs.owner, 2],
      ['reveal', t.subs.editor, 1],
    ]);
    const audit = await stack.call('GET', `${ENVIRONMENTS}/${t.id}/audit`, { token: t.tokens.owner });
    expect(audit.text).not.toContain('reveal-value');

    // Revealing changes nothing.
    expect(await etagOf(t, 'API_KEY')).toBe('"4"');
    expect(await injected(t)).toEqual({ API_KEY: 'reveal-value-000004' });
  });

  it('answers 404 VERSION_NOT_FOUND for a version holding no value, 400 for a malformed one, unaudited', async () => {
    const t = await team('unknown-version');
    await create(t, 'owner', 'API_KEY', 'unknown-value-00001');
    await patch(t, 'owner', 'API_KEY', { description: 'bump' });
    await patch(t, 'owner', 'API_KEY', { value: 'unknown-value-00003' });
    const before = await auditEvents(t);
    for (const version of [2, 4, 99]) {
      const unknown = await revealVersion(t, 'owner', 'API_KEY', version);
      expectError(unknown, 404, 'VERSION_NOT_FOUND');
      expect(unknown.text).not.toContain('unknown-value');
    }
    for (const version of ['abc', '0', '-1', '1.5']) {
      expectError(await revealVersion(t, 'owner', 'API_KEY', version), 400, 'VALIDATION_ERROR', 'version');
    }
    expectError(await revealVersion(t, 'owner', 'MISSING', 1), 404, 'SECRET_NOT_FOUND');
    expect(await auditEvents(t)).toEqual(before);
  });
});

describe('POST …/secrets/{key}/versions/{version}/restore', () => {
  it('writes the kept value as a new version with a new ETag, honouring If-Match, and audits a rollback', async () => {
    const t = await team('rollbacker');
    const created = await create(t, 'owner', 'API_KEY', 'original-value-0001', { description: 'kept' });
    await patch(t, 'owner', 'API_KEY', { value: 'changed-value-00002' });
    await patch(t, 'owner', 'API_KEY', { description: 'described' });
    const fourth = await patch(t, 'owner', 'API_KEY', { value: 'changed-value-00004' });
    expect(fourth.headers.get('etag')).toBe('"4"');

    const restored = await restoreVersion(t, 'editor', 'API_KEY', 1, { 'if-match': '"4"' });
    expect(restored.status).toBe(200);
    expect(restored.headers.get('etag')).toBe('"5"');
    expect(restored.body).toEqual({
      key: 'API_KEY',
      description: 'described',
      neverReveal: false,
      maskedValue: created.body.maskedValue,
      version: 5,
      createdAt: created.body.createdAt,
      updatedAt: expect.stringMatching(TIMESTAMP),
      updatedBy: t.subs.editor,
    });
    expect(restored.text).not.toContain('original-value');
    expect(await injected(t)).toEqual({ API_KEY: 'original-value-0001' });
    const got = await stack.call('GET', `${secrets(t)}/API_KEY`, { token: t.tokens.viewer });
    expect(got.headers.get('etag')).toBe('"5"');
    expect(got.body).toEqual(restored.body);

    // The restored value is a new version, written by the restorer; the old ones stay.
    const listed = await versionsOf(t, 'owner', 'API_KEY');
    expect(listed.body.versions).toEqual([
      {
        version: 5,
        maskedValue: created.body.maskedValue,
        createdAt: restored.body.updatedAt,
        createdBy: t.subs.editor,
        current: true,
      },
      expect.objectContaining({ version: 4, maskedValue: fourth.body.maskedValue, current: false }),
      expect.objectContaining({ version: 2, current: false }),
      expect.objectContaining({ version: 1, maskedValue: created.body.maskedValue, current: false }),
    ]);
    expect((await revealVersion(t, 'owner', 'API_KEY', 5)).body.value).toBe('original-value-0001');

    const rollback = (await auditEvents(t)).find((e) => e.action === 'rollback');
    expect(rollback).toEqual({
      action: 'rollback',
      actor: t.subs.editor,
      keys: ['API_KEY'],
      version: 5,
      requestId: restored.headers.get('x-request-id'),
      at: expect.any(String),
    });

    // Without If-Match it restores as well; a retry with the same Idempotency-Key writes nothing more.
    const again = await restoreVersion(t, 'owner', 'API_KEY', 4, { 'idempotency-key': 'rollback-to-4' });
    expect(again.status).toBe(200);
    expect(again.headers.get('etag')).toBe('"6"');
    const retried = await restoreVersion(t, 'owner', 'API_KEY', 4, { 'idempotency-key': 'rollback-to-4' });
    expect(retried.status).toBe(200);
    expect(retried.headers.get('etag')).toBe('"6"');
    expect(retried.body).toEqual(again.body);
    expect(await injected(t)).toEqual({ API_KEY: 'changed-value-00004' });
    expect(await versionNumbers(t, 'API_KEY')).toEqual([6, 5, 4, 2, 1]);
  });

  it('answers 412 PRECONDITION_FAILED for a stale If-Match and changes nothing', async () => {
    const t = await team('stale');
    await create(t, 'owner', 'GUARDED', 'guarded-value-0001');
    await patch(t, 'owner', 'GUARDED', { value: 'guarded-value-0002' });
    const before = await versionsOf(t, 'owner', 'GUARDED');
    const auditBefore = await auditEvents(t);

    const stale = await restoreVersion(t, 'owner', 'GUARDED', 1, { 'if-match': '"1"' });
    expectError(stale, 412, 'PRECONDITION_FAILED');
    expect(stale.text).not.toContain('guarded-value');

    expect(await etagOf(t, 'GUARDED')).toBe('"2"');
    expect((await versionsOf(t, 'owner', 'GUARDED')).body).toEqual(before.body);
    expect(await versionItems(t, 'GUARDED')).toHaveLength(1);
    expect(await auditEvents(t)).toEqual(auditBefore);
    expect(await injected(t)).toEqual({ GUARDED: 'guarded-value-0002' });
  });

  it('answers 404 VERSION_NOT_FOUND for a version holding no value and 400 for a malformed one', async () => {
    const t = await team('restore-unknown');
    await create(t, 'owner', 'VERSIONED', 'versioned-value-1');
    await patch(t, 'owner', 'VERSIONED', { description: 'bump' });
    for (const version of [2, 3, 99]) {
      expectError(await restoreVersion(t, 'owner', 'VERSIONED', version), 404, 'VERSION_NOT_FOUND');
    }
    for (const version of ['abc', '0', '-1']) {
      expectError(await restoreVersion(t, 'owner', 'VERSIONED', version), 400, 'VALIDATION_ERROR', 'version');
    }
    expectError(await restoreVersion(t, 'owner', 'MISSING', 1), 404, 'SECRET_NOT_FOUND');
    expect(await etagOf(t, 'VERSIONED')).toBe('"2"');
  });
});

describe('pruning beyond MAX_VERSIONS', () => {
  it('keeps the newest MAX_VERSIONS values, the VERSION# items matching, and forgets the pruned ones', async () => {
    const t = await team('pruner');
    await create(t, 'owner', 'PRUNED', 'pruned-value-000001');
    for (let n = 2; n <= 7; n++) await patch(t, 'owner', 'PRUNED', { value: `pruned-value-00000${n}` });

    expect(await versionNumbers(t, 'PRUNED')).toEqual([7, 6, 5, 4, 3]);
    const items = await versionItems(t, 'PRUNED');
    expect(items.map((item) => item.value_version).sort()).toEqual([3, 4, 5, 6]);
    for (const pruned of [1, 2]) {
      expectError(await revealVersion(t, 'owner', 'PRUNED', pruned), 404, 'VERSION_NOT_FOUND');
      expectError(await restoreVersion(t, 'owner', 'PRUNED', pruned), 404, 'VERSION_NOT_FOUND');
    }
    expect((await revealVersion(t, 'owner', 'PRUNED', 3)).body.value).toBe('pruned-value-000003');
    expect(await injected(t)).toEqual({ PRUNED: 'pruned-value-000007' });
  });
});

describe('neverReveal secrets', () => {
  it('masks every version fully, never reveals one, and still restores one', async () => {
    const t = await team('never');
    await create(t, 'owner', 'HIDDEN', 'hidden-value-0000001', { neverReveal: true });
    await patch(t, 'owner', 'HIDDEN', { value: 'hidden-value-0000002' });
    // A secret marked later hides the values it had before as well.
    await create(t, 'owner', 'LATER', 'later-value-00000001');
    await patch(t, 'owner', 'LATER', { value: 'later-value-00000002' });
    const marked = await patch(t, 'owner', 'LATER', { neverReveal: true });
    expect(marked.body).toMatchObject({ version: 3, neverReveal: true, maskedValue: MASK });

    for (const [key, numbers] of [
      ['HIDDEN', [2, 1]],
      ['LATER', [2, 1]],
    ] as const) {
      const listed = await versionsOf(t, 'viewer', key);
      expect(listed.status).toBe(200);
      expect(
        listed.body.versions.map((v: { version: number; maskedValue: string }) => [v.version, v.maskedValue]),
      ).toEqual(numbers.map((n) => [n, MASK]));
      expect(listed.text).not.toMatch(/hidden-|later-/);
      for (const who of ['owner', 'editor'] as const) {
        for (const n of numbers) {
          const refused = await revealVersion(t, who, key, n);
          expectError(refused, 403, 'SECRET_NEVER_REVEAL');
          expect(refused.text).not.toMatch(/hidden-value|later-value/);
        }
      }
      // A viewer may not reveal anything, whatever the secret.
      expectError(await revealVersion(t, 'viewer', key, 1), 403, 'FORBIDDEN');
    }
    expect((await auditEvents(t)).filter((e) => e.action === 'reveal')).toEqual([]);

    // Going back to a version is still allowed: the value is only injected.
    const restored = await restoreVersion(t, 'editor', 'HIDDEN', 1, { 'if-match': '"2"' });
    expect(restored.status).toBe(200);
    expect(restored.headers.get('etag')).toBe('"3"');
    expect(restored.body).toMatchObject({ key: 'HIDDEN', neverReveal: true, maskedValue: MASK, version: 3 });
    expect(restored.text).not.toContain('hidden-value');
    const laterRestored = await restoreVersion(t, 'owner', 'LATER', 1);
    expect(laterRestored.body).toMatchObject({ neverReveal: true, maskedValue: MASK, version: 4 });
    expect(await injected(t)).toEqual({ HIDDEN: 'hidden-value-0000001', LATER: 'later-value-00000001' });
    const after = await versionsOf(t, 'owner', 'LATER');
    expect(
      after.body.versions.map((v: { version: number; maskedValue: string }) => [v.version, v.maskedValue]),
    ).toEqual([
      [4, MASK],
      [2, MASK],
      [1, MASK],
    ]);
    expectError(await revealVersion(t, 'owner', 'LATER', 4), 403, 'SECRET_NEVER_REVEAL');
  });
});

describe('the trash', () => {
  it('hides a deleted secret everywhere, lists it with its window, and an editor restores it with its versions', async () => {
    const t = await team('trasher');
    const created = await create(t, 'owner', 'API_KEY', 'trashed-value-00001');
    const updated = await patch(t, 'editor', 'API_KEY', { value: 'trashed-value-00002' });
    await create(t, 'owner', 'KEEP', 'keep-value');

    const before = Date.now();
    const removed = await stack.call('DELETE', `${secrets(t)}/API_KEY`, {
      token: t.tokens.owner,
      headers: { 'if-match': '"2"' },
    });
    expect(removed.status).toBe(204);
    expect(removed.text).toBe('');

    // Gone from get, list, total, inject and the versions routes.
    expectError(await stack.call('GET', `${secrets(t)}/API_KEY`, { token: t.tokens.owner }), 404, 'SECRET_NOT_FOUND');
    const list = await stack.call('GET', secrets(t), { token: t.tokens.viewer });
    expect(list.body.total).toBe(1);
    expect(list.body.secrets.map((secret: { key: string }) => secret.key)).toEqual(['KEEP']);
    expect(await injected(t)).toEqual({ KEEP: 'keep-value' });
    expectError(
      await stack.call('GET', `${secrets(t)}/API_KEY/value`, { token: t.tokens.owner }),
      404,
      'SECRET_NOT_FOUND',
    );
    expectError(await versionsOf(t, 'owner', 'API_KEY'), 404, 'SECRET_NOT_FOUND');
    expectError(await revealVersion(t, 'owner', 'API_KEY', 1), 404, 'SECRET_NOT_FOUND');
    expectError(await restoreVersion(t, 'owner', 'API_KEY', 1), 404, 'SECRET_NOT_FOUND');
    expectError(
      await stack.call('PATCH', `${secrets(t)}/API_KEY`, { token: t.tokens.owner, body: { value: 'x' } }),
      404,
      'SECRET_NOT_FOUND',
    );
    expectError(
      await stack.call('DELETE', `${secrets(t)}/API_KEY`, { token: t.tokens.owner }),
      404,
      'SECRET_NOT_FOUND',
    );

    // Any member sees it in the trash, with who deleted it when and when it will be purged.
    const trash = await stack.call('GET', deleted(t), { token: t.tokens.viewer });
    expect(trash.status).toBe(200);
    expect(trash.body).toEqual({
      secrets: [
        {
          ...updated.body,
          deletedAt: expect.stringMatching(TIMESTAMP),
          deletedBy: t.subs.owner,
          purgeAt: expect.stringMatching(TIMESTAMP),
        },
      ],
      nextCursor: null,
    });
    expect(trash.text).not.toContain('trashed-value');
    const [entry] = trash.body.secrets;
    expect(Date.parse(entry.deletedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(entry.deletedAt)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(entry.purgeAt) - Date.parse(entry.deletedAt)).toBe(7 * DAY_MS);

    // Its versions wait in the table, expiring with it.
    const [trashed, ...others] = await trashItems(t);
    expect(others).toEqual([]);
    expect(trashed?.SK).toBe('TRASH#API_KEY');
    expect(trashed?.expires_at).toBe(Date.parse(entry.purgeAt) / 1000);
    expect((await versionItems(t, 'API_KEY')).map((item) => [item.value_version, item.expires_at])).toEqual([
      [1, trashed?.expires_at],
    ]);

    // The key stays reserved, pointing at how to get it back.
    const reserved = await stack.call('POST', secrets(t), {
      token: t.tokens.editor,
      body: { key: 'API_KEY', value: 'another-value' },
    });
    expectError(reserved, 409, 'SECRET_DELETED', 'key');
    expect(reserved.body.hint).toContain(`/api/environments/${t.id}/deleted-secrets/API_KEY/restore`);
    expect(reserved.text).not.toContain('another-value');
    expect((await stack.call('GET', secrets(t), { token: t.tokens.owner })).body.total).toBe(1);

    const stale = await stack.call('POST', `${deleted(t)}/API_KEY/restore`, {
      token: t.tokens.editor,
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('PRECONDITION_FAILED');
    const restored = await stack.call('POST', `${deleted(t)}/API_KEY/restore`, {
      token: t.tokens.editor,
      headers: { 'if-match': '"2"' },
    });
    expect(restored.status).toBe(200);
    expect(restored.headers.get('etag')).toBe('"3"');
    expect(restored.body).toEqual({
      ...updated.body,
      version: 3,
      updatedAt: expect.stringMatching(TIMESTAMP),
      updatedBy: t.subs.editor,
    });
    const got = await stack.call('GET', `${secrets(t)}/API_KEY`, { token: t.tokens.owner });
    expect(got.status).toBe(200);
    expect(got.headers.get('etag')).toBe('"3"');
    expect(got.body).toEqual(restored.body);
    expect(await injected(t)).toEqual({ API_KEY: 'trashed-value-00002', KEEP: 'keep-value' });
    expect((await stack.call('GET', secrets(t), { token: t.tokens.owner })).body.total).toBe(2);
    expect((await versionsOf(t, 'viewer', 'API_KEY')).body).toEqual({
      versions: [
        {
          version: 2,
          maskedValue: updated.body.maskedValue,
          createdAt: updated.body.updatedAt,
          createdBy: t.subs.editor,
          current: true,
        },
        {
          version: 1,
          maskedValue: created.body.maskedValue,
          createdAt: created.body.createdAt,
          createdBy: t.subs.owner,
          current: false,
        },
      ],
      nextCursor: null,
    });
    // Kept for good again; the trash is empty.
    expect((await versionItems(t, 'API_KEY')).map((item) => item.expires_at)).toEqual([undefined]);
    expect(await trashItems(t)).toEqual([]);
    expect((await stack.call('GET', deleted(t), { token: t.tokens.owner })).body).toEqual({
      secrets: [],
      nextCursor: null,
    });
    expectError(
      await stack.call('POST', `${deleted(t)}/API_KEY/restore`, { token: t.tokens.owner }),
      404,
      'SECRET_NOT_FOUND',
    );
    expect((await revealVersion(t, 'owner', 'API_KEY', 1)).body.value).toBe('trashed-value-00001');

    const changes = (await auditEvents(t)).filter((e) => !['inject', 'reveal'].includes(e.action));
    expect(changes.slice(0, 2).map((e) => [e.action, e.actor, e.keys, e.version])).toEqual([
      ['restore', t.subs.editor, ['API_KEY'], 3],
      ['delete', t.subs.owner, ['API_KEY'], 2],
    ]);
  });

  it('refuses a delete with a stale If-Match and keeps the secret live', async () => {
    const t = await team('stale-delete');
    await create(t, 'owner', 'API_KEY', 'stale-delete-value-1');
    await patch(t, 'owner', 'API_KEY', { value: 'stale-delete-value-2' });
    expectError(
      await stack.call('DELETE', `${secrets(t)}/API_KEY`, { token: t.tokens.owner, headers: { 'if-match': '"1"' } }),
      412,
      'PRECONDITION_FAILED',
    );
    expect(await trashItems(t)).toEqual([]);
    expect(await injected(t)).toEqual({ API_KEY: 'stale-delete-value-2' });
    expect(await versionNumbers(t, 'API_KEY')).toEqual([2, 1]);
  });

  it('purges a trashed secret with its versions for an owner only, and frees its key', async () => {
    const t = await team('purger');
    await create(t, 'owner', 'PURGED', 'purged-value-00001');
    await patch(t, 'owner', 'PURGED', { value: 'purged-value-00002' });
    await patch(t, 'owner', 'PURGED', { value: 'purged-value-00003' });
    expect(await versionItems(t, 'PURGED')).toHaveLength(2);
    expect((await stack.call('DELETE', `${secrets(t)}/PURGED`, { token: t.tokens.editor })).status).toBe(204);

    expectError(await stack.call('DELETE', `${deleted(t)}/PURGED`, { token: t.tokens.editor }), 403, 'FORBIDDEN');
    expectError(await stack.call('DELETE', `${deleted(t)}/PURGED`, { token: t.tokens.viewer }), 403, 'FORBIDDEN');
    expect(await versionItems(t, 'PURGED')).toHaveLength(2);

    const purged = await stack.call('DELETE', `${deleted(t)}/PURGED`, { token: t.tokens.owner });
    expect(purged.status).toBe(204);
    expect(purged.text).toBe('');
    expect(await versionItems(t, 'PURGED')).toEqual([]);
    expect(await trashItems(t)).toEqual([]);
    expect((await stack.call('GET', deleted(t), { token: t.tokens.owner })).body).toEqual({
      secrets: [],
      nextCursor: null,
    });
    expectError(
      await stack.call('POST', `${deleted(t)}/PURGED/restore`, { token: t.tokens.owner }),
      404,
      'SECRET_NOT_FOUND',
    );
    expectError(await stack.call('DELETE', `${deleted(t)}/PURGED`, { token: t.tokens.owner }), 404, 'SECRET_NOT_FOUND');
    // A live secret is not in the trash: neither purge nor restore reaches it.
    await create(t, 'owner', 'LIVE', 'live-value');
    expectError(await stack.call('DELETE', `${deleted(t)}/LIVE`, { token: t.tokens.owner }), 404, 'SECRET_NOT_FOUND');
    expectError(
      await stack.call('POST', `${deleted(t)}/LIVE/restore`, { token: t.tokens.owner }),
      404,
      'SECRET_NOT_FOUND',
    );
    expect(await injected(t)).toEqual({ LIVE: 'live-value' });

    // The key is free, and the new secret starts a history of its own.
    const again = await create(t, 'editor', 'PURGED', 'purged-again-value');
    expect(again.body.version).toBe(1);
    expect(await versionNumbers(t, 'PURGED')).toEqual([1]);
    expectError(await revealVersion(t, 'owner', 'PURGED', 2), 404, 'VERSION_NOT_FOUND');
    expect(await injected(t)).toEqual({ LIVE: 'live-value', PURGED: 'purged-again-value' });
    const changes = (await auditEvents(t)).filter((e) => e.action !== 'inject');
    expect(changes.slice(0, 4).map((e) => [e.action, e.keys])).toEqual([
      ['create', ['PURGED']],
      ['create', ['LIVE']],
      ['purge', ['PURGED']],
      ['delete', ['PURGED']],
    ]);
    expect(changes[2]?.actor).toBe(t.subs.owner);
  });

  it('treats a trashed secret past its window as gone before TTL removes it, freeing its key', async () => {
    const t = await team('expirer');
    await create(t, 'owner', 'EXPIRED', 'expired-value-00001');
    await patch(t, 'owner', 'EXPIRED', { value: 'expired-value-00002' });
    await patch(t, 'owner', 'EXPIRED', { value: 'expired-value-00003' });
    expect((await stack.call('DELETE', `${secrets(t)}/EXPIRED`, { token: t.tokens.owner })).status).toBe(204);
    // The window has run out; the table's TTL has not removed anything yet.
    const past = Math.floor(Date.now() / 1000) - 60;
    await setExpiry(t, 'TRASH#EXPIRED', past);
    for (const item of await versionItems(t, 'EXPIRED')) await setExpiry(t, item.SK, past);

    expect((await stack.call('GET', deleted(t), { token: t.tokens.viewer })).body).toEqual({
      secrets: [],
      nextCursor: null,
    });
    expectError(
      await stack.call('POST', `${deleted(t)}/EXPIRED/restore`, { token: t.tokens.owner }),
      404,
      'SECRET_NOT_FOUND',
    );
    expectError(
      await stack.call('DELETE', `${deleted(t)}/EXPIRED`, { token: t.tokens.owner }),
      404,
      'SECRET_NOT_FOUND',
    );
    expectError(await versionsOf(t, 'owner', 'EXPIRED'), 404, 'SECRET_NOT_FOUND');
    expect(await injected(t)).toEqual({});

    // The key is free again; the new secret never shows the old one's values.
    const recreated = await create(t, 'editor', 'EXPIRED', 'expired-value-new-1');
    expect(recreated.body.version).toBe(1);
    await patch(t, 'editor', 'EXPIRED', { description: 'bump' });
    await patch(t, 'editor', 'EXPIRED', { value: 'expired-value-new-3' });
    expect(await versionNumbers(t, 'EXPIRED')).toEqual([3, 1]);
    expect((await revealVersion(t, 'owner', 'EXPIRED', 1)).body.value).toBe('expired-value-new-1');
    expectError(await revealVersion(t, 'owner', 'EXPIRED', 2), 404, 'VERSION_NOT_FOUND');
    expect(await injected(t)).toEqual({ EXPIRED: 'expired-value-new-3' });
    expect((await stack.call('GET', secrets(t), { token: t.tokens.owner })).body.total).toBe(1);

    // It trashes and restores on its own.
    expect((await stack.call('DELETE', `${secrets(t)}/EXPIRED`, { token: t.tokens.owner })).status).toBe(204);
    const trash = await stack.call('GET', deleted(t), { token: t.tokens.owner });
    expect(trash.body.secrets.map((s: { key: string; version: number }) => [s.key, s.version])).toEqual([
      ['EXPIRED', 3],
    ]);
    expectError(
      await stack.call('POST', secrets(t), { token: t.tokens.owner, body: { key: 'EXPIRED', value: 'x' } }),
      409,
      'SECRET_DELETED',
      'key',
    );
    const restored = await stack.call('POST', `${deleted(t)}/EXPIRED/restore`, { token: t.tokens.owner });
    expect(restored.status).toBe(200);
    expect(restored.body.version).toBe(4);
    expect(await injected(t)).toEqual({ EXPIRED: 'expired-value-new-3' });
    expect(await versionNumbers(t, 'EXPIRED')).toEqual([3, 1]);
  });

  it('pages the trash with limit and cursor in key order', async () => {
    const t = await team('trash-pager');
    for (const key of ['ONE', 'TWO', 'THREE']) {
      await create(t, 'owner', key, `${key}-value`);
      expect((await stack.call('DELETE', `${secrets(t)}/${key}`, { token: t.tokens.owner })).status).toBe(204);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await stack.call('GET', `${deleted(t)}${query}`, { token: t.tokens.viewer });
      expect(page.status).toBe(200);
      seen.push(...page.body.secrets.map((secret: { key: string }) => secret.key));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(2);
    expect(seen).toEqual(['ONE', 'THREE', 'TWO']);
    expectError(
      await stack.call('GET', `${deleted(t)}?cursor=forged`, { token: t.tokens.owner }),
      400,
      'VALIDATION_ERROR',
      'cursor',
    );
  });
});
describe('the role matrix of the versions and trash routes', () => {
  let t: Team;
  beforeAll(async () => {
    t = await team('matrix');
    await create(t, 'owner', 'SHARED', 'shared-value-00001');
    await patch(t, 'owner', 'SHARED', { value: 'shared-value-00002' });
    // One trashed secret per caller and action, so each meets the same starting state.
    const keys = ROLES.flatMap((who) => [`RESTORE_${who.toUpperCase()}`, `PURGE_${who.toUpperCase()}`]);
    await Promise.all(
      keys.map(async (key) => {
        await create(t, 'owner', key, `${key.toLowerCase()}-value`);
        expect((await stack.call('DELETE', `${secrets(t)}/${key}`, { token: t.tokens.owner })).status).toBe(204);
      }),
    );
  });

  const as = (who: Who, method: string, path: string) =>
    stack.call(method, `${ENVIRONMENTS}/${t.id}${path}`, { token: t.tokens[who] });

  const MATRIX: [string, (who: Who) => Promise<CallResult>, Record<Who, number>][] = [
    [
      'list versions',
      (who) => as(who, 'GET', '/secrets/SHARED/versions'),
      { owner: 200, editor: 200, viewer: 200, stranger: 404 },
    ],
    [
      'reveal a version',
      (who) => as(who, 'GET', '/secrets/SHARED/versions/1/value'),
      { owner: 200, editor: 200, viewer: 403, stranger: 404 },
    ],
    [
      'restore a version',
      (who) => as(who, 'POST', '/secrets/SHARED/versions/1/restore'),
      { owner: 200, editor: 200, viewer: 403, stranger: 404 },
    ],
    [
      'list the trash',
      (who) => as(who, 'GET', '/deleted-secrets'),
      { owner: 200, editor: 200, viewer: 200, stranger: 404 },
    ],
    [
      'restore a deleted secret',
      (who) => as(who, 'POST', `/deleted-secrets/RESTORE_${who.toUpperCase()}/restore`),
      { owner: 200, editor: 200, viewer: 403, stranger: 404 },
    ],
    [
      'purge a deleted secret',
      (who) => as(who, 'DELETE', `/deleted-secrets/PURGE_${who.toUpperCase()}`),
      { owner: 204, editor: 403, viewer: 403, stranger: 404 },
    ],
  ];
  const CODES: Record<number, string | undefined> = { 403: 'FORBIDDEN', 404: 'ENVIRONMENT_NOT_FOUND' };

  describe.each(MATRIX)('%s', (_, action, expected) => {
    it.each(ROLES)('as %s', async (who) => {
      const result = await action(who);
      expect(result.status).toBe(expected[who]);
      if (result.status >= 400) {
        expectError(result, result.status, CODES[result.status] ?? 'unexpected status');
        expect(result.text).not.toMatch(/-value/);
      }
    });
  });

  it('left refused actions without effect, and answers a stranger as for a missing environment', async () => {
    const trash = await stack.call('GET', `${ENVIRONMENTS}/${t.id}/deleted-secrets`, { token: t.tokens.owner });
    expect(trash.body.secrets.map((s: { key: string }) => s.key)).toEqual([
      'PURGE_EDITOR',
      'PURGE_STRANGER',
      'PURGE_VIEWER',
      'RESTORE_STRANGER',
      'RESTORE_VIEWER',
    ]);
    const live = await stack.call('GET', `${ENVIRONMENTS}/${t.id}/secrets`, { token: t.tokens.owner });
    expect(live.body.secrets.map((s: { key: string }) => s.key)).toEqual(['RESTORE_EDITOR', 'RESTORE_OWNER', 'SHARED']);

    // Any key or version answers a stranger the same: nothing tells what exists.
    for (const [method, path] of [
      ['GET', '/secrets/NOPE/versions'],
      ['GET', '/secrets/SHARED/versions/999/value'],
      ['POST', '/secrets/NOPE/versions/1/restore'],
      ['POST', '/deleted-secrets/NOPE/restore'],
      ['DELETE', '/deleted-secrets/NOPE'],
    ] as const) {
      const hidden = await as('stranger', method, path);
      const missing = await stack.call(method, `${ENVIRONMENTS}/${NO_ENVIRONMENT}${path}`, { token: t.tokens.owner });
      expectError(hidden, 404, 'ENVIRONMENT_NOT_FOUND');
      expect({ ...hidden.body, requestId: undefined }).toEqual({ ...missing.body, requestId: undefined });
    }
  });
});

describe('authentication', () => {
  it('answers 401 UNAUTHORIZED on every versions and trash route without a valid token', async () => {
    const base = `${ENVIRONMENTS}/${NO_ENVIRONMENT}`;
    const expired = await stack.token('someone', undefined, -60);
    for (const token of [undefined, expired]) {
      for (const [method, path] of [
        ['GET', `${base}/secrets/API_KEY/versions`],
        ['GET', `${base}/secrets/API_KEY/versions/1/value`],
        ['POST', `${base}/secrets/API_KEY/versions/1/restore`],
        ['GET', `${base}/deleted-secrets`],
        ['POST', `${base}/deleted-secrets/API_KEY/restore`],
        ['DELETE', `${base}/deleted-secrets/API_KEY`],
      ] as const) {
        const result = await stack.call(method, path, { token });
        expectError(result, 401, 'UNAUTHORIZED');
        expect(result.headers.get('www-authenticate')).toMatch(/^Bearer /);
      }
    }
  });
});
