import type { ValueDeps } from '../app/deps.js';
import { type Actor, recordAccess } from '../audit/audit.js';
import type { EnvironmentSecretValueRecord } from '../store/items/environment-secret.js';
import * as environmentSecretItem from '../store/items/environment-secret.js';
import { environmentTenant } from '../store/keys.js';
import { openSlot } from '../versions/sealing.js';
import { secretNeverReveal, secretNotFound } from './errors.js';
import { authorizeMember } from './members.js';
import type { InEnvironment } from './secrets.js';

/**
 * The two ways plaintext leaves an environment. Each writes its audit event (who, which
 * keys, which request — never a value) before the plaintext is returned.
 */

/** One value for a person (editors and owners); a neverReveal secret is refused. */
export async function revealSecret(
  deps: ValueDeps,
  { sub, environmentId, key, requestId }: InEnvironment & { key: string; requestId: string },
): Promise<{ key: string; value: string }> {
  await authorizeMember(deps, { sub, environmentId, permission: 'revealSecrets' });
  const tenant = environmentTenant(environmentId);
  const record = await environmentSecretItem.getValue(deps, tenant, key);
  if (!record) throw secretNotFound(key);
  if (record.never_reveal) throw secretNeverReveal(key);
  const value = await openCurrent(deps, tenant, record);
  await recordAccess(deps, tenant, { action: 'reveal', actor: sub, requestId, keys: [key] });
  return { key, value };
}

/** Every value, neverReveal ones included, as `{KEY: value}` for a runtime; any member may. */
export async function injectSecrets(
  deps: ValueDeps,
  { sub, environmentId, requestId }: InEnvironment & { requestId: string },
): Promise<Record<string, string>> {
  await authorizeMember(deps, { sub, environmentId, permission: 'injectSecrets' });
  const tenant = environmentTenant(environmentId);
  return injectRecords(deps, tenant, await environmentSecretItem.values(deps, tenant), { actor: sub, requestId });
}

/** Opens every value read for an inject, then writes the inject's audit event before they leave. */
export async function injectRecords(
  deps: ValueDeps,
  tenant: string,
  records: readonly EnvironmentSecretValueRecord[],
  by: Actor,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const record of records) env[record.key] = await openCurrent(deps, tenant, record);
  await recordAccess(deps, tenant, { action: 'inject', ...by, keys: Object.keys(env) });
  return env;
}

/** Decrypts under the data key version the value was sealed with (cached: ≤ 1 KMS call per version). */
export function openCurrent(deps: ValueDeps, tenant: string, record: EnvironmentSecretValueRecord): Promise<string> {
  return openSlot(deps, tenant, {
    recordId: record.key,
    name: record.key,
    valueVersion: record.value_version,
    sealed: record,
  });
}
