import type { StoreDeps, ValueDeps } from '../app/deps.js';
import type { Precondition } from '../precondition.js';
import * as secretVersionItem from '../store/items/secret-version.js';
import * as userSecretItem from '../store/items/user-secret.js';
import { userTenant } from '../store/keys.js';
import type { PageQuery } from '../store/page-query.js';
import type { CommitHook } from '../store/transactions.js';
import { slotOf, versionsPage } from '../versions/history.js';
import type { UserSecretVersion } from './user-secret-schemas.js';
import { secretNotFound, type VersionedMetadata, type Writer, writeUserSecretValue } from './user-secrets.js';

/** Value versions of the v1 API: what a secret held before, and going back to it. */

/** One page of the secret's versions, newest first, without values (no KMS call). */
export async function listUserSecretVersions(
  deps: StoreDeps,
  { sub, id, page }: { sub: string; id: string; page: PageQuery },
): Promise<{ versions: UserSecretVersion[]; next_cursor: string | null }> {
  const tenant = userTenant(sub);
  const record = await userSecretItem.get(deps, tenant, id);
  if (!record) throw secretNotFound();
  const { versions, nextCursor } = versionsPage(id, record, page);
  const earlier = versions.flatMap((n) => slotOf(record, n) ?? []);
  const kept = new Map(
    (await secretVersionItem.metadata(deps, tenant, id, earlier)).map((version) => [version.value_version, version]),
  );
  return {
    versions: versions.flatMap((n): UserSecretVersion[] => {
      if (n === record.value_version)
        return [{ version: n, masked_value: record.masked_value, created_at: record.value_at, current: true }];
      const version = kept.get(n);
      return version
        ? [{ version: n, masked_value: version.masked_value, created_at: version.created_at, current: false }]
        : [];
    }),
    next_cursor: nextCursor,
  };
}

/** Makes a kept version's value the current one again, as a new version (If-Match honoured). */
export function restoreUserSecretVersion(
  deps: ValueDeps,
  input: Writer & { id: string; version: number; precondition: Precondition; commit?: CommitHook<VersionedMetadata> },
): Promise<VersionedMetadata> {
  return writeUserSecretValue(deps, { ...input, source: { version: input.version } });
}
