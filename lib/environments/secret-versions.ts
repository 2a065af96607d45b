import type { StoreDeps, ValueDeps } from '../app/deps.js';
import { recordAccess } from '../audit/audit.js';
import type { Precondition } from '../precondition.js';
import * as environmentSecretItem from '../store/items/environment-secret.js';
import * as secretVersionItem from '../store/items/secret-version.js';
import { environmentTenant } from '../store/keys.js';
import type { PageQuery } from '../store/page-query.js';
import type { CommitHook } from '../store/transactions.js';
import { slotOf, versionsPage } from '../versions/history.js';
import { secretNeverReveal, secretNotFound } from './errors.js';
import { authorizeMember } from './members.js';
import type { SecretMetadata, SecretVersion } from './schemas.js';
import { type ChangeInEnvironment, type InEnvironment, keptValue, writeSecret } from './secrets.js';

/** Value versions of an environment secret: listing them, revealing one, going back to one. */

/** One page of the secret's versions, newest first, without values (no KMS call); any member. */
export async function listSecretVersions(
  deps: StoreDeps,
  { sub, environmentId, key, page }: InEnvironment & { key: string; page: PageQuery },
): Promise<{ versions: SecretVersion[]; nextCursor: string | null }> {
  await authorizeMember(deps, { sub, environmentId, permission: 'readSecrets' });
  const tenant = environmentTenant(environmentId);
  const record = await environmentSecretItem.get(deps, tenant, key);
  if (!record) throw secretNotFound(key);
  const { versions, nextCursor } = versionsPage(key, record, page);
  const earlier = versions.flatMap((n) => slotOf(record, n) ?? []);
  const kept = new Map(
    (await secretVersionItem.metadata(deps, tenant, key, earlier)).map((version) => [version.value_version, version]),
  );
  // A neverReveal secret shows no part of any of its values.
  const masked = (maskedValue: string) => (record.never_reveal ? record.masked_value : maskedValue);
  return {
    versions: versions.flatMap((n): SecretVersion[] => {
      if (n === record.value_version)
        return [
          {
            version: n,
            maskedValue: record.masked_value,
            createdAt: record.value_at,
            createdBy: record.value_by,
            current: true,
          },
        ];
      const version = kept.get(n);
      return version
        ? [
            {
              version: n,
              maskedValue: masked(version.masked_value),
              createdAt: version.created_at,
              createdBy: version.created_by,
              current: false,
            },
          ]
        : [];
    }),
    nextCursor,
  };
}

/** One kept version's value for a person (owners and editors), audited; never for neverReveal. */
export async function revealSecretVersion(
  deps: ValueDeps,
  { sub, environmentId, key, version, requestId }: InEnvironment & { key: string; version: number; requestId: string },
): Promise<{ key: string; version: number; value: string }> {
  await authorizeMember(deps, { sub, environmentId, permission: 'revealSecrets' });
  const tenant = environmentTenant(environmentId);
  const current = await environmentSecretItem.getWithValue(deps, tenant, key);
  if (!current) throw secretNotFound(key);
  if (current.never_reveal) throw secretNeverReveal(key);
  const value = await keptValue(deps, tenant, current, version);
  await recordAccess(deps, tenant, { action: 'reveal', actor: sub, requestId, keys: [key], version });
  return { key, version, value };
}

/** Makes a kept version's value the current one again, as a new version; owners and editors. */
export async function restoreSecretVersion(
  deps: ValueDeps,
  input: ChangeInEnvironment & {
    key: string;
    version: number;
    precondition: Precondition;
    commit?: CommitHook<SecretMetadata>;
  },
): Promise<SecretMetadata> {
  await authorizeMember(deps, { sub: input.sub, environmentId: input.environmentId, permission: 'writeSecrets' });
  return writeSecret(deps, { ...input, patch: {}, rollbackTo: input.version });
}
