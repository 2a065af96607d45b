import type { ValueDeps } from '../app/deps.js';
import { auditChange } from '../audit/audit.js';
import { timestampOf } from '../clock.js';
import { sealValue } from '../crypto/envelope.js';
import { staleKeyRetry } from '../crypto/keyring.js';
import { checkPrecondition, type Precondition } from '../precondition.js';
import * as secretVersionItem from '../store/items/secret-version.js';
import * as tenantHeaderItem from '../store/items/tenant-header.js';
import * as trashedNameItem from '../store/items/trashed-name.js';
import * as userSecretItem from '../store/items/user-secret.js';
import * as userSecretNameItem from '../store/items/user-secret-name.js';
import { userTenant } from '../store/keys.js';
import { type CommitHook, retryConditionalWrite } from '../store/transactions.js';
import { epochSeconds, slotOf, transactWithVersions } from '../versions/history.js';
import { openSlot } from '../versions/sealing.js';
import { toMetadata } from './user-secret-schemas.js';
import { nameInTrash, nameTaken, secretNotFound, type VersionedMetadata, type Writer } from './user-secrets.js';

/**
 * Renames a secret under the rules of a create (name rules, unique per user, not held by the
 * trash). Its value and every kept version are sealed anew for the new name in the same
 * transaction, so none of them opens under the old one; no value leaves the service.
 */
export async function renameUserSecret(
  deps: ValueDeps,
  {
    sub,
    requestId,
    id,
    name,
    precondition,
    commit,
  }: Writer & { id: string; name: string; precondition: Precondition; commit?: CommitHook<VersionedMetadata> },
): Promise<VersionedMetadata> {
  const tenant = userTenant(sub);
  const taken = async (failed: RenameItems[]) => {
    if (failed.includes('trashed')) return nameInTrash(deps, tenant, name);
    if (failed.includes('newName')) return nameTaken(name);
    return undefined;
  };
  return retryConditionalWrite<VersionedMetadata, RenameItems>(
    async () => {
      const current = await userSecretItem.getWithValue(deps, tenant, id);
      if (!current) throw secretNotFound();
      checkPrecondition(precondition, current.version);
      if (current.name === name) return { metadata: toMetadata(current), version: current.version };
      const dataKey = await deps.keyring.active(tenant);
      const rebind = async (slot: { name: string; valueVersion: number; sealed: { kv: number; ct: Uint8Array } }) => {
        const value = await openSlot(deps, tenant, { recordId: id, ...slot });
        const binding = { tenant, recordId: id, name, valueVersion: slot.valueVersion, keyVersion: dataKey.version };
        return { kv: dataKey.version, ct: sealValue(dataKey.key, value, binding) };
      };
      const sealed = await rebind({ name: current.name, valueVersion: current.value_version, sealed: current });
      const slots = current.history.map((kept) => kept.slot);
      const versions = await secretVersionItem.values(deps, tenant, id, slots);
      const rebound = await Promise.all(
        versions.map(async (version) => ({
          slot: slotOf(current, version.value_version)!,
          version: {
            ...version,
            name,
            ...(await rebind({ name: version.name, valueVersion: version.value_version, sealed: version })),
          },
        })),
      );
      const updated_at = timestampOf(deps.clock.now());
      const result = { metadata: { ...toMetadata(current), name, updated_at }, version: current.version + 1 };
      await transactWithVersions<RenameItems>(
        deps,
        {
          secret: userSecretItem.rename(deps, tenant, { id, readVersion: current.version, name, sealed, updated_at }),
          oldName: userSecretNameItem.deleteIfOwnedBy(deps, tenant, current.name, id),
          newName: userSecretNameItem.putNew(deps, userSecretNameItem.build(tenant, result.metadata)),
          trashed: trashedNameItem.free(deps, tenant, name, epochSeconds(deps.clock)),
          header: tenantHeaderItem.changeUsage(deps, tenant, { secrets: 0, bytes: 0, sealedUnder: dataKey.version }),
          audit: auditChange(deps, tenant, {
            action: 'rename',
            actor: sub,
            requestId,
            keys: [current.name, name],
            secretId: id,
            version: result.version,
          }),
          idempotency: commit?.(result),
        },
        // Any beyond one transaction are re-bound right after; until then they open under the old name.
        rebound.map(({ slot, version }) => secretVersionItem.rebind(deps, tenant, { recordId: id, slot }, version)),
        'after',
      );
      return result;
    },
    staleKeyRetry<RenameItems>(deps.keyring, tenant, 'header', taken),
  );
}
type RenameItems = 'secret' | 'oldName' | 'newName' | 'trashed' | 'header' | 'audit' | 'idempotency';
