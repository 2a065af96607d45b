import type { StoreDeps, ValueDeps } from '../app/deps.js';
import { auditChange } from '../audit/audit.js';
import { timestampOf } from '../clock.js';
import { checkPrecondition, type Precondition } from '../precondition.js';
import { quotaOrStaleKey, withinQuota } from '../quota/quota.js';
import * as secretVersionItem from '../store/items/secret-version.js';
import * as tenantHeaderItem from '../store/items/tenant-header.js';
import * as trashedNameItem from '../store/items/trashed-name.js';
import * as userSecretItem from '../store/items/user-secret.js';
import { trashedUserSecretItem } from '../store/items/user-secret.js';
import * as userSecretNameItem from '../store/items/user-secret-name.js';
import { userTenant } from '../store/keys.js';
import type { PageQuery } from '../store/page-query.js';
import { type CommitHook, retryConditionalWrite } from '../store/transactions.js';
import { epochSeconds, transactWithVersions, trashWindow } from '../versions/history.js';
import { rebindToActiveKey } from '../versions/sealing.js';
import { type DeletedUserSecretMetadata, toDeletedMetadata, toMetadata } from './user-secret-schemas.js';
import { secretNotFound, type VersionedMetadata, type Writer } from './user-secrets.js';

/**
 * The trash of the v1 API: DELETE moves a secret, with its kept versions, into it for
 * RECOVERY_WINDOW_DAYS. Its name stays reserved; restore brings it back as it was, purge ends it.
 */

/** Moves the secret to the trash; its value and versions stay sealed as they are (no KMS call). */
export async function deleteUserSecret(
  deps: StoreDeps,
  {
    sub,
    requestId,
    id,
    precondition,
    commit,
  }: Writer & { id: string; precondition: Precondition; commit?: CommitHook<void> },
): Promise<void> {
  const tenant = userTenant(sub);
  await retryConditionalWrite(async () => {
    const current = await userSecretItem.getWithValue(deps, tenant, id);
    if (!current) throw secretNotFound();
    checkPrecondition(precondition, current.version);
    const window = trashWindow(deps.config, deps.clock.now());
    await transactWithVersions(
      deps,
      {
        secret: userSecretItem.deleteIfVersion(deps, tenant, id, current.version),
        name: userSecretNameItem.deleteIfOwnedBy(deps, tenant, current.name, id),
        trash: trashedUserSecretItem.put(deps, tenant, id, { ...current, ...window, deleted_by: sub }),
        trashedName: trashedNameItem.put(deps, tenant, current.name, id, window.expires_at),
        header: tenantHeaderItem.changeUsage(deps, tenant, { secrets: -1, bytes: -(current.value_bytes ?? 0) }),
        audit: auditChange(deps, tenant, {
          action: 'delete',
          actor: sub,
          requestId,
          keys: [current.name],
          secretId: id,
          version: current.version,
        }),
        idempotency: commit?.(),
      },
      current.history.map(({ slot }) => secretVersionItem.expireAt(deps, tenant, id, slot, window.expires_at)),
      'after',
    );
  });
}

/** One page of the caller's trash, in id order, leaving out what is past its window. */
export async function listDeletedUserSecrets(
  deps: StoreDeps,
  { sub, page }: { sub: string; page: PageQuery },
): Promise<{ secrets: DeletedUserSecretMetadata[]; next_cursor: string | null }> {
  const { items, nextCursor } = await trashedUserSecretItem.page(deps, userTenant(sub), page, epochSeconds(deps.clock));
  return { secrets: items.map(toDeletedMetadata), next_cursor: nextCursor };
}

/**
 * Brings a trashed secret back under its name, with every kept version: a write (new record
 * version, audited), within the quota. Its value stays as sealed unless rotation has moved the
 * tenant to another key since (then it is sealed anew under the active one).
 */
export async function restoreDeletedUserSecret(
  deps: ValueDeps,
  {
    sub,
    requestId,
    id,
    precondition,
    commit,
  }: Writer & { id: string; precondition: Precondition; commit?: CommitHook<VersionedMetadata> },
): Promise<VersionedMetadata> {
  const tenant = userTenant(sub);
  let usage = withinQuota(deps, { secrets: 1, bytes: 0 });
  return retryConditionalWrite<VersionedMetadata, RestoreItems>(
    async () => {
      // The trash item is read and removed as of one instant.
      const now = epochSeconds(deps.clock);
      const trashed = await trashedUserSecretItem.get(deps, tenant, id, now);
      if (!trashed) throw secretNotFound();
      checkPrecondition(precondition, trashed.version);
      const record = {
        ...trashedUserSecretItem.recordOf(trashed),
        version: trashed.version + 1,
        updated_at: timestampOf(deps.clock.now()),
      };
      usage = withinQuota(deps, { secrets: 1, bytes: record.value_bytes ?? 0 });
      const sealed = await rebindToActiveKey(deps, tenant, {
        recordId: id,
        name: record.name,
        valueVersion: record.value_version,
        sealed: trashed,
      });
      const result = { metadata: toMetadata(record), version: record.version };
      await transactWithVersions<RestoreItems>(
        deps,
        {
          trash: trashedUserSecretItem.removeIfVersion(deps, tenant, id, trashed.version, now),
          trashedName: trashedNameItem.deleteIfHeldBy(deps, tenant, record.name, id),
          secret: userSecretItem.putNew(deps, userSecretItem.build(tenant, record, sealed)),
          name: userSecretNameItem.putNew(deps, userSecretNameItem.build(tenant, result.metadata)),
          header: tenantHeaderItem.changeUsage(deps, tenant, { ...usage, sealedUnder: sealed.kv }),
          audit: auditChange(deps, tenant, {
            action: 'restore',
            actor: sub,
            requestId,
            keys: [record.name],
            secretId: id,
            version: record.version,
          }),
          idempotency: commit?.(result),
        },
        record.history.map(({ slot }) => ({
          ...secretVersionItem.keep(deps, tenant, id, slot),
          undo: secretVersionItem.expireAt(deps, tenant, id, slot, trashed.expires_at),
        })),
        'first',
      );
      return result;
    },
    (failed) => quotaOrStaleKey<RestoreItems>(deps, tenant, usage, 'header')(failed),
  );
}
type RestoreItems = 'trash' | 'trashedName' | 'secret' | 'name' | 'header' | 'audit' | 'idempotency';

/** Ends a trashed secret now, with every version it kept: irreversible. */
export async function purgeDeletedUserSecret(
  deps: StoreDeps,
  { sub, requestId, id, commit }: Writer & { id: string; commit?: CommitHook<void> },
): Promise<void> {
  const tenant = userTenant(sub);
  await retryConditionalWrite(async () => {
    // The trash item is read and removed as of one instant.
    const now = epochSeconds(deps.clock);
    const trashed = await trashedUserSecretItem.get(deps, tenant, id, now);
    if (!trashed) throw secretNotFound();
    await transactWithVersions(
      deps,
      {
        trash: trashedUserSecretItem.removeIfVersion(deps, tenant, id, trashed.version, now),
        trashedName: trashedNameItem.deleteIfHeldBy(deps, tenant, trashed.name, id),
        audit: auditChange(deps, tenant, {
          action: 'purge',
          actor: sub,
          requestId,
          keys: [trashed.name],
          secretId: id,
          version: trashed.version,
        }),
        idempotency: commit?.(),
      },
      trashed.history.map(({ slot }) => secretVersionItem.remove(deps, tenant, id, slot)),
      'after',
    );
  });
}
