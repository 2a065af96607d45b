import type { StoreDeps, ValueDeps } from '../app/deps.js';
import { auditChange } from '../audit/audit.js';
import { timestampOf } from '../clock.js';
import { sealValue } from '../crypto/envelope.js';
import type { DataKey } from '../crypto/keyring.js';
import { checkPrecondition, type Precondition } from '../precondition.js';
import { quotaOrStaleKey, valueBytes, withinQuota } from '../quota/quota.js';
import { MASK, maskValue } from '../secrets/masking.js';
import * as environmentSecretItem from '../store/items/environment-secret.js';
import { type EnvironmentSecretRecord, trashedEnvironmentSecretItem } from '../store/items/environment-secret.js';
import * as secretVersionItem from '../store/items/secret-version.js';
import * as tenantHeaderItem from '../store/items/tenant-header.js';
import type { SealedValue } from '../store/items/value-item.js';
import { environmentTenant } from '../store/keys.js';
import type { PageQuery } from '../store/page-query.js';
import { type CommitHook, retryConditionalWrite, transactWrite } from '../store/transactions.js';
import { epochSeconds, supersede } from '../versions/history.js';
import { openKeptVersion } from '../versions/sealing.js';
import { neverRevealIsOneWay, secretExists, secretInTrash, secretNotFound, versionNotFound } from './errors.js';
import { authorizeMember } from './members.js';
import { type SecretMetadata, toSecretMetadata } from './schemas.js';
import type { CreateSecretBody, UpdateSecretBody } from './secret-requests.js';

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
  const taken = (failed: CreateItems[]) =>
    failed.includes('trashed') ? secretInTrash(environmentId, secret.key) : secretExists(secret.key);
  // A failed check on the header means the quota is reached, or the cached data key was
  // rotated away: then reseal and retry.
  await retryConditionalWrite(
    async () => {
      const sealed = sealUnder(await deps.keyring.active(tenant), { key: secret.key, valueVersion: 1 }, secret.value);
      await transactWrite<CreateItems>(deps.ddb, {
        secret: environmentSecretItem.putNew(deps, environmentSecretItem.build(tenant, record, sealed)),
        trashed: trashedEnvironmentSecretItem.absent(deps, tenant, secret.key, epochSeconds(deps.clock)),
        header: tenantHeaderItem.changeUsage(deps, tenant, { ...usage, sealedUnder: sealed.kv }),
        audit: auditChange(deps, tenant, { action: 'create', actor: sub, requestId, keys: [secret.key], version: 1 }),
        idempotency: commit?.(result),
      });
    },
    quotaOrStaleKey<CreateItems>(deps, tenant, usage, 'header', taken),
  );
  return result;
}
type CreateItems = 'secret' | 'trashed' | 'header' | 'audit' | 'idempotency';

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
  input: ChangeInEnvironment & {
    key: string;
    patch: UpdateSecretBody;
    precondition: Precondition;
    commit?: CommitHook<SecretMetadata>;
  },
): Promise<SecretMetadata> {
  await authorizeMember(deps, { sub: input.sub, environmentId: input.environmentId, permission: 'writeSecrets' });
  return writeSecret(deps, input);
}

/**
 * The one write of a secret's record. A new value (from the patch, or a kept version's for a
 * rollback) supersedes the current one, which becomes a value version; the oldest versions
 * beyond MAX_VERSIONS go in the same transaction. A description- or neverReveal-only change
 * bumps the version and keeps no value. The version condition keeps one linear history.
 */
export async function writeSecret(
  deps: ValueDeps,
  {
    sub,
    requestId,
    environmentId,
    key,
    patch,
    rollbackTo,
    precondition,
    commit,
  }: ChangeInEnvironment & {
    key: string;
    patch: UpdateSecretBody;
    rollbackTo?: number;
    precondition: Precondition;
    commit?: CommitHook<SecretMetadata>;
  },
): Promise<SecretMetadata> {
  const tenant = environmentTenant(environmentId);
  // What the value's size changes depends on the record read; the failure answer needs it too.
  let usage = withinQuota(deps, { secrets: 0, bytes: patch.value === undefined ? 0 : valueBytes(patch.value) });
  // Someone else may write in between, or the data key may rotate: then the write re-runs,
  // judging If-Match on the new version and sealing under the active key.
  return retryConditionalWrite<SecretMetadata, WriteItems>(
    async () => {
      const current = await environmentSecretItem.getWithValue(deps, tenant, key);
      if (!current) throw secretNotFound(key);
      if (current.never_reveal && patch.neverReveal === false) throw neverRevealIsOneWay();
      checkPrecondition(precondition, current.version);
      const value = rollbackTo === undefined ? patch.value : await keptValue(deps, tenant, current, rollbackTo);
      const neverReveal = current.never_reveal || patch.neverReveal === true;
      const version = current.version + 1;
      const now = timestampOf(deps.clock.now());
      const bytes = value === undefined ? 0 : valueBytes(value);
      const versions = value === undefined ? undefined : supersede(current, deps.config.maxVersions);
      const next: EnvironmentSecretRecord = {
        ...environmentSecretRecord(current),
        description: patch.description ?? current.description,
        never_reveal: neverReveal,
        masked_value:
          value === undefined ? (neverReveal ? MASK : current.masked_value) : displayMask(value, neverReveal),
        version,
        updated_at: now,
        updated_by: sub,
        ...(value === undefined || !versions
          ? {}
          : { value_bytes: bytes, value_version: version, value_at: now, value_by: sub, history: versions.history }),
      };
      usage = withinQuota(deps, { secrets: 0, bytes: value === undefined ? 0 : bytes - (current.value_bytes ?? 0) });
      const sealed =
        value === undefined
          ? undefined
          : sealUnder(await deps.keyring.active(tenant), { key, valueVersion: version }, value);
      const result = toSecretMetadata(next);
      await transactWrite<WriteItems>(deps.ddb, {
        secret: environmentSecretItem.updateIfVersion(deps, tenant, next, sealed, current.version),
        previous: versions?.superseded
          ? secretVersionItem.putSuperseded(
              deps,
              tenant,
              { recordId: current.key, name: current.key, slot: versions.superseded.slot },
              current,
            )
          : undefined,
        ...Object.fromEntries(
          (versions?.pruned ?? []).map((n) => [`pruned:${n}`, secretVersionItem.delete(deps, tenant, key, n)] as const),
        ),
        header: sealed && tenantHeaderItem.changeUsage(deps, tenant, { ...usage, sealedUnder: sealed.kv }),
        audit: auditChange(deps, tenant, {
          action: rollbackTo === undefined ? 'update' : 'rollback',
          actor: sub,
          requestId,
          keys: [key],
          version,
        }),
        idempotency: commit?.(result),
      });
      return result;
    },
    (failed) => quotaOrStaleKey<WriteItems>(deps, tenant, usage, 'header')(failed),
  );
}
type WriteItems = 'secret' | 'previous' | `pruned:${number}` | 'header' | 'audit' | 'idempotency';

/** The value of a version the secret keeps (its current one included). */
export function keptValue(
  deps: ValueDeps,
  tenant: string,
  current: EnvironmentSecretRecord & SealedValue,
  valueVersion: number,
): Promise<string> {
  const { key } = current;
  return openKeptVersion(
    deps,
    tenant,
    { recordId: key, name: key, lineage: current, sealed: current },
    valueVersion,
    () => versionNotFound(key, valueVersion),
  );
}

/** The record part of an item read with its value. */
function environmentSecretRecord({ kv: _kv, ct: _ct, ...record }: EnvironmentSecretRecord & SealedValue) {
  return record;
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
    value_version: 1,
    value_at: now,
    value_by: sub,
    history: [],
  };
}

async function readSecret(deps: StoreDeps, tenant: string, key: string): Promise<EnvironmentSecretRecord> {
  const record = await environmentSecretItem.get(deps, tenant, key);
  if (!record) throw secretNotFound(key);
  return record;
}

/** Seals `value` under `dataKey` for its slot: the secret's key (record id and name) and value version. */
export function sealUnder(
  dataKey: DataKey,
  { key, valueVersion }: { key: string; valueVersion: number },
  value: string,
): SealedValue {
  return {
    kv: dataKey.version,
    ct: sealValue(dataKey.key, value, {
      tenant: dataKey.tenant,
      recordId: key,
      name: key,
      valueVersion,
      keyVersion: dataKey.version,
    }),
  };
}

function displayMask(value: string, neverReveal: boolean): string {
  return neverReveal ? MASK : maskValue(value);
}
