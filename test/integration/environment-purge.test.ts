import { createHash } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreDeps } from '../../lib/app/deps.js';
import { loadConfig } from '../../lib/config.js';
import { purgeDeletedEnvironments } from '../../lib/environments/purge.js';
import { createDocumentClient } from '../../lib/store/dynamodb.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * The scheduled purge: a deleted environment past its recovery window goes with everything in
 * it (secrets, data keys, members, tokens and their lookups, audit); one restored, or still in
 * its window, stays. Time comes from the purge's clock, set days ahead.
 */
const ENVIRONMENTS = '/api/environments';
const DAY_MS = 86_400_000;

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

/** The purge as the scheduled run calls it, `days` from now. */
function purgeAfter(days: number): Promise<number> {
  const config = loadConfig({ ...process.env, TABLE_NAME: stack.tableName, DYNAMODB_ENDPOINT: stack.dynamoDbEndpoint });
  const deps: StoreDeps = {
    config,
    ddb: createDocumentClient(config),
    clock: { now: () => new Date(Date.now() + days * DAY_MS) },
  };
  return purgeDeletedEnvironments(deps);
}

async function scanTable(): Promise<Record<string, unknown>[]> {
  const config = loadConfig({ ...process.env, TABLE_NAME: stack.tableName, DYNAMODB_ENDPOINT: stack.dynamoDbEndpoint });
  const { Items = [] } = await createDocumentClient(config).send(new ScanCommand({ TableName: stack.tableName }));
  return Items;
}

describe('purging deleted environments', () => {
  it('purges an environment past its window with everything in it, and keeps restored and recent ones', async () => {
    const owner = await stack.token('purge-owner');
    const environment = async (name: string) => {
      const id: string = (await stack.call('POST', ENVIRONMENTS, { token: owner, body: { name } })).body.id;
      await stack.call('POST', `${ENVIRONMENTS}/${id}/secrets`, {
        token: owner,
        body: { key: 'K', value: `${name}-v` },
      });
      await stack.call('PUT', `${ENVIRONMENTS}/${id}/members/purge-viewer`, { token: owner, body: { role: 'viewer' } });
      const token = (await stack.call('POST', `${ENVIRONMENTS}/${id}/tokens`, { token: owner, body: { name: 'ci' } }))
        .body.token as string;
      return { id, token };
    };
    const doomed = await environment('doomed');
    const restored = await environment('restored');
    const live = await environment('live');
    for (const { id } of [doomed, restored]) {
      expect((await stack.call('DELETE', `${ENVIRONMENTS}/${id}`, { token: owner })).status).toBe(204);
    }
    expect((await stack.call('POST', `${ENVIRONMENTS}/${restored.id}/restore`, { token: owner })).status).toBe(200);

    // Inside the 7-day window nothing goes.
    expect(await purgeAfter(6)).toBe(0);
    expect((await scanTable()).filter((item) => item.PK === `ENV#${doomed.id}`).length).toBeGreaterThan(5);

    expect(await purgeAfter(8)).toBe(1);
    const doomedLookup = `SERVICETOKEN#${createHash('sha256').update(doomed.token).digest('hex')}`;
    const items = await scanTable();
    expect(items.filter((item) => item.PK === doomedLookup)).toEqual([]);
    expect(JSON.stringify(items)).not.toContain(doomed.id);
    expect((await stack.call('POST', `${ENVIRONMENTS}/${doomed.id}/restore`, { token: owner })).status).toBe(404);
    expect(
      (await stack.call('GET', '/api/service/env', { headers: { authorization: `Bearer ${doomed.token}` } })).status,
    ).toBe(401);

    // The others are untouched: secrets, members and tokens work.
    for (const { id, token } of [restored, live]) {
      expect((await stack.call('GET', `${ENVIRONMENTS}/${id}/members`, { token: owner })).body.members).toHaveLength(2);
      expect(
        (await stack.call('GET', '/api/service/env', { headers: { authorization: `Bearer ${token}` } })).body.env,
      ).toHaveProperty('K');
    }
    const listed = await stack.call('GET', ENVIRONMENTS, { token: owner });
    expect(listed.body.environments.map((environment: { id: string }) => environment.id).sort()).toEqual(
      [restored.id, live.id].sort(),
    );
    expect(await purgeAfter(8)).toBe(0);
  });
});
