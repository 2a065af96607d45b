import type { StoreDeps } from '../app/deps.js';
import { timestampOf } from '../clock.js';
import * as environmentHeaderItem from '../store/items/environment-header.js';
import { deleteDueHeader, deleteItems, environmentsDueForPurge, purgeKeysOf } from '../store/purge.js';

/**
 * Purges deleted environments whose recovery window has closed: every item of each (secrets
 * and their data keys, members, tokens and their lookups, audit), its header last, so a purge
 * cut short is found and finished by the next run. An environment restored meanwhile is left be.
 * Answers how many were purged.
 */
export async function purgeDeletedEnvironments(deps: StoreDeps): Promise<number> {
  const now = timestampOf(deps.clock.now());
  let purged = 0;
  for (const tenant of await environmentsDueForPurge(deps, now)) {
    // The index may lag a restore: judge by the header itself.
    const header = await environmentHeaderItem.get(deps, tenant);
    if (header?.deleted_at === undefined || header.purge_at === undefined || header.purge_at >= now) continue;
    await deleteItems(deps, await purgeKeysOf(deps, tenant));
    if (await deleteDueHeader(deps, tenant, now)) purged++;
  }
  return purged;
}
