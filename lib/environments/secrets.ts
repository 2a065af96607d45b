import type { StoreDeps, ValueDeps } from '../app/deps.js';
import { auditChange } from '../audit/audit.js';
import { timestampOf } from '../clock.js';
import { sealValue } from '../crypto/envelope.js';
import type { DataKey } from '../crypto/keyring.js';
import { checkPrecondition, type Precondition } from '../precondition.js';
import { quotaOrStaleKey, valueBytes, withinQuota } from '../quota/quota.js';
import { MASK, maskValue } from '../secrets/masking.js';
import type { PageQuery } from '../store/cursor.js';
import { type EnvironmentSecretRecord, environmentSecretItem } from '../store/items/environment-secret.js';
import { tenantHeaderItem } from '../store/items/tenant-header.js';
import type { SealedValue } from '../store/items/value-item.js';
import { environmentTenant } from '../store/keys.js';
import { type CommitHook, retryConditionalWrite, transactWrite } from '../store/transactions.js';
import { neverRevealIsOneWay, secretExists, secretNotFound } from './errors.js';
import { authorizeMember } from './members.js';
import { type CreateSecretBody, type SecretMetadata, toSecretMetadata, type UpdateSecretBody } from './schemas.js';

/**
 * Secrets of an environment: metadata operations and value writes. A value is sealed under the
 * environment's own data key with its key as AAD record id, so it cannot be moved to another
 * key or environment. Plaintext reads (reveal, inject) live in values.ts.
 */

/** Who asks about which environment: every operation here starts with it. */
export interface InEnvironment {
  sub: string;
  environmentId: string;
}

/** A change in an environment, and the request it comes from (its audit event names both). */
export interface ChangeInEnvironment extends InEnvironment {
  requestId: string;
}

export async function createSecret(
  deps: ValueDeps,
  {
    sub,
    requestId,
    environmentId,
    secret,
    commit,
  }: ChangeInEnvironment & { secret: CreateSecretBody; commit?: CommitHook<SecretMetadata> },
): Promise<SecretMetadata> {
  await authorizeMember(deps, { sub, environmentId, permission: 'writeSecrets' });
  const tenant = environmentTenant(environmentId);
  const record = newSecretRecord(sub, secret, timestampOf(deps.clock.now()));
  const result = toSecretMetadata(record);
  const usage = withinQuota(deps, { secrets: 1, bytes: record.value_bytes ?? 0 });
  // A failed check on the header means the quota is reached, or the cached data key was
  // rotated away: then reseal and retry.
  await retryConditionalWrite(
    async () => {
      const sealed = sealUnder(await deps.keyring.active(tenant), secret.key, secret.value);
      await transactWrite<CreateItems>(deps.ddb, {
        secret: environmentSecretItem.putNew(deps, environmentSecretItem.build(tenant, record, sealed)),
        header: tenantHeaderItem.changeUsage(deps, tenant, { ...usage, sealedUnder: sealed.kv }),
        audit: auditChange(deps, tenant, { action: 'create', actor: sub, requestId, keys: [secret.key], version: 1 }),
        idempotency: commit?.(result),
      });
    },
    quotaOrStaleKey<CreateItems>(deps, tenant, usage, 'header', () => secretExists(secret.key)),
  );
  return result;
}
type CreateItems = 'secret' | 'header' | 'audit' | 'idempotency';

/** One page of secret metadata in key order, with the exact `total` kept on META. */
export async function listSecrets(
  deps: StoreDeps,
  { sub, environmentId, page }: InEnvironment & { page: PageQuery },
): Promise<{ secrets: SecretMetadata[]; total: number; nextCursor: string | null }> {
  await authorizeMember(deps, { sub, environmentId, permission: 'readSecrets' });
  const result = await environmentSecretItem.page(deps, environmentTenant(environmentId), page);
  return { secrets: result.items.map(toSecretMetadata), total: result.total, nextCursor: result.nextCursor };
}

export async function getSecret(
  deps: StoreDeps,
  { sub, environmentId, key }: InEnvironment & { key: string },
): Promise<SecretMetadata> {
  await authorizeMember(deps, { sub, environmentId, permission: 'readSecrets' });
  return toSecretMetadata(await readSecret(deps, environmentTenant(environmentId), key));
}

/**
 * Changes any of value, description and neverReveal, bumping the version. neverReveal only
 * ever turns on; turning it on masks the displayed value fully.
 */
export async function updateSecret(
  deps: ValueDeps,
  {
    sub,
    requestId,
    environmentId,
    key,
    patch,
    precondition,
    commit,
  }: ChangeInEnvironment & {
    key: string;
    patch: UpdateSecretBody;
    precondition: Precondition;
    commit?: CommitHook<SecretMetadata>;
  },
): Promise<SecretMetadata> {
  await authorizeMember(deps, { sub, environmentId, permission: 'writeSecrets' });
  const tenant = environmentTenant(environmentId);
  const bytes = patch.value === undefined ? 0 : valueBytes(patch.value);
  // What the value's size changes depends on the record read; the failure answer needs it too.
  let usage = withinQuota(deps, { secrets: 0, bytes });
  // Someone else may write in between, or the data key may rotate: then the write re-runs,
  // judging If-Match on the new version and sealing under the active key.
  return retryConditionalWrite<SecretMetadata, UpdateItems>(
    async () => {
      const current = await readSecret(deps, tenant, key);
      if (current.never_reveal && patch.neverReveal === false) throw neverRevealIsOneWay();
      checkPrecondition(precondition, current.version);
      const neverReveal = current.never_reveal || patch.neverReveal === true;
      const next: EnvironmentSecretRecord = {
        ...current,
        description: patch.description ?? current.description,
        never_reveal: neverReveal,
        masked_value:
          patch.value === undefined
            ? neverReveal
              ? MASK
              : current.masked_value
            : displayMask(patch.value, neverReveal),
        version: current.version + 1,
        updated_at: timestampOf(deps.clock.now()),
        updated_by: sub,
        ...(patch.value === undefined ? {} : { value_bytes: bytes }),
      };
      usage = { ...usage, bytes: patch.value === undefined ? 0 : bytes - (current.value_bytes ?? 0) };
      const sealed =
        patch.value === undefined ? undefined : sealUnder(await deps.keyring.active(tenant), key, patch.value);
      const result = toSecretMetadata(next);
      await transactWrite<UpdateItems>(deps.ddb, {
        secret: environmentSecretItem.updateIfVersion(deps, tenant, next, sealed, current.version),
        header: sealed && tenantHeaderItem.changeUsage(deps, tenant, { ...usage, sealedUnder: sealed.kv }),
        audit: auditChange(deps, tenant, {
          action: 'update',
          actor: sub,
          requestId,
          keys: [key],
          version: next.version,
        }),
        idempotency: commit?.(result),
      });
      return result;
    },
    (failed) => quotaOrStaleKey<UpdateItems>(deps, tenant, usage, 'header')(failed),
  );
}
type UpdateItems = 'secret' | 'header' | 'audit' | 'idempotency';

export async function deleteSecret(
  deps: StoreDeps,
  {
    sub,
    requestId,
    environmentId,
    key,
    precondition,
    commit,
  }: ChangeInEnvironment & { key: string; precondition: Precondition; commit?: CommitHook<void> },
): Promise<void> {
  await authorizeMember(deps, { sub, environmentId, permission: 'writeSecrets' });
  const tenant = environmentTenant(environmentId);
  await retryConditionalWrite(async () => {
    const current = await readSecret(deps, tenant, key);
    checkPrecondition(precondition, current.version);
    await transactWrite(deps.ddb, {
      secret: environmentSecretItem.deleteIfVersion(deps, tenant, key, current.version),
      header: tenantHeaderItem.changeUsage(deps, tenant, { secrets: -1, bytes: -(current.value_bytes ?? 0) }),
      audit: auditChange(deps, tenant, {
        action: 'delete',
        actor: sub,
        requestId,
        keys: [key],
        version: current.version,
      }),
      idempotency: commit?.(),
    });
  });
}

/** The metadata of a secret as first written, by `sub` at `now`. */
export function newSecretRecord(sub: string, input: CreateSecretBody, now: string): EnvironmentSecretRecord {
  return {
    key: input.key,
    description: input.description,
    never_reveal: input.neverReveal,
    masked_value: displayMask(input.value, input.neverReveal),
    value_bytes: valueBytes(input.value),
    version: 1,
    created_at: now,
    updated_at: now,
    updated_by: sub,
  };
}

async function readSecret(deps: StoreDeps, tenant: string, key: string): Promise<EnvironmentSecretRecord> {
  const record = await environmentSecretItem.get(deps, tenant, key);
  if (!record) throw secretNotFound(key);
  return record;
}

/** Seals `value` under `dataKey` with the secret's key as AAD record id. */
export function sealUnder(dataKey: DataKey, key: string, value: string): SealedValue {
  return {
    kv: dataKey.version,
    ct: sealValue(dataKey.key, value, { tenant: dataKey.tenant, recordId: key, keyVersion: dataKey.version }),
  };
}

function displayMask(value: string, neverReveal: boolean): string {
  return neverReveal ? MASK : maskValue(value);
}
