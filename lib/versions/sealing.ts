import type { ValueDeps } from '../app/deps.js';
import { openValue, sealValue } from '../crypto/envelope.js';
import * as secretVersionItem from '../store/items/secret-version.js';
import type { SealedValue, ValueSlot } from '../store/items/value-item.js';
import { holdsVersion, type Lineage, slotOf } from './history.js';

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

/**
 * The value of a version a secret keeps: its current one, or a VERSION# item opened under the
 * name it was sealed for (a rename re-binds versions, and any not yet re-bound still open).
 * `notFound` answers a version the secret does not keep.
 */
export async function openKeptVersion(
  deps: ValueDeps,
  tenant: string,
  current: { recordId: string; name: string; lineage: Lineage; sealed: SealedValue },
  valueVersion: number,
  notFound: () => Error,
): Promise<string> {
  if (!holdsVersion(current.lineage, valueVersion)) throw notFound();
  const { recordId } = current;
  if (valueVersion === current.lineage.value_version)
    return openSlot(deps, tenant, { recordId, name: current.name, valueVersion, sealed: current.sealed });
  const version = await secretVersionItem.getValue(deps, tenant, recordId, slotOf(current.lineage, valueVersion)!);
  if (version?.value_version !== valueVersion) throw notFound();
  return openSlot(deps, tenant, { recordId, name: version.name, valueVersion, sealed: version });
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
