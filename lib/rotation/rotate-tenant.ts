import { DescribeKeyCommand, type KMSClient, ReEncryptCommand } from '@aws-sdk/client-kms';
import type { ValueDeps } from '../app/deps.js';
import { openValue, sealValue } from '../crypto/envelope.js';
import { type DataKey, generateDataKey } from '../crypto/keyring.js';
import { dataKeyContext } from '../crypto/kms.js';
import * as dataKeyItem from '../store/items/data-key.js';
import * as tenantHeaderItem from '../store/items/tenant-header.js';
import type { ValueItem } from '../store/items/value-item.js';
import * as valueItem from '../store/items/value-item.js';
import { TransactionConditionFailed, transactWrite } from '../store/transactions.js';
import type { EventPublisher, RotationEvent } from './events.js';

/**
 * Rotation of one tenant's data key, in three persisted phases so any crash can be resumed:
 *   1. start:  new key version stored and made active, old one marked `retiring` (one transaction);
 *   2. sweep:  every sealed value not yet under the new version (current values, kept versions,
 *              the trash) is re-encrypted with a conditional write on the exact ciphertext it
 *              read, so a concurrent write, move or delete is never overwritten;
 *   3. finish: once a sweep finds nothing left, the old version is marked `retired`.
 * Writes check the tenant's active version at commit (see ACTIVE_KEY_CONDITION), so no value
 * lands under the old version after phase 1. Retired keys stay unwrappable for reads.
 */
export interface RotationDeps extends ValueDeps {
  kms: KMSClient;
  events: EventPublisher;
}

export type RotationProgress = (progress: { tenant: string; done: number; total: number }) => void;

export interface TenantRotation {
  tenant: string;
  outcome: 'rotated' | 'already-rotated' | 'no-key';
  fromVersion?: number;
  toVersion?: number;
  reencrypted: number;
  secrets: number;
}

const SWEEP_CONCURRENCY = 8;
const MAX_SWEEPS = 3;

export async function rotateTenantKey(
  deps: RotationDeps,
  tenant: string,
  options: { rotationId: string; onProgress?: RotationProgress },
): Promise<TenantRotation> {
  const meta = await tenantHeaderItem.rotationState(deps, tenant);
  if (!meta.key_version) return { tenant, outcome: 'no-key', reencrypted: 0, secrets: 0 };
  if (!meta.rotating_from && meta.rotation_id === options.rotationId) {
    // A redelivered event: this rotation already finished.
    return { tenant, outcome: 'already-rotated', toVersion: meta.key_version, reencrypted: 0, secrets: 0 };
  }
  const plan = meta.rotating_from
    ? { from: meta.rotating_from, to: meta.key_version, newKey: undefined }
    : await startRotation(deps, tenant, meta.key_version, options.rotationId);
  const newKey = plan.newKey ?? (await deps.keyring.version(tenant, plan.to));
  deps.keyring.invalidate(tenant);

  let reencrypted = 0;
  let secrets = 0;
  for (let sweep = 1; ; sweep++) {
    const result = await sweepValues(deps, tenant, newKey, options.onProgress);
    reencrypted += result.reencrypted;
    secrets = result.secrets;
    if (result.stale === 0) break;
    if (sweep >= MAX_SWEEPS)
      throw new Error(`Rotation of ${tenant} left ${result.stale} values under old keys; rerun to resume`);
  }
  await finishRotation(deps, tenant, plan.from);
  await deps.events.publish([
    { type: 'TenantKeyRotated', detail: { tenant, fromVersion: plan.from, toVersion: plan.to, reencrypted, secrets } },
  ]);
  return { tenant, outcome: 'rotated', fromVersion: plan.from, toVersion: plan.to, reencrypted, secrets };
}

async function startRotation(deps: RotationDeps, tenant: string, from: number, rotationId: string) {
  const to = from + 1;
  const generated = await generateDataKey(deps, tenant, to);
  try {
    await transactWrite(deps.ddb, {
      newKey: dataKeyItem.putNew(deps, generated.item),
      oldKey: dataKeyItem.markRetiring(deps, tenant, from),
      header: tenantHeaderItem.startRotation(deps, tenant, { from, to, rotationId }),
    });
    return { from, to, newKey: generated.dataKey as DataKey | undefined };
  } catch (error) {
    if (!(error instanceof TransactionConditionFailed)) throw error;
    // Another run started this tenant's rotation first: join it.
    const meta = await tenantHeaderItem.rotationState(deps, tenant);
    if (!meta.rotating_from || !meta.key_version)
      throw new Error(`Rotation of ${tenant} raced and could not be joined`);
    return { from: meta.rotating_from, to: meta.key_version, newKey: undefined };
  }
}

/** One pass over the tenant's values; `stale` counts values that were still under an old key. */
async function sweepValues(deps: RotationDeps, tenant: string, newKey: DataKey, onProgress?: RotationProgress) {
  const items = await valueItem.all(deps, tenant);

  const stale = items.filter((item) => item.kv !== newKey.version);
  let done = 0;
  const rotated: RotationEvent[] = [];
  onProgress?.({ tenant, done, total: stale.length });
  let next = 0;
  let failure: { error: unknown } | undefined;
  // Workers stop at the first failure and all settle before the sweep answers, so nothing
  // keeps writing in the background of a failed run.
  const worker = async () => {
    while (!failure && next < stale.length) {
      const item = stale[next++]!;
      try {
        if (await reencryptValue(deps, tenant, newKey, item)) {
          rotated.push({
            type: 'SecretRotated',
            detail: { tenant, recordId: valueItem.slot(item).recordId, keyVersion: newKey.version },
          });
        }
      } catch (error) {
        failure ??= { error };
      }
      onProgress?.({ tenant, done: ++done, total: stale.length });
    }
  };
  await Promise.all(Array.from({ length: SWEEP_CONCURRENCY }, worker));
  // Announce what was written even when the sweep failed part-way; a rerun skips those values.
  await deps.events.publish(rotated);
  if (failure) throw failure.error;
  return { secrets: items.length, stale: stale.length, reencrypted: rotated.length };
}

/** Re-encrypts one value unless someone else changed it first; returns whether it wrote. */
async function reencryptValue(deps: RotationDeps, tenant: string, newKey: DataKey, read: ValueItem): Promise<boolean> {
  let item: ValueItem | undefined = read;
  while (item && item.kv !== newKey.version) {
    const slot = valueItem.slot(item);
    const oldKey = await deps.keyring.version(tenant, item.kv);
    const value = openValue(oldKey.key, item.ct, { tenant, ...slot, keyVersion: item.kv });
    const ct = sealValue(newKey.key, value, { tenant, ...slot, keyVersion: newKey.version });
    if (await valueItem.reseal(deps, tenant, item, { kv: newKey.version, ct })) return true;
    // A concurrent write or delete won; look again at what is there now.
    item = await valueItem.get(deps, tenant, item.SK);
  }
  return false;
}

async function finishRotation(deps: RotationDeps, tenant: string, from: number): Promise<void> {
  try {
    await transactWrite(deps.ddb, {
      oldKey: dataKeyItem.markRetired(deps, tenant, from, deps.clock.now().toISOString()),
      header: tenantHeaderItem.finishRotation(deps, tenant, from),
    });
  } catch (error) {
    // A concurrent run finished it already.
    if (!(error instanceof TransactionConditionFailed)) throw error;
  }
}

/** The ARN new data keys are wrapped under, from the configured key id or alias. */
export async function currentKmsKeyArn({ kms, config }: Pick<RotationDeps, 'kms' | 'config'>): Promise<string> {
  const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: config.kmsKeyId }));
  if (!KeyMetadata?.Arn) throw new Error('The configured KMS key has no ARN');
  return KeyMetadata.Arn;
}

/**
 * After a change of KMS key: re-wraps every data key of the tenant still under another KMS key
 * with ReEncrypt, so plaintext keys never leave KMS and no value is touched.
 */
export async function rewrapTenantDataKeys(deps: RotationDeps, tenant: string, targetKeyArn: string): Promise<number> {
  let rewrapped = 0;
  for (const record of await dataKeyItem.all(deps, tenant)) {
    if (record.kms_key_id === targetKeyArn) continue;
    const context = dataKeyContext(tenant);
    const result = await deps.kms.send(
      new ReEncryptCommand({
        CiphertextBlob: record.wrapped_key,
        SourceKeyId: record.kms_key_id,
        SourceEncryptionContext: context,
        DestinationKeyId: targetKeyArn,
        DestinationEncryptionContext: context,
      }),
    );
    const stored = await dataKeyItem.rewrap(deps, tenant, record, {
      wrapped_key: result.CiphertextBlob,
      kms_key_id: result.KeyId,
    });
    if (stored) rewrapped++;
  }
  if (rewrapped > 0)
    await deps.events.publish([{ type: 'DataKeysRewrapped', detail: { tenant, rewrapped, kmsKeyId: targetKeyArn } }]);
  return rewrapped;
}
