import type { ValueDeps } from '../app/deps.js';
import { openValue, sealValue } from '../crypto/envelope.js';
import type { SealedValue, ValueSlot } from '../store/items/value-item.js';

/**
 * A stored value to be written back as current (a restore from the trash): as it is when it is
 * sealed under the tenant's active key, which rotation ensures for the trash too; otherwise
 * opened and sealed anew under the active key, for the same slot.
 */
export async function rebindToActiveKey(
  deps: ValueDeps,
  tenant: string,
  { sealed, ...slot }: ValueSlot & { sealed: SealedValue },
): Promise<SealedValue> {
  const active = await deps.keyring.active(tenant);
  if (sealed.kv === active.version) return { kv: sealed.kv, ct: sealed.ct };
  const sealedUnder = await deps.keyring.version(tenant, sealed.kv);
  const value = openValue(sealedUnder.key, sealed.ct, { tenant, ...slot, keyVersion: sealed.kv });
  return { kv: active.version, ct: sealValue(active.key, value, { tenant, ...slot, keyVersion: active.version }) };
}

/** Opens a stored value for its slot, under the data key version it was sealed with. */
export async function openSlot(
  deps: ValueDeps,
  tenant: string,
  { sealed, ...slot }: ValueSlot & { sealed: SealedValue },
): Promise<string> {
  const dataKey = await deps.keyring.version(tenant, sealed.kv);
  return openValue(dataKey.key, sealed.ct, { tenant, ...slot, keyVersion: sealed.kv });
}
