import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { rotationDeps, storeDeps, valueDeps } from '../../lib/app/process-deps.js';
import { openValue } from '../../lib/crypto/envelope.js';
import { createKeyring, type Keyring } from '../../lib/crypto/keyring.js';
import { createEnvironment } from '../../lib/environments/environments.js';
import { createSecret, updateSecret } from '../../lib/environments/secrets.js';
import { injectSecrets } from '../../lib/environments/values.js';
import { rotateTenantKey } from '../../lib/rotation/rotate-tenant.js';
import { createUserSecret, injectUserSecrets, updateUserSecret } from '../../lib/secrets/user-secrets.js';
import { environmentTenant, itemKeys, SK_PREFIX, userTenant } from '../../lib/store/keys.js';
import { aroundKmsCalls, failDynamoDbCalls } from '../support/faults.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * Tenant data keys against the real table and the local KMS: what several cold processes do
 * at once, what a process with a stale cache writes after a rotation, and what the keyring
 * does with the plaintext keys KMS hands it.
 */
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());
afterEach(() => {
  vi.restoreAllMocks();
});

/** A keyring with an empty cache, as a freshly started Lambda container has. */
const coldKeyring = (): Keyring => createKeyring(valueDeps());

/** Lets every KMS call through, handing each answer to `observe` before the keyring sees it. */
function observeKms(observe: (command: unknown, answer: any) => Promise<void> | void) {
  aroundKmsCalls(async (command, send) => {
    const answer = await send();
    await observe(command, answer);
    return answer;
  });
}

const dataKeyItems = (tenant: string) => stack.items(tenant, SK_PREFIX.dataKey);

async function storedKeyVersion(key: { PK: string; SK: string }): Promise<number> {
  const { Item } = await valueDeps().ddb.send(
    new GetCommand({ TableName: stack.tableName, Key: key, ProjectionExpression: 'kv' }),
  );
  return Item!.kv;
}

async function rotate(tenant: string): Promise<void> {
  const deps = { ...rotationDeps({ publish: async () => undefined }), keyring: coldKeyring() };
  const rotation = await rotateTenantKey(deps, tenant, { rotationId: `rot-${Math.random()}` });
  expect(rotation.outcome).toBe('rotated');
}

describe('the first data key of a tenant', () => {
  it('is created once when two cold processes race: the loser uses the winner’s stored key', async () => {
    const tenant = userTenant('first-key-race');
    let generated = 0;
    let bothGenerated!: () => void;
    const barrier = new Promise<void>((resolve) => (bothGenerated = resolve));
    // Both processes hold a freshly generated key before either tries to store it.
    observeKms(async (command) => {
      if (!(command instanceof GenerateDataKeyCommand)) return;
      if (++generated === 2) bothGenerated();
      await barrier;
    });

    const [first, second] = await Promise.all([coldKeyring().active(tenant), coldKeyring().active(tenant)]);
    vi.restoreAllMocks();

    expect(generated).toBe(2);
    expect([first.version, second.version]).toEqual([1, 1]);
    expect(first.key.equals(second.key)).toBe(true);
    expect(await dataKeyItems(tenant)).toHaveLength(1);
    const stored = await coldKeyring().version(tenant, 1);
    expect(stored.key.equals(first.key)).toBe(true);
  });

  it('is stored with its version on the tenant header and found there by the next process', async () => {
    const tenant = userTenant('first-key-pointer');
    const created = await coldKeyring().active(tenant);
    const { Item } = await valueDeps().ddb.send(
      new GetCommand({ TableName: stack.tableName, Key: itemKeys.tenantMeta(tenant) }),
    );
    expect(Item?.key_version).toBe(1);
    const [item] = await dataKeyItems(tenant);
    expect(item).toMatchObject({
      version: 1,
      status: 'active',
      GSI1PK: 'DATAKEYS#active',
      kms_key_id: expect.any(String),
    });
    expect((await coldKeyring().active(tenant)).key.equals(created.key)).toBe(true);
  });
});

describe('the cache of unwrapped keys', () => {
  /** Counts the KMS calls `run` makes. */
  async function kmsCalls(run: () => Promise<unknown>): Promise<number> {
    let calls = 0;
    observeKms(() => void calls++);
    await run();
    vi.restoreAllMocks();
    return calls;
  }

  it('holds a first key under its version too, so reading values written under it needs no KMS call', async () => {
    const tenant = userTenant('cached-first');
    const keyring = coldKeyring();
    expect(await kmsCalls(() => keyring.active(tenant))).toBe(1);
    expect(await kmsCalls(() => keyring.version(tenant, 1))).toBe(0);
  });

  it('keeps at most its bound of keys, dropping the oldest first', async () => {
    const [a, b, c] = ['bound-a', 'bound-b', 'bound-c'].map(userTenant);
    for (const tenant of [a, b, c]) await coldKeyring().active(tenant!);
    const keyring = createKeyring({ ...valueDeps(), maxCachedKeys: 2 });
    // One after the other, so the cache holds them in a known order: a, then b.
    expect(
      await kmsCalls(async () => {
        await keyring.version(a!, 1);
        await keyring.version(b!, 1);
      }),
    ).toBe(2);
    expect(await kmsCalls(() => keyring.version(a!, 1))).toBe(0);
    expect(await kmsCalls(() => keyring.version(c!, 1))).toBe(1);
    expect(await kmsCalls(() => keyring.version(b!, 1))).toBe(0);
    expect(await kmsCalls(() => keyring.version(a!, 1))).toBe(1);
  });

  it('caches nothing when the cache is off', async () => {
    const tenant = userTenant('uncached');
    await coldKeyring().active(tenant);
    const keyring = createKeyring({ ...valueDeps(), config: { ...valueDeps().config, dataKeyCacheMs: 0 } });
    expect(
      await kmsCalls(async () => {
        await keyring.version(tenant, 1);
        await keyring.version(tenant, 1);
      }),
    ).toBe(2);
  });

  it('says which version is missing when a value names a key that is not stored', async () => {
    const tenant = userTenant('missing-version');
    await coldKeyring().active(tenant);
    await expect(coldKeyring().version(tenant, 9)).rejects.toThrow('Data key version 9 is missing');
  });

  it('gives up after two tries when the first key can neither be stored nor found', async () => {
    const tenant = userTenant('never-stored');
    failDynamoDbCalls((command) =>
      command instanceof TransactWriteCommand
        ? new TransactionCanceledException({
            message: 'cancelled',
            $metadata: {},
            CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
          })
        : undefined,
    );
    let generated = 0;
    observeKms((command) => void (command instanceof GenerateDataKeyCommand && generated++));
    await expect(coldKeyring().active(tenant)).rejects.toThrow('Tenant data key could not be established');
    expect(generated).toBe(2);
  });
});

describe('a process whose cache predates a rotation', () => {
  /** Value dependencies whose keyring has cached the tenant's active key, as a warm container has. */
  async function warmDeps(tenant: string) {
    const keyring = coldKeyring();
    await keyring.active(tenant);
    return { ...valueDeps(), keyring };
  }

  it('writes user secrets under the new key, never the one rotation moved away from', async () => {
    const sub = 'stale-user';
    const tenant = userTenant(sub);
    const kept = await createUserSecret(valueDeps(), {
      requestId: 'req_test',
      sub,
      secret: { name: 'KEPT', provider: 'custom', value: 'kept-before' },
    });
    const [staleForUpdate, staleForCreate] = [await warmDeps(tenant), await warmDeps(tenant)];
    await rotate(tenant);

    const updated = await updateUserSecret(staleForUpdate, {
      requestId: 'req_test',
      sub,
      id: kept.metadata.id,
      value: 'kept-after',
      precondition: undefined,
    });
    const added = await createUserSecret(staleForCreate, {
      requestId: 'req_test',
      sub,
      secret: { name: 'ADDED', provider: 'custom', value: 'added-after' },
    });

    expect(updated.version).toBe(2);
    expect(await storedKeyVersion(itemKeys.userSecret(tenant, kept.metadata.id))).toBe(2);
    expect(await storedKeyVersion(itemKeys.userSecret(tenant, added.metadata.id))).toBe(2);
    expect(await injectUserSecrets(valueDeps(), { sub, requestId: 'req_test' })).toEqual({
      KEPT: 'kept-after',
      ADDED: 'added-after',
    });
  });

  it('writes environment secrets under the new key, never the one rotation moved away from', async () => {
    const sub = 'stale-owner';
    const { id } = await createEnvironment(storeDeps(), {
      requestId: 'req_test',
      sub,
      environment: { name: 'stale', description: '' },
    });
    const tenant = environmentTenant(id);
    await createSecret(valueDeps(), {
      requestId: 'req_test',
      sub,
      environmentId: id,
      secret: { key: 'KEPT', value: 'kept-before', description: '', neverReveal: false },
    });
    const [staleForUpdate, staleForCreate] = [await warmDeps(tenant), await warmDeps(tenant)];
    await rotate(tenant);

    const updated = await updateSecret(staleForUpdate, {
      requestId: 'req_test',
      sub,
      environmentId: id,
      key: 'KEPT',
      patch: { value: 'kept-after' },
      precondition: undefined,
    });
    await createSecret(staleForCreate, {
      requestId: 'req_test',
      sub,
      environmentId: id,
      secret: { key: 'ADDED', value: 'added-after', description: '', neverReveal: false },
    });

    expect(updated.version).toBe(2);
    expect(await storedKeyVersion(itemKeys.environmentSecret(tenant, 'KEPT'))).toBe(2);
    expect(await storedKeyVersion(itemKeys.environmentSecret(tenant, 'ADDED'))).toBe(2);
    expect(await injectSecrets(valueDeps(), { sub, environmentId: id, requestId: 'req_test' })).toEqual({
      KEPT: 'kept-after',
      ADDED: 'added-after',
    });
  });
});

describe('plaintext data keys from KMS', () => {
  it('are copied out of the SDK’s answer, which is wiped, on generate and on decrypt', async () => {
    const tenant = userTenant('wiped-keys');
    const answers: Uint8Array[] = [];
    observeKms((command, answer) => {
      if (command instanceof GenerateDataKeyCommand || command instanceof DecryptCommand)
        answers.push(answer.Plaintext);
    });
    const generated = await coldKeyring().active(tenant);
    const unwrapped = await coldKeyring().active(tenant);
    vi.restoreAllMocks();

    expect(answers).toHaveLength(2);
    for (const plaintext of answers) expect(plaintext.every((byte) => byte === 0)).toBe(true);
    expect(generated.key).toHaveLength(32);
    expect(generated.key.some((byte) => byte !== 0)).toBe(true);
    expect(unwrapped.key.equals(generated.key)).toBe(true);
  });

  it.each([
    ['a 128-bit key', new Uint8Array(16).fill(7)],
    ['a 264-bit key', new Uint8Array(33).fill(7)],
    ['no key', undefined],
  ])('are refused when KMS generates %s, and nothing is stored', async (_, plaintext) => {
    const tenant = userTenant(`short-generated-${plaintext?.length ?? 0}`);
    observeKms((command, answer) => {
      if (command instanceof GenerateDataKeyCommand) answer.Plaintext = plaintext;
    });
    await expect(coldKeyring().active(tenant)).rejects.toThrow('KMS returned no 256-bit data key');
    vi.restoreAllMocks();
    expect(await dataKeyItems(tenant)).toEqual([]);
  });

  it('are refused when KMS decrypts a stored key to anything but 256 bits', async () => {
    const tenant = userTenant('short-decrypted');
    await coldKeyring().active(tenant);
    observeKms((command, answer) => {
      if (command instanceof DecryptCommand) answer.Plaintext = new Uint8Array(31).fill(7);
    });
    await expect(coldKeyring().active(tenant)).rejects.toThrow('KMS returned no 256-bit data key');
  });

  it('are asked for with the tenant as encryption context, and a value sealed under one opens under the stored key', async () => {
    const sub = 'context-user';
    const tenant = userTenant(sub);
    const contexts: unknown[] = [];
    observeKms((command) => {
      if (command instanceof GenerateDataKeyCommand || command instanceof DecryptCommand)
        contexts.push(command.input.EncryptionContext);
    });
    const created = await createUserSecret(
      { ...valueDeps(), keyring: coldKeyring() },
      { requestId: 'req_test', sub, secret: { name: 'CTX', provider: 'custom', value: 'ctx-value' } },
    );
    const cold = coldKeyring();
    const { Item } = await valueDeps().ddb.send(
      new GetCommand({ TableName: stack.tableName, Key: itemKeys.userSecret(tenant, created.metadata.id) }),
    );
    const dataKey = await cold.version(tenant, Item!.kv);
    vi.restoreAllMocks();
    expect(contexts).toEqual([{ tenant }, { tenant }]);
    const binding = { tenant, recordId: created.metadata.id, name: 'CTX', valueVersion: 1, keyVersion: Item!.kv };
    expect(openValue(dataKey.key, Item!.ct, binding)).toBe('ctx-value');
  });
});
