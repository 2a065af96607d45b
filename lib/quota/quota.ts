import type { ValueDeps } from '../app/deps.js';
import { staleKeyRetry } from '../crypto/keyring.js';
import { ConflictError } from '../errors.js';
import type { TenantQuota, UsageChange } from '../store/items/tenant-header.js';
import * as tenantHeaderItem from '../store/items/tenant-header.js';
import type { FailureAnswer } from '../store/transactions.js';

/**
 * Per-tenant quotas: inject must always fit one Lambda response (6 MB), so a tenant holds at
 * most `maxSecrets` live secrets and `maxValueBytes` bytes of current values. A write that
 * would pass either is refused whole; versions and the trash do not count.
 */

/**
 * What a value counts toward the tenant's quota: the bytes it takes in an inject response as
 * Lambda returns it — UTF-8, JSON-escaped once in the body and again in the Lambda payload
 * around it (a control character takes 7 bytes there, a quote 4) — so that a tenant within
 * its quota can always be injected.
 */
export function valueBytes(value: string): number {
  // The two layers add two pairs of quotes and escape the inner pair: 6 bytes not of the value.
  return Buffer.byteLength(JSON.stringify(JSON.stringify(value)), 'utf8') - 6;
}

/** The usage change of a write, checked against the configured quota. */
export function withinQuota(deps: ValueDeps, change: Omit<UsageChange, 'quota'>): UsageChange {
  const quota = deps.config.quota;
  // A single value over the whole budget can never fit; the table's condition would not see it
  // for a tenant that has stored nothing yet.
  if (change.bytes > quota.maxValueBytes) throw quotaExceeded('bytes', quota);
  return { ...change, quota };
}

/**
 * The tenant header guards both the active key and the quota, so when its condition fails
 * the header is read to tell which: over quota is the answer; otherwise the key went stale.
 */
export function quotaOrStaleKey<Name extends string>(
  deps: ValueDeps,
  tenant: string,
  change: UsageChange,
  checkedBy: Name,
  otherwise?: FailureAnswer<Name>,
): FailureAnswer<Name> {
  const staleKey = staleKeyRetry(deps.keyring, tenant, checkedBy, otherwise);
  return async (failed) => {
    if (failed.includes(checkedBy) && change.quota) {
      const usage = await tenantHeaderItem.usage(deps, tenant);
      if (change.secrets > 0 && usage.secrets + change.secrets > change.quota.maxSecrets) {
        return quotaExceeded('secrets', change.quota);
      }
      if (change.bytes > 0 && usage.valueBytes + change.bytes > change.quota.maxValueBytes) {
        return quotaExceeded('bytes', change.quota);
      }
    }
    return staleKey(failed);
  };
}

function quotaExceeded(limit: 'secrets' | 'bytes', quota: TenantQuota): ConflictError {
  const detail =
    limit === 'secrets'
      ? `This would pass the quota of ${quota.maxSecrets} secrets`
      : `This would pass the quota of ${quota.maxValueBytes} bytes of values`;
  return new ConflictError(detail, {
    code: 'QUOTA_EXCEEDED',
    hint: 'Everything injected must fit one response; delete secrets that are no longer used, or split them across environments.',
  });
}
