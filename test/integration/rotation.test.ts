import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PROJECT_ROOT } from '../../infra/paths.js';
import { rotationDeps, valueDeps } from '../../lib/app/process-deps.js';
import { createKeyring } from '../../lib/crypto/keyring.js';
import type { RotationEvent } from '../../lib/rotation/events.js';
import type { RotationDeps } from '../../lib/rotation/rotate-tenant.js';
import { createRotationHandler } from '../../lib/rotation/rotation-handler.js';
import { createUserSecret } from '../../lib/secrets/user-secrets.js';
import { itemKeys, SK_PREFIX, userTenant } from '../../lib/store/keys.js';
import { failDynamoDbCalls } from '../support/faults.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const SECRETS = '/api/v1/user/secrets';
let stack: TestStack;
let published: RotationEvent[];
let deps: RotationDeps;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());
afterEach(() => {
  vi.restoreAllMocks();
});

/** Rotation dependencies with a cold keyring of their own, as a fresh Lambda container has. */
function freshDeps(overrides: Partial<RotationDeps['config']> = {}): RotationDeps {
  const base = valueDeps();
  const config = { ...base.config, ...overrides };
  published = [];
  deps = {
    ...rotationDeps({ publish: async (events) => void published.push(...events) }),
    config,
    keyring: createKeyring({ ddb: base.ddb, kms: base.kms, config, clock: base.clock }),
  };
  return deps;
}

const rotateEvent = (tenant: string, id = `evt-${Math.random()}`) => ({
  id,
  source: 'test',
  'detail-type': 'RotateTenantKey',
  detail: { tenant },
});

async function seed(sub: string, count: number): Promise<Record<string, string>> {
  const expected: Record<string, string> = {};
  const deps = valueDeps();
  const names = Array.from({ length: count }, (_, i) => `SECRET_${String(i).padStart(5, '0')}`);
  for (let i = 0; i < names.length; i += 25) {
    await Promise.all(
      names.slice(i, i + 25).map(async (name) => {
        const value = `value-${sub}-${name}-${Math.random().toString(36).slice(2)}`;
        await createUserSecret(deps, { requestId: 'req_test', sub, secret: { name, provider: 'custom', value } });
        expected[name] = value;
      }),
    );
  }
  return expected;
}

async function inject(sub: string) {
  const result = await stack.call('GET', `${SECRETS}/env`, { token: await stack.token(sub, 'secrets:inject') });
  expect(result.status).toBe(200);
  return result.body.env as Record<string, string>;
}

async function dataKeyStatus(tenant: string, version: number) {
  const { Item } = await valueDeps().ddb.send(
    new GetCommand({ TableName: stack.tableName, Key: itemKeys.dataKey(tenant, version) }),
  );
  return Item?.status;
}

async function keyVersionsInUse(tenant: string): Promise<number[]> {
  return [...new Set((await stack.items(tenant, SK_PREFIX.secret)).map((item) => item.kv as number))];
}

/** Simulates the process dying after `writesBeforeCrash` re-encryptions: every later call fails. */
function crashAfterReencryptions(writesBeforeCrash: number) {
  let writes = 0;
  let crashed = false;
  failDynamoDbCalls((command) => {
    const reencryption =
      command instanceof UpdateCommand && String(command.input.UpdateExpression).includes('kv = :to');
    if (reencryption && writes++ >= writesBeforeCrash) crashed = true;
    return crashed ? new Error('simulated crash') : undefined;
  });
}

/** Simulates the process dying on the transaction that retires the old key, after every value moved. */
function crashOnRetire() {
  failDynamoDbCalls((command) =>
    command instanceof TransactWriteCommand && JSON.stringify(command.input).includes(':retired')
      ? new Error('simulated crash')
      : undefined,
  );
}

describe('rotation through `npm run rotate`', () => {
  it('rotates a user with 1,000 secrets, keeps every value readable and retires the old key', async () => {
    const sub = 'bulk-user';
    const tenant = userTenant(sub);
    const expected = await seed(sub, 1000);
    const token = await stack.token(sub);
    const listBefore = await stack.call('GET', `${SECRETS}?limit=5`, { token });

    const { stdout } = await promisify(execFile)(
      join(PROJECT_ROOT, 'node_modules/.bin/tsx'),
      ['infra/local/rotate.ts', '--tenant', sub],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, DATA_DIR: stack.dataDir },
      },
    );
    expect(stdout).toContain('rotated 1 of 1 tenant(s); 1000 value(s) re-encrypted');
    expect(stdout).toMatch(/TenantKeyRotated .*"fromVersion":1,"toVersion":2/);

    expect(await inject(sub)).toEqual(expected);
    expect(await keyVersionsInUse(tenant)).toEqual([2]);
    expect(await dataKeyStatus(tenant, 1)).toBe('retired');
    expect(await dataKeyStatus(tenant, 2)).toBe('active');
    const listAfter = await stack.call('GET', `${SECRETS}?limit=5`, { token });
    expect(listAfter.body).toEqual(listBefore.body);
  }, 120_000);
});

describe('rotation as the event handler', () => {
  it.each([
    ['right after the new key is made active', 0],
    ['after some values', 7],
    ['after all values, before the old key is retired', 30],
  ])('resumes after a crash %s, losing nothing', async (_, writesBeforeCrash) => {
    const sub = `crash-${writesBeforeCrash}`;
    const tenant = userTenant(sub);
    const expected = await seed(sub, 30);
    const handler = createRotationHandler(freshDeps());

    if (writesBeforeCrash === 30) crashOnRetire();
    else crashAfterReencryptions(writesBeforeCrash);
    await expect(handler(rotateEvent(tenant))).rejects.toThrow(/rerun/);
    vi.restoreAllMocks();
    expect(await inject(sub)).toEqual(expected);

    const rerun = await handler(rotateEvent(tenant));
    expect(rerun.rotated).toBe(1);
    expect(await inject(sub)).toEqual(expected);
    expect(await keyVersionsInUse(tenant)).toEqual([2]);
    expect(await dataKeyStatus(tenant, 1)).toBe('retired');
    expect(published.filter((e) => e.type === 'TenantKeyRotated')).toHaveLength(1);
    // SecretRotated is per value written; values re-encrypted before a crash are not announced twice.
    const rotatedIds = published.filter((e) => e.type === 'SecretRotated').map((e) => e.detail.recordId);
    expect(new Set(rotatedIds).size).toBe(rotatedIds.length);
    expect(rotatedIds.length).toBeGreaterThanOrEqual(30 - Math.min(writesBeforeCrash, 30));
  });

  it('keeps the latest acknowledged value of secrets updated during the rotation', async () => {
    const sub = 'busy-user';
    const tenant = userTenant(sub);
    const expected = await seed(sub, 120);
    const token = await stack.token(sub);
    const list = await stack.call('GET', `${SECRETS}?limit=100`, { token });
    const targets = list.body.secrets.slice(0, 40) as { id: string; name: string }[];

    const rotation = createRotationHandler(freshDeps())(rotateEvent(tenant));
    const updates = targets.map(async ({ id, name }, i) => {
      const value = `updated-during-rotation-${i}`;
      const result = await stack.call('PUT', `${SECRETS}/${id}`, { token, body: { value } });
      if (result.status === 200) expected[name] = value;
      return result.status;
    });
    const [summary, statuses] = await Promise.all([rotation, Promise.all(updates)]);
    expect(summary.rotated).toBe(1);
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(await inject(sub)).toEqual(expected);
    expect(await keyVersionsInUse(tenant)).toEqual([2]);
  });

  it('uses at most one GenerateDataKey and one Decrypt per rotated tenant and answers the API the same', async () => {
    const sub = 'kms-counted';
    const tenant = userTenant(sub);
    const expected = await seed(sub, 50);
    const token = await stack.token(sub);
    const one = (await stack.call('GET', `${SECRETS}?limit=1`, { token })).body.secrets[0];
    const before = await stack.call('GET', `${SECRETS}/${one.id}`, { token });

    stack.kms.resetCalls();
    await createRotationHandler(freshDeps())(rotateEvent(tenant));
    expect(stack.kms.calls.GenerateDataKey).toBe(1);
    expect(stack.kms.calls.Decrypt).toBe(1);

    const after = await stack.call('GET', `${SECRETS}/${one.id}`, { token });
    expect(after.body).toEqual(before.body);
    expect(after.headers.get('etag')).toBe(before.headers.get('etag'));
    expect(await inject(sub)).toEqual(expected);
  });

  it('does nothing more for a redelivered event', async () => {
    const sub = 'redelivered';
    const tenant = userTenant(sub);
    await seed(sub, 3);
    const handler = createRotationHandler(freshDeps());
    const event = rotateEvent(tenant, 'same-event-id');
    expect((await handler(event)).rotated).toBe(1);
    expect((await handler(event)).rotated).toBe(0);
    expect(await dataKeyStatus(tenant, 3)).toBeUndefined();
    expect(await keyVersionsInUse(tenant)).toEqual([2]);
  });

  it('re-wraps data keys under a new KMS key with ReEncrypt, leaving values untouched', async () => {
    const sub = 'kms-moved';
    const tenant = userTenant(sub);
    const expected = await seed(sub, 5);
    const { ddb, kms } = valueDeps();
    const valuesBefore = await stack.items(tenant, SK_PREFIX.secret);
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));

    stack.kms.resetCalls();
    const handler = createRotationHandler(freshDeps({ kmsKeyId: KeyMetadata!.KeyId! }));
    const summary = await handler({
      id: 'rewrap-1',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      detail: {},
    });
    expect(summary.rewrapped).toBeGreaterThanOrEqual(1);
    expect(summary.rotated).toBe(0);
    expect(stack.kms.calls.ReEncrypt).toBe(summary.rewrapped);

    const dataKey = await ddb.send(new GetCommand({ TableName: stack.tableName, Key: itemKeys.dataKey(tenant, 1) }));
    expect(dataKey.Item!.kms_key_id).toBe(KeyMetadata!.Arn);
    const valuesAfter = await stack.items(tenant, SK_PREFIX.secret);
    expect(valuesAfter).toEqual(valuesBefore);
    expect(published.some((e) => e.type === 'DataKeysRewrapped' && e.detail.tenant === tenant)).toBe(true);
    expect(await inject(sub)).toEqual(expected);
  });

  it('on schedule rotates keys past their age and announces secrets past theirs, never with a value', async () => {
    const oldSub = 'old-key-user';
    const youngSub = 'young-key-user';
    const oldExpected = await seed(oldSub, 4);
    await seed(youngSub, 2);
    const { ddb } = valueDeps();
    const longAgo = '2020-01-01T00:00:00.000Z';
    await ddb.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: itemKeys.dataKey(userTenant(oldSub), 1),
        UpdateExpression: 'SET GSI1SK = :sk',
        ExpressionAttributeValues: { ':sk': `${longAgo}#${userTenant(oldSub)}` },
      }),
    );
    const stale = (await stack.call('GET', `${SECRETS}?limit=1`, { token: await stack.token(youngSub) })).body
      .secrets[0];
    await ddb.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: itemKeys.userSecret(userTenant(youngSub), stale.id),
        UpdateExpression: 'SET updated_at = :t',
        ExpressionAttributeValues: { ':t': '2020-01-01T00:00:00Z' },
      }),
    );

    const summary = await createRotationHandler(freshDeps())({
      id: 'schedule-1',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      detail: {},
    });
    expect(await keyVersionsInUse(userTenant(oldSub))).toEqual([2]);
    expect(await keyVersionsInUse(userTenant(youngSub))).toEqual([1]);
    expect(summary.rotated).toBeGreaterThanOrEqual(1);
    const due = published.filter((e) => e.type === 'SecretRotationDue');
    expect(due).toContainEqual({
      type: 'SecretRotationDue',
      detail: expect.objectContaining({ tenant: userTenant(youngSub), recordId: stale.id, name: stale.name }),
    });
    expect(JSON.stringify(published)).not.toMatch(/value-/);
    expect(await inject(oldSub)).toEqual(oldExpected);
  });

  it('rotates an environment: its values stay injectable and move to the new key version', async () => {
    const owner = await stack.token('env-owner');
    const environment = await stack.call('POST', '/api/environments', { token: owner, body: { name: 'production' } });
    const id = environment.body.id as string;
    const expected: Record<string, string> = {};
    for (let i = 0; i < 12; i++) {
      const key = `ENV_KEY_${i}`;
      expected[key] = `environment-value-${i}`;
      const created = await stack.call('POST', `/api/environments/${id}/secrets`, {
        token: owner,
        body: { key, value: expected[key], neverReveal: i % 2 === 0 },
      });
      expect(created.status).toBe(201);
    }
    const summary = await createRotationHandler(freshDeps())(rotateEvent(`ENV#${id}`));
    expect(summary).toMatchObject({ rotated: 1, reencrypted: 12 });
    expect(
      published
        .filter((e) => e.type === 'SecretRotated')
        .map((e) => e.detail.recordId)
        .sort(),
    ).toEqual(Object.keys(expected).sort());
    expect(await keyVersionsInUse(`ENV#${id}`)).toEqual([2]);
    const env = await stack.call('GET', `/api/environments/${id}/env`, {
      token: await stack.token('env-owner', 'secrets:inject'),
    });
    expect(env.body.env).toEqual(expected);
  });

  it('refuses an event it cannot read', async () => {
    await expect(
      createRotationHandler(freshDeps())({ 'detail-type': 'RotateTenantKey', detail: { tenant: 'nobody' } }),
    ).rejects.toThrow(/Unreadable/);
  });
});
