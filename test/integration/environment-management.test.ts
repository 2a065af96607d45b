import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoDbClient } from '../../infra/local/dynamodb.js';
import { type CallResult, startTestStack, type TestStack } from '../support/stack.js';

/** Renaming, deleting and restoring an environment over HTTP, with the roles of each. */
const ENVIRONMENTS = '/api/environments';
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const DAY_MS = 86_400_000;

let stack: TestStack;
let ddb: DynamoDBDocumentClient;

beforeAll(async () => {
  stack = await startTestStack();
  ddb = DynamoDBDocumentClient.from(localDynamoDbClient(stack.dynamoDbEndpoint));
});
afterAll(async () => {
  ddb?.destroy();
  await stack?.stop();
});

function expectError(result: CallResult, status: number, code: string) {
  expect(result.status).toBe(status);
  expect(result.body).toMatchObject({ code, message: expect.any(String) });
  expect(result.body.requestId).toBe(result.headers.get('x-request-id'));
}

/** An environment of `owner` with an editor, a viewer and one secret. */
async function team(prefix: string) {
  const tokens = {
    owner: await stack.token(`${prefix}-owner`),
    editor: await stack.token(`${prefix}-editor`),
    viewer: await stack.token(`${prefix}-viewer`),
    stranger: await stack.token(`${prefix}-stranger`),
    inject: await stack.token(`${prefix}-owner`, 'secrets:inject'),
  };
  const created = await stack.call('POST', ENVIRONMENTS, {
    token: tokens.owner,
    body: { name: `${prefix} env`, description: 'before' },
  });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  for (const role of ['editor', 'viewer'] as const) {
    const put = await stack.call('PUT', `${ENVIRONMENTS}/${id}/members/${prefix}-${role}`, {
      token: tokens.owner,
      body: { role },
    });
    expect(put.status).toBe(200);
  }
  const secret = await stack.call('POST', `${ENVIRONMENTS}/${id}/secrets`, {
    token: tokens.owner,
    body: { key: 'API_KEY', value: `${prefix}-value` },
  });
  expect(secret.status).toBe(201);
  return { id, tokens, created: created.body };
}

async function auditActions(id: string, token: string): Promise<string[]> {
  const audit = await stack.call('GET', `${ENVIRONMENTS}/${id}/audit`, { token });
  expect(audit.status).toBe(200);
  return audit.body.events.map((event: { action: string }) => event.action);
}

describe('PATCH an environment', () => {
  it('renames it for every member at once, owners only, and audits the change', async () => {
    const { id, tokens, created } = await team('rename');
    expectError(
      await stack.call('PATCH', `${ENVIRONMENTS}/${id}`, { token: tokens.editor, body: { name: 'x' } }),
      403,
      'FORBIDDEN',
    );
    expectError(
      await stack.call('PATCH', `${ENVIRONMENTS}/${id}`, { token: tokens.viewer, body: { name: 'x' } }),
      403,
      'FORBIDDEN',
    );
    expectError(
      await stack.call('PATCH', `${ENVIRONMENTS}/${id}`, { token: tokens.stranger, body: { name: 'x' } }),
      404,
      'ENVIRONMENT_NOT_FOUND',
    );

    const renamed = await stack.call('PATCH', `${ENVIRONMENTS}/${id}`, {
      token: tokens.owner,
      body: { name: '  renamed  ' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toEqual({
      ...created,
      name: 'renamed',
      description: 'before',
      updatedAt: expect.stringMatching(TIMESTAMP),
    });
    expect((await stack.call('GET', `${ENVIRONMENTS}/${id}`, { token: tokens.viewer })).body).toMatchObject({
      name: 'renamed',
      role: 'viewer',
    });
    // The list reads names from the environment itself, so it never shows the old one.
    const listed = await stack.call('GET', ENVIRONMENTS, { token: tokens.editor });
    expect(listed.body.environments).toEqual([expect.objectContaining({ id, name: 'renamed', role: 'editor' })]);
    expect(await auditActions(id, tokens.owner)).toEqual(expect.arrayContaining(['environment.update']));
  });

  it('keeps both fields of concurrent PATCHes and refuses an empty or unknown body', async () => {
    const { id, tokens } = await team('concurrent');
    const [byName, byDescription] = await Promise.all([
      stack.call('PATCH', `${ENVIRONMENTS}/${id}`, { token: tokens.owner, body: { name: 'both-name' } }),
      stack.call('PATCH', `${ENVIRONMENTS}/${id}`, { token: tokens.owner, body: { description: 'both-description' } }),
    ]);
    expect([byName.status, byDescription.status]).toEqual([200, 200]);
    expect((await stack.call('GET', `${ENVIRONMENTS}/${id}`, { token: tokens.owner })).body).toMatchObject({
      name: 'both-name',
      description: 'both-description',
    });
    expectError(
      await stack.call('PATCH', `${ENVIRONMENTS}/${id}`, { token: tokens.owner, body: {} }),
      400,
      'VALIDATION_ERROR',
    );
    expectError(
      await stack.call('PATCH', `${ENVIRONMENTS}/${id}`, { token: tokens.owner, body: { role: 'owner' } }),
      400,
      'UNKNOWN_FIELD',
    );
    expectError(
      await stack.call('PATCH', `${ENVIRONMENTS}/${id}`, { token: tokens.owner, body: { name: '   ' } }),
      400,
      'VALIDATION_ERROR',
    );
  });
});

describe('DELETE and restore an environment', () => {
  it('answers 404 on every route once deleted, lists it for its owner, and restores everything', async () => {
    const { id, tokens } = await team('lifecycle');
    expectError(await stack.call('DELETE', `${ENVIRONMENTS}/${id}`, { token: tokens.editor }), 403, 'FORBIDDEN');
    expectError(await stack.call('DELETE', `${ENVIRONMENTS}/${id}`, { token: tokens.viewer }), 403, 'FORBIDDEN');
    expectError(
      await stack.call('DELETE', `${ENVIRONMENTS}/${id}`, { token: tokens.stranger }),
      404,
      'ENVIRONMENT_NOT_FOUND',
    );

    const before = Date.now();
    const deleted = await stack.call('DELETE', `${ENVIRONMENTS}/${id}`, { token: tokens.owner });
    expect(deleted.status).toBe(204);

    const everyRoute: [string, string, string, unknown?][] = [
      ['GET', '', tokens.owner],
      ['PATCH', '', tokens.owner, { name: 'back' }],
      ['DELETE', '', tokens.owner],
      ['GET', '/members', tokens.viewer],
      ['PUT', '/members/someone', tokens.owner, { role: 'viewer' }],
      ['GET', '/secrets', tokens.editor],
      ['GET', '/secrets/API_KEY', tokens.viewer],
      ['POST', '/secrets', tokens.editor, { key: 'NEW_KEY', value: 'new-value' }],
      ['PATCH', '/secrets/API_KEY', tokens.owner, { description: 'x' }],
      ['GET', '/secrets/API_KEY/value', tokens.owner],
      ['GET', '/env', tokens.inject],
      ['GET', '/audit', tokens.owner],
    ];
    for (const [method, path, token, body] of everyRoute) {
      expectError(
        await stack.call(method, `${ENVIRONMENTS}/${id}${path}`, { token, body }),
        404,
        'ENVIRONMENT_NOT_FOUND',
      );
    }
    expect((await stack.call('GET', ENVIRONMENTS, { token: tokens.owner })).body.environments).toEqual([]);
    expect((await stack.call('GET', ENVIRONMENTS, { token: tokens.viewer })).body.environments).toEqual([]);

    const trash = await stack.call('GET', `${ENVIRONMENTS}/deleted`, { token: tokens.owner });
    expect(trash.status).toBe(200);
    expect(trash.body).toEqual({
      environments: [
        expect.objectContaining({
          id,
          name: 'lifecycle env',
          role: 'owner',
          deletedAt: expect.stringMatching(TIMESTAMP),
          deletedBy: 'lifecycle-owner',
          purgeAt: expect.stringMatching(TIMESTAMP),
        }),
      ],
      nextCursor: null,
    });
    const [entry] = trash.body.environments;
    expect(Date.parse(entry.deletedAt)).toBeGreaterThanOrEqual(before - 1000);
    // The default recovery window is 7 days.
    expect(Date.parse(entry.purgeAt) - Date.parse(entry.deletedAt)).toBe(7 * DAY_MS);
    // Only former owners see it or may restore it.
    expect((await stack.call('GET', `${ENVIRONMENTS}/deleted`, { token: tokens.editor })).body.environments).toEqual(
      [],
    );
    expectError(await stack.call('POST', `${ENVIRONMENTS}/${id}/restore`, { token: tokens.editor }), 403, 'FORBIDDEN');
    expectError(
      await stack.call('POST', `${ENVIRONMENTS}/${id}/restore`, { token: tokens.stranger }),
      404,
      'ENVIRONMENT_NOT_FOUND',
    );

    const restored = await stack.call('POST', `${ENVIRONMENTS}/${id}/restore`, { token: tokens.owner });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ id, name: 'lifecycle env', role: 'owner' });
    expect((await stack.call('GET', `${ENVIRONMENTS}/${id}/env`, { token: tokens.inject })).body).toEqual({
      env: { API_KEY: 'lifecycle-value' },
    });
    const members = await stack.call('GET', `${ENVIRONMENTS}/${id}/members`, { token: tokens.viewer });
    expect(members.body.members.map((member: { userId: string }) => member.userId).sort()).toEqual([
      'lifecycle-editor',
      'lifecycle-owner',
      'lifecycle-viewer',
    ]);
    expect((await stack.call('GET', `${ENVIRONMENTS}/deleted`, { token: tokens.owner })).body.environments).toEqual([]);
    expectError(
      await stack.call('POST', `${ENVIRONMENTS}/${id}/restore`, { token: tokens.owner }),
      409,
      'ENVIRONMENT_NOT_DELETED',
    );
    expect((await auditActions(id, tokens.owner)).slice(0, 3)).toEqual([
      'inject',
      'environment.restore',
      'environment.delete',
    ]);
  });

  it('treats an environment past its recovery window as purged', async () => {
    const { id, tokens } = await team('expired');
    expect((await stack.call('DELETE', `${ENVIRONMENTS}/${id}`, { token: tokens.owner })).status).toBe(204);
    // The window has run out: the header's purge time is in the past (the sweep has not run yet).
    await ddb.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: { PK: `ENV#${id}`, SK: 'META' },
        UpdateExpression: 'SET purge_at = :past',
        ExpressionAttributeValues: { ':past': new Date(Date.now() - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
      }),
    );
    expect((await stack.call('GET', `${ENVIRONMENTS}/deleted`, { token: tokens.owner })).body.environments).toEqual([]);
    expectError(
      await stack.call('POST', `${ENVIRONMENTS}/${id}/restore`, { token: tokens.owner }),
      404,
      'ENVIRONMENT_NOT_FOUND',
    );
    expectError(
      await stack.call('GET', `${ENVIRONMENTS}/${id}`, { token: tokens.owner }),
      404,
      'ENVIRONMENT_NOT_FOUND',
    );
  });

  it('pages the deleted list past owned environments that are live', async () => {
    const owner = await stack.token('pager-owner');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await stack.call('POST', ENVIRONMENTS, { token: owner, body: { name: `pager ${i}` } })).body.id);
    }
    const doomed = [...ids].sort().slice(-1);
    for (const id of doomed)
      expect((await stack.call('DELETE', `${ENVIRONMENTS}/${id}`, { token: owner })).status).toBe(204);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await stack.call('GET', `${ENVIRONMENTS}/deleted?limit=2${query}`, { token: owner });
      expect(page.status).toBe(200);
      // A page is never empty while another follows.
      if (page.body.nextCursor) expect(page.body.environments.length).toBeGreaterThan(0);
      seen.push(...page.body.environments.map((environment: { id: string }) => environment.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(doomed);
  });
});
