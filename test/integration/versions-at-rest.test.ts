import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotationDeps, valueDeps } from '../../lib/app/process-deps.js';
import { createKeyring } from '../../lib/crypto/keyring.js';
import { createRotationHandler } from '../../lib/rotation/rotation-handler.js';
import { environmentTenant, itemKeys, SK_PREFIX, userTenant } from '../../lib/store/keys.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * Versions and the trash as stored: every kept value stays readable through key rotations,
 * a value moved at rest (to another name, or an older value written back) fails closed, and
 * writers racing on one secret leave one linear history.
 */
const SECRETS = '/api/v1/user/secrets';
const ENVIRONMENTS = '/api/environments';
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

/** Sets attributes of a stored item directly, as someone with write access to the table could. */
async function tamper(key: { PK: string; SK: string }, attributes: Record<string, unknown>): Promise<void> {
  const names = Object.keys(attributes);
  await valueDeps().ddb.send(
    new UpdateCommand({
      TableName: stack.tableName,
      Key: key,
      UpdateExpression: `SET ${names.map((name) => `#${name} = :${name}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((name) => [`#${name}`, name])),
      ExpressionAttributeValues: Object.fromEntries(names.map((name) => [`:${name}`, attributes[name]])),
    }),
  );
}

async function userSecret(sub: string, name: string, values: string[]): Promise<string> {
  const token = await stack.token(sub);
  const created = await stack.call('POST', SECRETS, { token, body: { name, value: values[0] } });
  expect(created.status).toBe(201);
  for (const value of values.slice(1))
    expect((await stack.call('PUT', `${SECRETS}/${created.body.id}`, { token, body: { value } })).status).toBe(200);
  return created.body.id;
}

async function injectUser(sub: string) {
  return stack.call('GET', `${SECRETS}/env`, { token: await stack.token(sub, 'secrets:inject') });
}

function rotate(tenant: string) {
  const base = valueDeps();
  const handler = createRotationHandler({
    ...rotationDeps({ publish: async () => {} }),
    keyring: createKeyring({ ddb: base.ddb, kms: base.kms, config: base.config, clock: base.clock }),
  });
  return handler({ id: `evt-${Math.random()}`, source: 'test', 'detail-type': 'RotateTenantKey', detail: { tenant } });
}

describe('rotation', () => {
  it('re-encrypts every kept version and every trashed secret: both stay restorable after two rotations', async () => {
    const sub = 'rotated-history';
    const token = await stack.token(sub);
    const kept = await userSecret(sub, 'KEPT', ['kept-v1', 'kept-v2', 'kept-v3']);
    const trashed = await userSecret(sub, 'TRASHED', ['trashed-v1', 'trashed-v2']);
    expect((await stack.call('DELETE', `${SECRETS}/${trashed}`, { token })).status).toBe(204);
    const env = (await stack.call('POST', ENVIRONMENTS, { token, body: { name: 'rotated' } })).body.id;
    const base = `${ENVIRONMENTS}/${env}/secrets`;
    await stack.call('POST', base, { token, body: { key: 'API_KEY', value: 'env-v1' } });
    await stack.call('PATCH', `${base}/API_KEY`, { token, body: { value: 'env-v2' } });
    await stack.call('POST', base, { token, body: { key: 'OLD_KEY', value: 'old-v1' } });
    await stack.call('PATCH', `${base}/OLD_KEY`, { token, body: { value: 'old-v2' } });
    expect((await stack.call('DELETE', `${base}/OLD_KEY`, { token })).status).toBe(204);

    for (const tenant of [userTenant(sub), environmentTenant(env)]) {
      await rotate(tenant);
      await rotate(tenant);
      for (const prefix of [SK_PREFIX.secret, SK_PREFIX.secretVersion, SK_PREFIX.trashedSecret]) {
        const items = await stack.items(tenant, prefix);
        expect(items.length, `${tenant} ${prefix}`).toBeGreaterThan(0);
        expect(new Set(items.map((item) => item.kv)), `${tenant} ${prefix}`).toEqual(new Set([3]));
      }
    }

    const first = await stack.call('POST', `${SECRETS}/${kept}/versions/1/restore`, { token });
    expect(first.status).toBe(200);
    const restored = await stack.call('POST', `${SECRETS}/deleted/${trashed}/restore`, { token });
    expect(restored.status).toBe(200);
    expect((await injectUser(sub)).body.env).toEqual({ KEPT: 'kept-v1', TRASHED: 'trashed-v2' });
    expect((await stack.call('POST', `${SECRETS}/${trashed}/versions/1/restore`, { token })).status).toBe(200);
    expect((await injectUser(sub)).body.env.TRASHED).toBe('trashed-v1');

    const oldValue = await stack.call('GET', `${base}/API_KEY/versions/1/value`, { token });
    expect(oldValue.body).toEqual({ key: 'API_KEY', version: 1, value: 'env-v1' });
    expect((await stack.call('POST', `${ENVIRONMENTS}/${env}/deleted-secrets/OLD_KEY/restore`, { token })).status).toBe(
      200,
    );
    const envToken = await stack.token(sub, 'secrets:inject');
    expect((await stack.call('GET', `${ENVIRONMENTS}/${env}/env`, { token: envToken })).body.env).toEqual({
      API_KEY: 'env-v2',
      OLD_KEY: 'old-v2',
    });
    expect((await stack.call('GET', `${base}/OLD_KEY/versions/1/value`, { token })).body.value).toBe('old-v1');
  });
});

describe('binding at rest', () => {
  it('fails closed when a user secret is renamed at rest, even to LD_PRELOAD', async () => {
    const sub = 'renamed-at-rest';
    const id = await userSecret(sub, 'HARMLESS', ['sk-renamed-value']);
    await tamper(itemKeys.userSecret(userTenant(sub), id), { name: 'LD_PRELOAD' });
    const injected = await injectUser(sub);
    expect(injected.status).toBe(500);
    expect(injected.body).toEqual({ code: 500, detail: 'Internal server error', type: 'internal_error' });
    expect(injected.text).not.toContain('sk-renamed-value');
    await tamper(itemKeys.userSecret(userTenant(sub), id), { name: 'HARMLESS' });
    expect((await injectUser(sub)).body.env).toEqual({ HARMLESS: 'sk-renamed-value' });
  });

  it('fails closed when an older ciphertext is written back over the current value', async () => {
    const sub = 'downgraded';
    const id = await userSecret(sub, 'ROTATED_KEY', ['sk-leaked-old', 'sk-current']);
    const tenant = userTenant(sub);
    const [old] = await stack.items(tenant, `${SK_PREFIX.secretVersion}${id}#`);
    await tamper(itemKeys.userSecret(tenant, id), { ct: old!.ct, kv: old!.kv });
    const injected = await injectUser(sub);
    expect(injected.status).toBe(500);
    expect(injected.text).not.toContain('sk-leaked-old');
    // Relabelled as the old version too, the item still does not open: its AAD names the slot it was sealed for.
    await tamper(itemKeys.userSecret(tenant, id), { ct: old!.ct, kv: old!.kv, value_version: 2 });
    expect((await injectUser(sub)).status).toBe(500);
  });

  it('fails closed when an environment value is moved to another key or version slot', async () => {
    const sub = 'env-moved';
    const token = await stack.token(sub);
    const env = (await stack.call('POST', ENVIRONMENTS, { token, body: { name: 'moved' } })).body.id;
    const base = `${ENVIRONMENTS}/${env}/secrets`;
    const tenant = environmentTenant(env);
    await stack.call('POST', base, { token, body: { key: 'DB_PASSWORD', value: 'pw-v1' } });
    await stack.call('PATCH', `${base}/DB_PASSWORD`, { token, body: { value: 'pw-v2' } });
    await stack.call('PATCH', `${base}/DB_PASSWORD`, { token, body: { value: 'pw-v3' } });
    await stack.call('POST', base, { token, body: { key: 'LOG_LEVEL', value: 'debug' } });
    const [secret] = await stack.items(tenant, `${SK_PREFIX.secret}DB_PASSWORD`);
    await tamper(itemKeys.environmentSecret(tenant, 'LOG_LEVEL'), { ct: secret!.ct, kv: secret!.kv });
    const revealed = await stack.call('GET', `${base}/LOG_LEVEL/value`, { token });
    expect(revealed.status).toBe(500);
    expect(revealed.text).not.toContain('pw-v3');
    const [v1, v2] = await stack.items(tenant, `${SK_PREFIX.secretVersion}DB_PASSWORD#`);
    await tamper({ PK: tenant, SK: v2!.SK }, { ct: v1!.ct });
    const older = await stack.call('GET', `${base}/DB_PASSWORD/versions/${v2!.value_version}/value`, { token });
    expect(older.status).toBe(500);
    expect(older.text).not.toContain('pw-v1');
  });
});

describe('concurrency', () => {
  it('keeps one linear history while many write and restore one secret at once', async () => {
    const sub = 'racing-writers';
    const token = await stack.token(sub);
    const env = (await stack.call('POST', ENVIRONMENTS, { token, body: { name: 'racing' } })).body.id;
    const base = `${ENVIRONMENTS}/${env}/secrets/HOT`;
    await stack.call('POST', `${ENVIRONMENTS}/${env}/secrets`, { token, body: { key: 'HOT', value: 'first' } });
    const acknowledged = new Map<number, string>();
    const writers = Array.from({ length: 16 }, async (_, n) => {
      const restore = n % 4 === 3;
      const answer = restore
        ? await stack.call('POST', `${base}/versions/1/restore`, { token })
        : await stack.call('PATCH', base, { token, body: { value: `writer-${n}` } });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(acknowledged.has(answer.body.version), `version ${answer.body.version} acknowledged twice`).toBe(false);
      acknowledged.set(answer.body.version, restore ? 'first' : `writer-${n}`);
    });
    await Promise.all(writers);

    // Versions 2..17, each written once, and the history holds every one of them with its own value.
    expect([...acknowledged.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 2));
    const listed = await stack.call('GET', `${base}/versions?limit=100`, { token });
    expect(listed.body.versions.map((v: { version: number }) => v.version)).toEqual(
      Array.from({ length: 17 }, (_, i) => 17 - i),
    );
    for (const [version, value] of acknowledged) {
      const revealed = await stack.call('GET', `${base}/versions/${version}/value`, { token });
      expect(revealed.body.value, `version ${version}`).toBe(value);
    }
  });
});
