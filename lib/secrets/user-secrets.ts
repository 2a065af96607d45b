import { randomUUID } from 'node:crypto';
import type { StoreDeps, ValueDeps } from '../app/deps.js';
import { recordAudit } from '../audit/audit.js';
import { timestampOf } from '../clock.js';
import { openValue, sealValue } from '../crypto/envelope.js';
import { type DataKey, staleKeyRetry } from '../crypto/keyring.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { checkPrecondition, type Precondition } from '../precondition.js';
import type { PageQuery } from '../store/cursor.js';
import { tenantHeaderItem } from '../store/items/tenant-header.js';
import { userSecretItem } from '../store/items/user-secret.js';
import { userSecretNameItem } from '../store/items/user-secret-name.js';
import { userTenant } from '../store/keys.js';
import { type CommitHook, retryConditionalWrite, transactWrite } from '../store/transactions.js';
import { maskValue } from './masking.js';
import { type CreateUserSecretBody, toMetadata, type UserSecretMetadata } from './user-secret-schemas.js';

/**
 * The v1 API's personal secrets: rules only; each stored item type has its module under
 * store/items. A value is sealed under the user's data key with the secret's id as AAD.
 */

export interface VersionedMetadata {
  metadata: UserSecretMetadata;
  version: number;
}

export async function createUserSecret(
  deps: ValueDeps,
  { sub, secret, commit }: { sub: string; secret: CreateUserSecretBody; commit?: CommitHook<VersionedMetadata> },
): Promise<VersionedMetadata> {
  const tenant = userTenant(sub);
  const id = randomUUID();
  const now = timestampOf(deps.clock.now());
  const conflict = () =>
    new ConflictError(`A secret named ${secret.name} already exists; update it with PUT, or choose another name`);
  return retryConditionalWrite(
    async () => {
      const created = newUserSecret(tenant, { id, now, ...secret }, await deps.keyring.active(tenant));
      const result = { metadata: created.metadata, version: 1 };
      await transactWrite<CreateItems>(deps.ddb, {
        name: userSecretNameItem.putNew(deps, created.nameItem),
        secret: userSecretItem.putNew(deps, created.secretItem),
        header: tenantHeaderItem.addToTotal(deps, tenant, 1, created.sealedUnder),
        idempotency: commit?.(result),
      });
      return result;
    },
    staleKeyRetry<CreateItems>(deps.keyring, tenant, 'header', conflict),
  );
}
type CreateItems = 'name' | 'secret' | 'header' | 'idempotency';

/** A new secret as stored: its name index entry and the secret item holding the sealed value. */
export interface NewUserSecret {
  metadata: UserSecretMetadata;
  nameItem: Record<string, unknown>;
  secretItem: Record<string, unknown>;
  sealedUnder: number;
}

/** Builds (does not write) the items of a new secret, sealing the value under `dataKey`. */
export function newUserSecret(
  tenant: string,
  input: CreateUserSecretBody & { id: string; now: string },
  dataKey: DataKey,
): NewUserSecret {
  const metadata: UserSecretMetadata = {
    id: input.id,
    name: input.name,
    provider: input.provider,
    masked_value: maskValue(input.value),
    created_at: input.now,
    updated_at: input.now,
  };
  const ct = sealValue(dataKey.key, input.value, { tenant, recordId: input.id, keyVersion: dataKey.version });
  return {
    metadata,
    nameItem: userSecretNameItem.build(tenant, metadata),
    secretItem: userSecretItem.build(tenant, { ...metadata, version: 1 }, { kv: dataKey.version, ct }),
    sealedUnder: dataKey.version,
  };
}

export async function getUserSecret(
  deps: StoreDeps,
  { sub, id }: { sub: string; id: string },
): Promise<VersionedMetadata> {
  const record = await userSecretItem.get(deps, userTenant(sub), id);
  if (!record) throw secretNotFound();
  return { metadata: toMetadata(record), version: record.version };
}

export async function listUserSecrets(deps: StoreDeps, { sub, page }: { sub: string; page: PageQuery }) {
  const result = await userSecretNameItem.page(deps, userTenant(sub), page);
  return { secrets: result.items.map(toMetadata), total: result.total, next_cursor: result.nextCursor };
}

export async function updateUserSecret(
  deps: ValueDeps,
  {
    sub,
    id,
    value,
    precondition,
    commit,
  }: { sub: string; id: string; value: string; precondition: Precondition; commit?: CommitHook<VersionedMetadata> },
): Promise<VersionedMetadata> {
  const tenant = userTenant(sub);
  // Someone else may write in between, or the tenant key may rotate: then the write re-runs,
  // judging If-Match on the new version and sealing under the active key.
  return retryConditionalWrite(
    async () => {
      const current = await getUserSecret(deps, { sub, id });
      checkPrecondition(precondition, current.version);
      const dataKey = await deps.keyring.active(tenant);
      const updated_at = timestampOf(deps.clock.now());
      const masked_value = maskValue(value);
      const ct = sealValue(dataKey.key, value, { tenant, recordId: id, keyVersion: dataKey.version });
      const result = { metadata: { ...current.metadata, masked_value, updated_at }, version: current.version + 1 };
      await transactWrite<UpdateItems>(deps.ddb, {
        secret: userSecretItem.updateValue(deps, tenant, {
          id,
          readVersion: current.version,
          sealed: { kv: dataKey.version, ct },
          masked_value,
          updated_at,
        }),
        name: userSecretNameItem.updateMask(deps, tenant, {
          name: current.metadata.name,
          id,
          masked_value,
          updated_at,
        }),
        activeKey: tenantHeaderItem.activeKeyCheck(deps, tenant, dataKey.version),
        idempotency: commit?.(result),
      });
      return result;
    },
    staleKeyRetry<UpdateItems>(deps.keyring, tenant, 'activeKey'),
  );
}
type UpdateItems = 'secret' | 'name' | 'activeKey' | 'idempotency';

export async function deleteUserSecret(
  deps: StoreDeps,
  { sub, id, precondition, commit }: { sub: string; id: string; precondition: Precondition; commit?: CommitHook<void> },
): Promise<void> {
  const tenant = userTenant(sub);
  await retryConditionalWrite(async () => {
    const current = await getUserSecret(deps, { sub, id });
    checkPrecondition(precondition, current.version);
    await transactWrite(deps.ddb, {
      secret: userSecretItem.deleteIfVersion(deps, tenant, id, current.version),
      name: userSecretNameItem.deleteIfOwnedBy(deps, tenant, current.metadata.name, id),
      header: tenantHeaderItem.addToTotal(deps, tenant, -1),
      idempotency: commit?.(),
    });
  });
}

/** Every value of the caller, decrypted, as `{NAME: value}`; audited. */
export async function injectUserSecrets(
  deps: ValueDeps,
  { sub, requestId }: { sub: string; requestId: string },
): Promise<Record<string, string>> {
  const tenant = userTenant(sub);
  const env: Record<string, string> = {};
  for (const record of await userSecretItem.values(deps, tenant)) {
    const dataKey = await deps.keyring.version(tenant, record.kv);
    env[record.name] = openValue(dataKey.key, record.ct, { tenant, recordId: record.id, keyVersion: record.kv });
  }
  await recordAudit(deps, tenant, { action: 'inject', actor: sub, requestId, keys: Object.keys(env) });
  return env;
}

function secretNotFound(): NotFoundError {
  return new NotFoundError('Secret not found');
}
