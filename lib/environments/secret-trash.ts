import type { StoreDeps, ValueDeps } from '../app/deps.js';
import { auditChange } from '../audit/audit.js';
import { timestampOf } from '../clock.js';
import { checkPrecondition, type Precondition } from '../precondition.js';
import { quotaOrStaleKey, withinQuota } from '../quota/quota.js';
import * as environmentSecretItem from '../store/items/environment-secret.js';
import { trashedEnvironmentSecretItem } from '../store/items/environment-secret.js';
import * as secretVersionItem from '../store/items/secret-version.js';
import * as tenantHeaderItem from '../store/items/tenant-header.js';
import { environmentTenant } from '../store/keys.js';
import type { PageQuery } from '../store/page-query.js';
import { type CommitHook, retryConditionalWrite } from '../store/transactions.js';
import { epochSeconds, transactWithVersions, trashWindow } from '../versions/history.js';
import { rebindToActiveKey } from '../versions/sealing.js';
import { secretExists, secretNotFound } from './errors.js';
import { authorizeMember } from './members.js';
import {
  type DeletedSecretMetadata,
  type SecretMetadata,
  toDeletedSecretMetadata,
  toSecretMetadata,
} from './schemas.js';
import type { ChangeInEnvironment, InEnvironment } from './secrets.js';

/**
 * The trash of an environment: DELETE moves a secret, with its kept versions, into it for
 * RECOVERY_WINDOW_DAYS. Its key stays reserved (a create answers SECRET_DELETED); editors
 * restore, owners purge.
 */

/** Moves the secret to the trash; its value and versions stay sealed as they are (no KMS call). */
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
    const current = await environmentSecretItem.getWithValue(deps, tenant, key);
    if (!current) throw secretNotFound(key);
    checkPrecondition(precondition, current.version);
    const window = trashWindow(deps.config, deps.clock.now());
    await transactWithVersions(
      deps,
      {
        secret: environmentSecretItem.deleteIfVersion(deps, tenant, key, current.version),
        trash: trashedEnvironmentSecretItem.put(deps, tenant, key, { ...current, ...window, deleted_by: sub }),
        header: tenantHeaderItem.changeUsage(deps, tenant, { secrets: -1, bytes: -(current.value_bytes ?? 0) }),
        audit: auditChange(deps, tenant, {
          action: 'delete',
          actor: sub,
          requestId,
          keys: [key],
          version: current.version,
        }),
        idempotency: commit?.(),
      },
      current.history.map(({ slot }) => secretVersionItem.expireAt(deps, tenant, key, slot, window.expires_at)),
      'after',
    );
  });
}

/** One page of the environment's trash in key order, leaving out what is past its window; any member. */
export async function listDeletedSecrets(
  deps: StoreDeps,
  { sub, environmentId, page }: InEnvironment & { page: PageQuery },
): Promise<{ secrets: DeletedSecretMetadata[]; nextCursor: string | null }> {
  await authorizeMember(deps, { sub, environmentId, permission: 'readSecrets' });
  const tenant = environmentTenant(environmentId);
  const { items, nextCursor } = await trashedEnvironmentSecretItem.page(deps, tenant, page, epochSeconds(deps.clock));
  return { secrets: items.map(toDeletedSecretMetadata), nextCursor };
}

/**
 * Brings a trashed secret back under its key, with every kept version: a write (new record
 * version, audited), within the quota. Owners and editors.
 */
export async function restoreDeletedSecret(
  deps: ValueDeps,
  {
    sub,
    requestId,
    environmentId,
    key,
    precondition,
    commit,
  }: ChangeInEnvironment & { key: string; precondition: Precondition; commit?: CommitHook<SecretMetadata> },
): Promise<SecretMetadata> {
  await authorizeMember(deps, { sub, environmentId, permission: 'writeSecrets' });
  const tenant = environmentTenant(environmentId);
  let usage = withinQuota(deps, { secrets: 1, bytes: 0 });
  return retryConditionalWrite<SecretMetadata, RestoreItems>(
    async () => {
      // The trash item is read and removed as of one instant.
      const now = epochSeconds(deps.clock);
      const trashed = await trashedEnvironmentSecretItem.get(deps, tenant, key, now);
      if (!trashed) throw secretNotFound(key);
      checkPrecondition(precondition, trashed.version);
      const record = {
        ...trashedEnvironmentSecretItem.recordOf(trashed),
        version: trashed.version + 1,
        updated_at: timestampOf(deps.clock.now()),
        updated_by: sub,
      };
      usage = withinQuota(deps, { secrets: 1, bytes: record.value_bytes ?? 0 });
      const sealed = await rebindToActiveKey(deps, tenant, {
        recordId: key,
        name: key,
        valueVersion: record.value_version,
        sealed: trashed,
      });
      const result = toSecretMetadata(record);
      await transactWithVersions<RestoreItems>(
        deps,
        {
          trash: trashedEnvironmentSecretItem.removeIfVersion(deps, tenant, key, trashed.version, now),
          secret: environmentSecretItem.putNew(deps, environmentSecretItem.build(tenant, record, sealed)),
          header: tenantHeaderItem.changeUsage(deps, tenant, { ...usage, sealedUnder: sealed.kv }),
          audit: auditChange(deps, tenant, {
            action: 'restore',
            actor: sub,
            requestId,
            keys: [key],
            version: record.version,
          }),
          idempotency: commit?.(result),
        },
        record.history.map(({ slot }) => ({
          ...secretVersionItem.keep(deps, tenant, key, slot),
          undo: secretVersionItem.expireAt(deps, tenant, key, slot, trashed.expires_at),
        })),
        'first',
      );
      return result;
    },
    (failed) =>
      quotaOrStaleKey<RestoreItems>(deps, tenant, usage, 'header', (other) =>
        other.includes('secret') ? secretExists(key) : undefined,
      )(failed),
  );
}
type RestoreItems = 'trash' | 'secret' | 'header' | 'audit' | 'idempotency';

/** Ends a trashed secret now, with every version it kept: irreversible; owners only. */
export async function purgeDeletedSecret(
  deps: StoreDeps,
  { sub, requestId, environmentId, key, commit }: ChangeInEnvironment & { key: string; commit?: CommitHook<void> },
): Promise<void> {
  await authorizeMember(deps, { sub, environmentId, permission: 'purgeSecrets' });
  const tenant = environmentTenant(environmentId);
  await retryConditionalWrite(async () => {
    // The trash item is read and removed as of one instant.
    const now = epochSeconds(deps.clock);
    const trashed = await trashedEnvironmentSecretItem.get(deps, tenant, key, now);
    if (!trashed) throw secretNotFound(key);
    await transactWithVersions(
      deps,
      {
        trash: trashedEnvironmentSecretItem.removeIfVersion(deps, tenant, key, trashed.version, now),
        audit: auditChange(deps, tenant, {
          action: 'purge',
          actor: sub,
          requestId,
          keys: [key],
          version: trashed.version,
        }),
        idempotency: commit?.(),
      },
      trashed.history.map(({ slot }) => secretVersionItem.remove(deps, tenant, key, slot)),
      'after',
    );
  });
}
