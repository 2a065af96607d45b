import type { ValueDeps } from '../app/deps.js';
import { recordAccess } from '../audit/audit.js';
import { valuesMatch } from '../crypto/compare.js';
import * as environmentSecretItem from '../store/items/environment-secret.js';
import { environmentTenant } from '../store/keys.js';
import { secretNotFound } from './errors.js';
import { authorizeMember } from './members.js';
import type { InEnvironment } from './secrets.js';
import { openCurrent } from './values.js';

/**
 * Whether a candidate equals a secret's current value, for owners and editors, neverReveal
 * secrets included: the value never leaves the service, the comparison takes constant time,
 * and the audit names the key, never the candidate.
 */
export async function compareSecret(
  deps: ValueDeps,
  { sub, requestId, environmentId, key, value }: InEnvironment & { requestId: string; key: string; value: string },
): Promise<{ matches: boolean }> {
  await authorizeMember(deps, { sub, environmentId, permission: 'compareSecrets' });
  const tenant = environmentTenant(environmentId);
  const record = await environmentSecretItem.getValue(deps, tenant, key);
  if (!record) throw secretNotFound(key);
  const matches = valuesMatch(await openCurrent(deps, tenant, record), value);
  await recordAccess(deps, tenant, { action: 'compare', actor: sub, requestId, keys: [key] });
  return { matches };
}
