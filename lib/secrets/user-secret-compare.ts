import type { ValueDeps } from '../app/deps.js';
import { recordAccess } from '../audit/audit.js';
import { valuesMatch } from '../crypto/compare.js';
import * as userSecretItem from '../store/items/user-secret.js';
import { userTenant } from '../store/keys.js';
import { openSlot } from '../versions/sealing.js';
import { secretNotFound } from './user-secrets.js';

/**
 * Whether a candidate equals the secret's current value, without the value leaving the
 * service: compared in constant time, audited as `compare` (never with the candidate).
 */
export async function compareUserSecret(
  deps: ValueDeps,
  { sub, requestId, id, value }: { sub: string; requestId: string; id: string; value: string },
): Promise<{ matches: boolean }> {
  const tenant = userTenant(sub);
  const current = await userSecretItem.getWithValue(deps, tenant, id);
  if (!current) throw secretNotFound();
  const stored = await openSlot(deps, tenant, {
    recordId: id,
    name: current.name,
    valueVersion: current.value_version,
    sealed: current,
  });
  const matches = valuesMatch(stored, value);
  await recordAccess(deps, tenant, {
    action: 'compare',
    actor: sub,
    requestId,
    keys: [current.name],
    secretId: id,
    version: current.version,
  });
  return { matches };
}
