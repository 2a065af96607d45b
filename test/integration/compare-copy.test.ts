import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentTenant, SK_PREFIX, userTenant } from '../../lib/store/keys.js';
import { loggedDuring } from '../support/logs.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * Compare, rename, copy and move without revealing: the value never leaves the service, every
 * change is audited on each side it touches, and roles hold in source and target.
 */
const SECRETS = '/api/v1/user/secrets';
const ENVIRONMENTS = '/api/environments';
const SECRET_VALUE = 'sk-live-never-shown-0123456789';
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

async function environment(owner: string, name: string, members: Record<string, string> = {}) {
  const token = await stack.token(owner);
  const id: string = (await stack.call('POST', ENVIRONMENTS, { token, body: { name } })).body.id;
  for (const [sub, role] of Object.entries(members))
    expect((await stack.call('PUT', `${ENVIRONMENTS}/${id}/members/${sub}`, { token, body: { role } })).status).toBe(
      200,
    );
  return id;
}

async function injectEnvironment(sub: string, id: string) {
  const token = await stack.token(sub, 'secrets:inject');
  return (await stack.call('GET', `${ENVIRONMENTS}/${id}/env`, { token })).body.env as Record<string, string>;
}

describe('compare', () => {
  it('tells a v1 owner whether a candidate matches, audited without the candidate', async () => {
    const token = await stack.token('comparer');
    const { body } = await stack.call('POST', SECRETS, { token, body: { name: 'CMP', value: SECRET_VALUE } });
    const url = `${SECRETS}/${body.id}/compare`;
    expect((await stack.call('POST', url, { token, body: { value: SECRET_VALUE } })).body).toEqual({ matches: true });
    const miss = await stack.call('POST', url, { token, body: { value: `${SECRET_VALUE}x` } });
    expect(miss.body).toEqual({ matches: false });
    const other = await stack.token('not-the-owner');
    expect((await stack.call('POST', url, { token: other, body: { value: SECRET_VALUE } })).status).toBe(404);
    const tooLarge = await stack.call('POST', url, { token, body: { value: 'x'.repeat(64 * 1024 + 1) } });
    expect(tooLarge.status).toBe(422);
    expect(tooLarge.body.errors[0].loc).toEqual(['body', 'value']);
    const audit = await stack.call('GET', '/api/v1/user/audit', { token });
    expect(audit.body.events.filter((event: { action: string }) => event.action === 'compare')).toHaveLength(2);
    expect(JSON.stringify(audit.body)).not.toContain(SECRET_VALUE);
  });

  it('lets owners and editors compare an environment secret, neverReveal too, and nobody else', async () => {
    const env = await environment('cmp-owner', 'compare', { 'cmp-editor': 'editor', 'cmp-viewer': 'viewer' });
    const owner = await stack.token('cmp-owner');
    await stack.call('POST', `${ENVIRONMENTS}/${env}/secrets`, {
      token: owner,
      body: { key: 'SEALED', value: SECRET_VALUE, neverReveal: true },
    });
    const url = `${ENVIRONMENTS}/${env}/secrets/SEALED/compare`;
    const asUser = async (sub: string, value: string) =>
      stack.call('POST', url, { token: await stack.token(sub), body: { value } });
    const { lines, text } = await loggedDuring(async () => {
      expect((await asUser('cmp-editor', SECRET_VALUE)).body).toEqual({ matches: true });
      expect((await asUser('cmp-owner', 'wrong')).body).toEqual({ matches: false });
    }, 'info');
    expect(lines.length).toBeGreaterThan(0);
    expect(text).not.toContain(SECRET_VALUE);
    expect((await asUser('cmp-viewer', SECRET_VALUE)).body.code).toBe('FORBIDDEN');
    expect((await asUser('cmp-stranger', SECRET_VALUE)).body.code).toBe('ENVIRONMENT_NOT_FOUND');
    const missing = await stack.call('POST', `${ENVIRONMENTS}/${env}/secrets/NOPE/compare`, {
      token: owner,
      body: { value: 'x' },
    });
    expect(missing.body.code).toBe('SECRET_NOT_FOUND');
    const audit = await stack.call('GET', `${ENVIRONMENTS}/${env}/audit`, { token: owner });
    const compares = audit.body.events.filter((event: { action: string }) => event.action === 'compare');
    expect(compares.map((event: { actor: string }) => event.actor).sort()).toEqual(['cmp-editor', 'cmp-owner']);
    expect(JSON.stringify(audit.body)).not.toContain(SECRET_VALUE);
  });
});

describe('rename', () => {
  it('renames a user secret with its versions, re-bound to the new name, and frees the old name', async () => {
    const sub = 'renamer';
    const token = await stack.token(sub);
    const created = await stack.call('POST', SECRETS, { token, body: { name: 'OLD_NAME', value: 'v1' } });
    const id: string = created.body.id;
    await stack.call('PUT', `${SECRETS}/${id}`, { token, body: { value: 'v2' } });
    const stale = await stack.call('POST', `${SECRETS}/${id}/rename`, {
      token,
      body: { name: 'NEW_NAME' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    const renamed = await stack.call('POST', `${SECRETS}/${id}/rename`, {
      token,
      body: { name: 'NEW_NAME' },
      headers: { 'if-match': '"2"' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.headers.get('etag')).toBe('"3"');
    expect(renamed.body).toMatchObject({ id, name: 'NEW_NAME' });
    expect(JSON.stringify(renamed.body)).not.toContain('v2');

    const inject = await stack.call('GET', `${SECRETS}/env`, { token: await stack.token(sub, 'secrets:inject') });
    expect(inject.body.env).toEqual({ NEW_NAME: 'v2' });
    const list = await stack.call('GET', SECRETS, { token });
    expect(list.body.secrets.map((secret: { name: string }) => secret.name)).toEqual(['NEW_NAME']);
    const versions = await stack.items(userTenant(sub), `${SK_PREFIX.secretVersion}${id}#`);
    expect(versions.map((version) => version.name)).toEqual(['NEW_NAME']);
    expect((await stack.call('POST', `${SECRETS}/${id}/versions/1/restore`, { token })).status).toBe(200);
    const restored = await stack.call('GET', `${SECRETS}/env`, { token: await stack.token(sub, 'secrets:inject') });
    expect(restored.body.env).toEqual({ NEW_NAME: 'v1' });

    expect((await stack.call('POST', SECRETS, { token, body: { name: 'OLD_NAME', value: 'reuse' } })).status).toBe(201);
    const audit = await stack.call('GET', '/api/v1/user/audit', { token });
    expect(audit.body.events).toContainEqual(
      expect.objectContaining({ action: 'rename', names: ['OLD_NAME', 'NEW_NAME'], version: 3 }),
    );
  });

  it('refuses a name taken, held by the trash, or against the name rules, and answers 404 to others', async () => {
    const token = await stack.token('rename-rules');
    const create = (name: string) => stack.call('POST', SECRETS, { token, body: { name, value: 'x' } });
    const id: string = (await create('MOVABLE')).body.id;
    await create('TAKEN');
    const trashed: string = (await create('IN_TRASH')).body.id;
    await stack.call('DELETE', `${SECRETS}/${trashed}`, { token });
    const rename = (name: unknown, as = token) =>
      stack.call('POST', `${SECRETS}/${id}/rename`, { token: as, body: { name } });
    expect((await rename('TAKEN')).body).toMatchObject({ code: 409, type: 'conflict_error' });
    const held = await rename('IN_TRASH');
    expect(held.status).toBe(409);
    expect(held.body.detail).toContain(`/api/v1/user/secrets/deleted/${trashed}/restore`);
    for (const name of ['LD_PRELOAD', '1BAD', ''])
      expect((await rename(name)).body.errors[0].loc).toEqual(['body', 'name']);
    expect((await rename('ELSEWHERE', await stack.token('rename-stranger'))).status).toBe(404);
    const same = await rename('MOVABLE');
    expect(same.status).toBe(200);
    expect(same.headers.get('etag')).toBe('"1"');
  });
});

describe('copy and move', () => {
  it('copies a neverReveal secret to another environment under the target key, without the value in any answer', async () => {
    const source = await environment('copy-owner', 'copy source');
    const target = await environment('copy-owner', 'copy target');
    const token = await stack.token('copy-owner');
    await stack.call('POST', `${ENVIRONMENTS}/${source}/secrets`, {
      token,
      body: { key: 'DB_PASSWORD', value: SECRET_VALUE, description: 'primary', neverReveal: true },
    });
    const { lines, text } = await loggedDuring(async () => {
      const copied = await stack.call('POST', `${ENVIRONMENTS}/${source}/secrets/DB_PASSWORD/copy`, {
        token,
        body: { toEnvironmentId: target, toKey: 'REPLICA_PASSWORD' },
      });
      expect(copied.status).toBe(201);
      expect(copied.headers.get('location')).toBe(`${ENVIRONMENTS}/${target}/secrets/REPLICA_PASSWORD`);
      expect(copied.body).toMatchObject({
        key: 'REPLICA_PASSWORD',
        description: 'primary',
        neverReveal: true,
        maskedValue: '••••',
        version: 1,
      });
      expect(copied.text).not.toContain(SECRET_VALUE);
    }, 'info');
    expect(lines.length).toBeGreaterThan(0);
    expect(text).not.toContain(SECRET_VALUE);
    expect(await injectEnvironment('copy-owner', target)).toEqual({ REPLICA_PASSWORD: SECRET_VALUE });
    expect(await injectEnvironment('copy-owner', source)).toEqual({ DB_PASSWORD: SECRET_VALUE });
    const revealed = await stack.call('GET', `${ENVIRONMENTS}/${target}/secrets/REPLICA_PASSWORD/value`, { token });
    expect(revealed.body.code).toBe('SECRET_NEVER_REVEAL');
    const [copy] = await stack.items(environmentTenant(target), `${SK_PREFIX.secret}REPLICA_PASSWORD`);
    const [original] = await stack.items(environmentTenant(source), `${SK_PREFIX.secret}DB_PASSWORD`);
    expect(Buffer.from(copy!.ct).equals(Buffer.from(original!.ct))).toBe(false);
    for (const [env, key] of [
      [source, 'DB_PASSWORD'],
      [target, 'REPLICA_PASSWORD'],
    ]) {
      const audit = await stack.call('GET', `${ENVIRONMENTS}/${env}/audit`, { token });
      expect(audit.body.events.filter((event: { action: string }) => event.action === 'copy')).toEqual([
        expect.objectContaining({ keys: [key], actor: 'copy-owner' }),
      ]);
    }
  });

  it('moves a secret: the target gets it, the source trashes it in the same write', async () => {
    const source = await environment('move-owner', 'move source');
    const target = await environment('move-owner', 'move target');
    const token = await stack.token('move-owner');
    await stack.call('POST', `${ENVIRONMENTS}/${source}/secrets`, { token, body: { key: 'API_KEY', value: 'a1' } });
    await stack.call('PATCH', `${ENVIRONMENTS}/${source}/secrets/API_KEY`, { token, body: { value: 'a2' } });
    const moved = await stack.call('POST', `${ENVIRONMENTS}/${source}/secrets/API_KEY/copy`, {
      token,
      body: { toEnvironmentId: target, move: true },
    });
    expect(moved.status).toBe(201);
    expect(await injectEnvironment('move-owner', target)).toEqual({ API_KEY: 'a2' });
    expect(await injectEnvironment('move-owner', source)).toEqual({});
    const trash = await stack.call('GET', `${ENVIRONMENTS}/${source}/deleted-secrets`, { token });
    expect(trash.body.secrets.map((secret: { key: string }) => secret.key)).toEqual(['API_KEY']);
    const totals = await Promise.all(
      [source, target].map(async (env) => (await stack.call('GET', `${ENVIRONMENTS}/${env}/secrets`, { token })).body),
    );
    expect(totals.map((list) => list.total)).toEqual([0, 1]);
    // Within one environment, to another key.
    const within = await stack.call('POST', `${ENVIRONMENTS}/${target}/secrets/API_KEY/copy`, {
      token,
      body: { toEnvironmentId: target, toKey: 'API_KEY_V2', move: true },
    });
    expect(within.status).toBe(201);
    expect(await injectEnvironment('move-owner', target)).toEqual({ API_KEY_V2: 'a2' });
    expect((await stack.call('GET', `${ENVIRONMENTS}/${target}/secrets`, { token })).body.total).toBe(1);
  });

  it('needs owner or editor in both environments and a free target key', async () => {
    const source = await environment('roles-owner', 'roles source', {
      'roles-editor': 'editor',
      'roles-viewer': 'viewer',
    });
    const target = await environment('roles-owner', 'roles target', {
      'roles-editor': 'viewer',
      'roles-target-viewer': 'viewer',
    });
    const elsewhere = await environment('roles-other', 'not shared');
    const owner = await stack.token('roles-owner');
    await stack.call('POST', `${ENVIRONMENTS}/${source}/secrets`, { token: owner, body: { key: 'K', value: 'v' } });
    await stack.call('POST', `${ENVIRONMENTS}/${target}/secrets`, { token: owner, body: { key: 'TAKEN', value: 'v' } });
    await stack.call('POST', `${ENVIRONMENTS}/${target}/secrets`, {
      token: owner,
      body: { key: 'TRASHED', value: 'v' },
    });
    await stack.call('DELETE', `${ENVIRONMENTS}/${target}/secrets/TRASHED`, { token: owner });
    const copy = async (sub: string, body: Record<string, unknown>) =>
      (await stack.call('POST', `${ENVIRONMENTS}/${source}/secrets/K/copy`, { token: await stack.token(sub), body }))
        .body;
    expect((await copy('roles-editor', { toEnvironmentId: target })).code).toBe('FORBIDDEN');
    expect((await copy('roles-viewer', { toEnvironmentId: source, toKey: 'K2' })).code).toBe('FORBIDDEN');
    expect((await copy('roles-owner', { toEnvironmentId: elsewhere })).code).toBe('ENVIRONMENT_NOT_FOUND');
    expect((await copy('roles-other', { toEnvironmentId: elsewhere })).code).toBe('ENVIRONMENT_NOT_FOUND');
    // Not a member of the source: 404 every time, whatever the target would say.
    for (let attempt = 0; attempt < 5; attempt++)
      expect((await copy('roles-target-viewer', { toEnvironmentId: target })).code).toBe('ENVIRONMENT_NOT_FOUND');
    expect((await copy('roles-owner', { toEnvironmentId: target, toKey: 'TAKEN' })).code).toBe('SECRET_EXISTS');
    const trashed = await copy('roles-owner', { toEnvironmentId: target, toKey: 'TRASHED' });
    expect(trashed).toMatchObject({ code: 'SECRET_DELETED' });
    expect((await copy('roles-owner', { toEnvironmentId: source })).code).toBe('SECRET_EXISTS');
    expect((await copy('roles-owner', { toEnvironmentId: target, toKey: 'PATH' })).code).toBe('VALIDATION_ERROR');
    expect((await copy('roles-owner', { toEnvironmentId: target, extra: 1 })).code).toBe('UNKNOWN_FIELD');
    expect(await injectEnvironment('roles-owner', target)).toEqual({ TAKEN: 'v' });
    expect((await copy('roles-editor', { toEnvironmentId: source, toKey: 'K_COPY' })).key).toBe('K_COPY');
  });
});
