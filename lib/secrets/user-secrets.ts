import { randomUUID } from 'node:crypto';
import type { StoreDeps, ValueDeps } from '../app/deps.js';
import { auditChange, listAudit, recordAccess } from '../audit/audit.js';
import { timestampOf } from '../clock.js';
import { openValue, sealValue } from '../crypto/envelope.js';
import type { DataKey } from '../crypto/keyring.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { checkPrecondition, type Precondition } from '../precondition.js';
import { quotaOrStaleKey, valueBytes, withinQuota } from '../quota/quota.js';
import type { PageQuery } from '../store/cursor.js';
import { tenantHeaderItem } from '../store/items/tenant-header.js';
import { type UserSecretRecord, userSecretItem } from '../store/items/user-secret.js';
import { userSecretNameItem } from '../store/items/user-secret-name.js';
import { userTenant } from '../store/keys.js';
import { type CommitHook, retryConditionalWrite, transactWrite } from '../store/transactions.js';
import { maskValue } from './masking.js';
import {
  type CreateUserSecretBody,
  toMetadata,
  type UserAuditEvent,
  type UserSecretMetadata,
} from './user-secret-schemas.js';

/**
 * The v1 API's personal secrets: rules only; each stored item type has its module under
 * store/items. A value is sealed under the user's data key with the secret's id as AAD.
 */

/** A person writing, under which request: what the write's audit event names. */
export interface Writer {
  sub: string;
  requestId: string;
}

export interface VersionedMetadata {
  metadata: UserSecretMetadata;
  version: number;
}

export async function createUserSecret(
  deps: ValueDeps,
  { sub, requestId, secret, commit }: Writer & { secret: CreateUserSecretBody; commit?: CommitHook<VersionedMetadata> },
): Promise<VersionedMetadata> {
  const tenant = userTenant(sub);
  const id = randomUUID();
  const now = timestampOf(deps.clock.now());
  const conflict = () =>
    new ConflictError(`A secret named ${secret.name} already exists; update it with PUT, or choose another name`);
  const usage = withinQuota(deps, { secrets: 1, bytes: valueBytes(secret.value) });
  return retryConditionalWrite(
    async () => {
      const created = newUserSecret(tenant, { id, now, ...secret }, await deps.keyring.active(tenant));
      const result = { metadata: created.metadata, version: 1 };
      await transactWrite<CreateItems>(deps.ddb, {
        name: userSecretNameItem.putNew(deps, created.nameItem),
        secret: userSecretItem.putNew(deps, created.secretItem),
        header: tenantHeaderItem.changeUsage(deps, tenant, { ...usage, sealedUnder: created.sealedUnder }),
        audit: auditChange(deps, tenant, {
          action: 'create',
          actor: sub,
          requestId,
          keys: [secret.name],
          secretId: id,
          version: 1,
        }),
        idempotency: commit?.(result),
      });
      return result;
    },
    quotaOrStaleKey<CreateItems>(deps, tenant, usage, 'header', conflict),
  );
}
type CreateItems = 'name' | 'secret' | 'header' | 'audit' | 'idempotency';

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
    secretItem: userSecretItem.build(
      tenant,
      { ...metadata, version: 1, value_bytes: valueBytes(input.value) },
      { kv: dataKey.version, ct },
    ),
    sealedUnder: dataKey.version,
  };
}

export async function getUserSecret(
  deps: StoreDeps,
  { sub, id }: { sub: string; id: string },
): Promise<VersionedMetadata> {
  const record = await readUserSecret(deps, userTenant(sub), id);
  return { metadata: toMetadata(record), version: record.version };
}

async function readUserSecret(deps: StoreDeps, tenant: string, id: string): Promise<UserSecretRecord> {
  const record = await userSecretItem.get(deps, tenant, id);
  if (!record) throw secretNotFound();
  return record;
}

export async function listUserSecrets(deps: StoreDeps, { sub, page }: { sub: string; page: PageQuery }) {
  const result = await userSecretNameItem.page(deps, userTenant(sub), page);
  return { secrets: result.items.map(toMetadata), total: result.total, next_cursor: result.nextCursor };
}

export async function updateUserSecret(
  deps: ValueDeps,
  {
    sub,
    requestId,
    id,
    value,
    precondition,
    commit,
  }: Writer & { id: string; value: string; precondition: Precondition; commit?: CommitHook<VersionedMetadata> },
): Promise<VersionedMetadata> {
  const tenant = userTenant(sub);
  const bytes = valueBytes(value);
  // What the value's size changes depends on the record read; the failure answer needs it too.
  let usage = withinQuota(deps, { secrets: 0, bytes });
  // Someone else may write in between, or the tenant key may rotate: then the write re-runs,
  // judging If-Match on the new version and sealing under the active key.
  return retryConditionalWrite<VersionedMetadata, UpdateItems>(
    async () => {
      const current = await readUserSecret(deps, tenant, id);
      checkPrecondition(precondition, current.version);
      usage = { ...usage, bytes: bytes - (current.value_bytes ?? 0) };
      const dataKey = await deps.keyring.active(tenant);
      const updated_at = timestampOf(deps.clock.now());
      const masked_value = maskValue(value);
      const ct = sealValue(dataKey.key, value, { tenant, recordId: id, keyVersion: dataKey.version });
      const result = { metadata: { ...toMetadata(current), masked_value, updated_at }, version: current.version + 1 };
      await transactWrite<UpdateItems>(deps.ddb, {
        secret: userSecretItem.updateValue(deps, tenant, {
          id,
          readVersion: current.version,
          sealed: { kv: dataKey.version, ct },
          value_bytes: bytes,
          masked_value,
          updated_at,
        }),
        name: userSecretNameItem.updateMask(deps, tenant, {
          name: current.name,
          id,
          masked_value,
          updated_at,
        }),
        header: tenantHeaderItem.changeUsage(deps, tenant, { ...usage, sealedUnder: dataKey.version }),
        audit: auditChange(deps, tenant, {
          action: 'update',
          actor: sub,
          requestId,
          keys: [current.name],
          secretId: id,
          version: result.version,
        }),
        idempotency: commit?.(result),
      });
      return result;
    },
    (failed) => quotaOrStaleKey<UpdateItems>(deps, tenant, usage, 'header')(failed),
  );
}
type UpdateItems = 'secret' | 'name' | 'header' | 'audit' | 'idempotency';

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
    const current = await readUserSecret(deps, tenant, id);
    checkPrecondition(precondition, current.version);
    await transactWrite(deps.ddb, {
      secret: userSecretItem.deleteIfVersion(deps, tenant, id, current.version),
      name: userSecretNameItem.deleteIfOwnedBy(deps, tenant, current.name, id),
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
  await recordAccess(deps, tenant, { action: 'inject', actor: sub, requestId, keys: Object.keys(env) });
  return env;
}

/** One page of what changed in the caller's secrets and when values left, newest first. */
export async function listUserAudit(
  deps: StoreDeps,
  { sub, page }: { sub: string; page: PageQuery },
): Promise<{ events: UserAuditEvent[]; next_cursor: string | null }> {
  const { events, nextCursor } = await listAudit(deps, userTenant(sub), page);
  return {
    events: events.map((event) => ({
      action: event.action,
      actor: event.actor,
      names: event.keys,
      version: event.version ?? null,
      request_id: event.requestId,
      at: event.at,
    })),
    next_cursor: nextCursor,
  };
}

function secretNotFound(): NotFoundError {
  return new NotFoundError('Secret not found');
}
