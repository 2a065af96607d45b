import type { ValueDeps } from '../app/deps.js';
import { auditChange } from '../audit/audit.js';
import { timestampOf } from '../clock.js';
import { quotaOrStaleKey, withinQuota } from '../quota/quota.js';
import * as environmentSecretItem from '../store/items/environment-secret.js';
import { trashedEnvironmentSecretItem } from '../store/items/environment-secret.js';
import * as secretVersionItem from '../store/items/secret-version.js';
import * as tenantHeaderItem from '../store/items/tenant-header.js';
import { environmentTenant } from '../store/keys.js';
import { type CommitHook, retryConditionalWrite } from '../store/transactions.js';
import { epochSeconds, transactWithVersions, trashWindow } from '../versions/history.js';
import { openSlot } from '../versions/sealing.js';
import { secretExists, secretInTrash, secretNotFound } from './errors.js';
import { authorizeMember } from './members.js';
import { type SecretMetadata, toSecretMetadata } from './schemas.js';
import type { CopySecretBody } from './secret-requests.js';
import { type ChangeInEnvironment, newSecretRecord, sealUnder } from './secrets.js';

/** Where a copy landed: its environment and the new secret's metadata there. */
export interface CopiedSecret {
  environmentId: string;
  secret: SecretMetadata;
}

/**
 * Copies a secret's current value to another environment (or another key of this one) without
 * it leaving the service: opened under the source's data key and sealed under the target's, in
 * one transaction with the target's quota and key checks. The caller must be owner or editor
 * in both; the target key must be free, in the trash too; neverReveal carries over. `move`
 * trashes the source in the same transaction. The copy starts its own history at version 1.
 */
export async function copySecret(
  deps: ValueDeps,
  {
    sub,
    requestId,
    environmentId,
    key,
    to,
    commit,
  }: ChangeInEnvironment & { key: string; to: CopySecretBody; commit?: CommitHook<CopiedSecret> },
): Promise<CopiedSecret> {
  const toKey = to.toKey ?? key;
  const sameEnvironment = to.toEnvironmentId === environmentId;
  // Both are read at once; the source's refusal is answered first, so the answer does not depend on timing.
  const checks = await Promise.allSettled([
    authorizeMember(deps, { sub, environmentId, permission: 'writeSecrets' }),
    authorizeMember(deps, { sub, environmentId: to.toEnvironmentId, permission: 'writeSecrets' }),
  ]);
  for (const check of checks) if (check.status === 'rejected') throw check.reason;
  if (sameEnvironment && toKey === key) throw secretExists(toKey);
  const source = environmentTenant(environmentId);
  const target = environmentTenant(to.toEnvironmentId);
  let usage = withinQuota(deps, { secrets: 1, bytes: 0 });
  return retryConditionalWrite<CopiedSecret, CopyItems>(
    async () => {
      const current = await environmentSecretItem.getWithValue(deps, source, key);
      if (!current) throw secretNotFound(key);
      const value = await openSlot(deps, source, {
        recordId: key,
        name: key,
        valueVersion: current.value_version,
        sealed: current,
      });
      const now = deps.clock.now();
      const input = { key: toKey, value, description: current.description, neverReveal: current.never_reveal };
      const record = newSecretRecord(sub, input, timestampOf(now));
      const sealed = sealUnder(await deps.keyring.active(target), { key: toKey, valueVersion: 1 }, value);
      const bytes = record.value_bytes ?? 0;
      // A move within one environment changes neither its count nor its bytes; its header is one item.
      const movesWithin = to.move && sameEnvironment;
      usage = withinQuota(deps, {
        secrets: movesWithin ? 0 : 1,
        bytes: movesWithin ? bytes - (current.value_bytes ?? 0) : bytes,
      });
      const window = trashWindow(deps.config, now);
      const result = { environmentId: to.toEnvironmentId, secret: toSecretMetadata(record) };
      await transactWithVersions<CopyItems>(
        deps,
        {
          copy: environmentSecretItem.putNew(deps, environmentSecretItem.build(target, record, sealed)),
          copyTrashed: trashedEnvironmentSecretItem.absent(deps, target, toKey, epochSeconds(deps.clock)),
          copyHeader: tenantHeaderItem.changeUsage(deps, target, { ...usage, sealedUnder: sealed.kv }),
          copyAudit: auditChange(deps, target, { action: 'copy', actor: sub, requestId, keys: [toKey], version: 1 }),
          source: to.move ? environmentSecretItem.deleteIfVersion(deps, source, key, current.version) : undefined,
          trash: to.move
            ? trashedEnvironmentSecretItem.put(deps, source, key, { ...current, ...window, deleted_by: sub })
            : undefined,
          sourceHeader:
            to.move && !sameEnvironment
              ? tenantHeaderItem.changeUsage(deps, source, { secrets: -1, bytes: -(current.value_bytes ?? 0) })
              : undefined,
          sourceAudit: auditChange(deps, source, {
            action: to.move ? 'delete' : 'copy',
            actor: sub,
            requestId,
            keys: [key],
            version: current.version,
          }),
          idempotency: commit?.(result),
        },
        to.move
          ? current.history.map(({ slot }) => secretVersionItem.expireAt(deps, source, key, slot, window.expires_at))
          : [],
        'after',
      );
      return result;
    },
    (failed) =>
      quotaOrStaleKey<CopyItems>(deps, target, usage, 'copyHeader', (other) => {
        if (other.includes('copyTrashed')) return secretInTrash(to.toEnvironmentId, toKey);
        if (other.includes('copy')) return secretExists(toKey);
        return undefined;
      })(failed),
  );
}
type CopyItems =
  | 'copy'
  | 'copyTrashed'
  | 'copyHeader'
  | 'copyAudit'
  | 'source'
  | 'trash'
  | 'sourceHeader'
  | 'idempotency'
  | 'sourceAudit';
