import { randomUUID } from 'node:crypto';
import type { StoreDeps, ValueDeps } from '../app/deps.js';
import { auditChange, listAudit, recordAccess } from '../audit/audit.js';
import { timestampOf } from '../clock.js';
import { openValue, sealValue } from '../crypto/envelope.js';
import type { DataKey } from '../crypto/keyring.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { checkPrecondition, type Precondition } from '../precondition.js';
import { quotaOrStaleKey, valueBytes, withinQuota } from '../quota/quota.js';
import * as secretVersionItem from '../store/items/secret-version.js';
import * as tenantHeaderItem from '../store/items/tenant-header.js';
import * as trashedNameItem from '../store/items/trashed-name.js';
import type { UserSecretRecord } from '../store/items/user-secret.js';
import * as userSecretItem from '../store/items/user-secret.js';
import * as userSecretNameItem from '../store/items/user-secret-name.js';
import { userTenant } from '../store/keys.js';
import type { PageQuery } from '../store/page-query.js';
import { type CommitHook, retryConditionalWrite, transactWrite } from '../store/transactions.js';
import { epochSeconds, supersede } from '../versions/history.js';
import { openKeptVersion } from '../versions/sealing.js';
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
  const usage = withinQuota(deps, { secrets: 1, bytes: valueBytes(secret.value) });
  const taken = async (failed: CreateItems[]) =>
    failed.includes('trashed') ? nameInTrash(deps, tenant, secret.name) : nameTaken(secret.name);
  return retryConditionalWrite(
    async () => {
      const created = newUserSecret(tenant, { id, now, sub, ...secret }, await deps.keyring.active(tenant));
      const result = { metadata: created.metadata, version: 1 };
      await transactWrite<CreateItems>(deps.ddb, {
        name: userSecretNameItem.putNew(deps, created.nameItem),
        trashed: trashedNameItem.free(deps, tenant, secret.name, epochSeconds(deps.clock)),
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
    quotaOrStaleKey<CreateItems>(deps, tenant, usage, 'header', taken),
  );
}
type CreateItems = 'name' | 'trashed' | 'secret' | 'header' | 'audit' | 'idempotency';

export const nameTaken = (name: string) =>
  new ConflictError(`A secret named ${name} already exists; update it with PUT, or choose another name`);

/** The 409 for a name a trashed secret holds, naming how to get it back or let it go. */
export async function nameInTrash(deps: StoreDeps, tenant: string, name: string): Promise<ConflictError | undefined> {
  const id = await trashedNameItem.holder(deps, tenant, name, epochSeconds(deps.clock));
  // Purged or past its window meanwhile: the create runs again.
  if (!id) return undefined;
  return new ConflictError(
    `A deleted secret named ${name} is in the trash; restore it with POST /api/v1/user/secrets/deleted/${id}/restore, or purge it with DELETE /api/v1/user/secrets/deleted/${id}`,
  );
}

/** A new secret as stored: its name index entry and the secret item holding the sealed value. */
export interface NewUserSecret {
  metadata: UserSecretMetadata;
  nameItem: Record<string, unknown>;
  secretItem: Record<string, unknown>;
  sealedUnder: number;
}

/** Builds (does not write) the items of a new secret by `sub`, sealing the value under `dataKey`. */
export function newUserSecret(
  tenant: string,
  input: CreateUserSecretBody & { id: string; now: string; sub: string },
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
  const ct = sealValue(dataKey.key, input.value, {
    tenant,
    recordId: input.id,
    name: input.name,
    valueVersion: 1,
    keyVersion: dataKey.version,
  });
  return {
    metadata,
    nameItem: userSecretNameItem.build(tenant, metadata),
    secretItem: userSecretItem.build(
      tenant,
      {
        ...metadata,
        version: 1,
        value_bytes: valueBytes(input.value),
        value_version: 1,
        value_at: input.now,
        value_by: input.sub,
        history: [],
      },
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
  input: Writer & { id: string; value: string; precondition: Precondition; commit?: CommitHook<VersionedMetadata> },
): Promise<VersionedMetadata> {
  return writeUserSecretValue(deps, { ...input, source: { value: input.value } });
}

/** Where a value write takes its value from: the request, or a version the secret keeps (a rollback). */
export type ValueSource = { value: string } | { version: number };

/**
 * Writes a new current value: the one it replaces becomes a value version, and the oldest
 * versions beyond MAX_VERSIONS go in the same transaction. The record's version condition
 * keeps one linear history however many write at once.
 */
export async function writeUserSecretValue(
  deps: ValueDeps,
  {
    sub,
    requestId,
    id,
    source,
    precondition,
    commit,
  }: Writer & { id: string; source: ValueSource; precondition: Precondition; commit?: CommitHook<VersionedMetadata> },
): Promise<VersionedMetadata> {
  const tenant = userTenant(sub);
  // What the value's size changes depends on the record read; the failure answer needs it too.
  let usage = withinQuota(deps, { secrets: 0, bytes: 'value' in source ? valueBytes(source.value) : 0 });
  // Someone else may write in between, or the tenant key may rotate: then the write re-runs,
  // judging If-Match on the new version and sealing under the active key.
  return retryConditionalWrite<VersionedMetadata, ValueWriteItems>(
    async () => {
      const current = await userSecretItem.getWithValue(deps, tenant, id);
      if (!current) throw secretNotFound();
      checkPrecondition(precondition, current.version);
      const value =
        'value' in source
          ? source.value
          : await openKeptVersion(
              deps,
              tenant,
              { recordId: id, name: current.name, lineage: current, sealed: current },
              source.version,
              () => versionNotFound(source.version),
            );
      const bytes = valueBytes(value);
      usage = withinQuota(deps, { secrets: 0, bytes: bytes - (current.value_bytes ?? 0) });
      const dataKey = await deps.keyring.active(tenant);
      const next = current.version + 1;
      const updated_at = timestampOf(deps.clock.now());
      const masked_value = maskValue(value);
      const binding = { tenant, recordId: id, name: current.name, valueVersion: next, keyVersion: dataKey.version };
      const ct = sealValue(dataKey.key, value, binding);
      const versions = supersede(current, deps.config.maxVersions);
      const result = { metadata: { ...toMetadata(current), masked_value, updated_at }, version: next };
      await transactWrite<ValueWriteItems>(deps.ddb, {
        secret: userSecretItem.updateValue(deps, tenant, {
          id,
          readVersion: current.version,
          sealed: { kv: dataKey.version, ct },
          value_bytes: bytes,
          masked_value,
          updated_at,
          value_version: next,
          value_at: updated_at,
          value_by: sub,
          history: versions.history,
        }),
        previous: versions.superseded
          ? secretVersionItem.putSuperseded(
              deps,
              tenant,
              { recordId: current.id, name: current.name, slot: versions.superseded.slot },
              current,
            )
          : undefined,
        ...Object.fromEntries(
          versions.pruned.map((n) => [`pruned:${n}`, secretVersionItem.delete(deps, tenant, id, n)] as const),
        ),
        name: userSecretNameItem.updateMask(deps, tenant, { name: current.name, id, masked_value, updated_at }),
        header: tenantHeaderItem.changeUsage(deps, tenant, { ...usage, sealedUnder: dataKey.version }),
        audit: auditChange(deps, tenant, {
          action: 'value' in source ? 'update' : 'rollback',
          actor: sub,
          requestId,
          keys: [current.name],
          secretId: id,
          version: next,
        }),
        idempotency: commit?.(result),
      });
      return result;
    },
    (failed) => quotaOrStaleKey<ValueWriteItems>(deps, tenant, usage, 'header')(failed),
  );
}
type ValueWriteItems = 'secret' | 'previous' | `pruned:${number}` | 'name' | 'header' | 'audit' | 'idempotency';

/** Every value of the caller, decrypted, as `{NAME: value}`; audited. */
export async function injectUserSecrets(
  deps: ValueDeps,
  { sub, requestId }: { sub: string; requestId: string },
): Promise<Record<string, string>> {
  const tenant = userTenant(sub);
  const env: Record<string, string> = {};
  for (const record of await userSecretItem.values(deps, tenant)) {
    const dataKey = await deps.keyring.version(tenant, record.kv);
    env[record.name] = openValue(dataKey.key, record.ct, {
      tenant,
      recordId: record.id,
      name: record.name,
      valueVersion: record.value_version,
      keyVersion: record.kv,
    });
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

export function secretNotFound(): NotFoundError {
  return new NotFoundError('Secret not found');
}

export function versionNotFound(valueVersion: number): NotFoundError {
  return new NotFoundError(`This secret keeps no version ${valueVersion}`);
}
