import * as z from 'zod/mini';
import { purgeDeletedEnvironments } from '../environments/purge.js';
import { logger } from '../log.js';
import * as dataKeyItem from '../store/items/data-key.js';
import * as valueItem from '../store/items/value-item.js';
import { sealedRecordId, TENANT_PATTERN } from '../store/keys.js';
import type { RotationEvent } from './events.js';
import {
  currentKmsKeyArn,
  type RotationDeps,
  type RotationProgress,
  rewrapTenantDataKeys,
  rotateTenantKey,
  type TenantRotation,
} from './rotate-tenant.js';

/**
 * The events that trigger rotation: the EventBridge schedule and the custom events
 * `RotateTenantKey` (one tenant) and `RotateAll`, in EventBridge's own envelope.
 */
export const RotationTriggerSchema = z.discriminatedUnion('detail-type', [
  z.object({
    id: z.string().check(z.minLength(1)),
    'detail-type': z.literal('RotateTenantKey'),
    detail: z.object({ tenant: z.string().check(z.regex(TENANT_PATTERN)) }),
  }),
  z.object({ id: z.string().check(z.minLength(1)), 'detail-type': z.literal('RotateAll') }),
  z.object({ id: z.string().check(z.minLength(1)), 'detail-type': z.literal('Scheduled Event') }),
]);
export type RotationTrigger = z.infer<typeof RotationTriggerSchema>;

export interface RotationSummary {
  trigger: RotationTrigger['detail-type'];
  tenants: number;
  rotated: number;
  reencrypted: number;
  rewrapped: number;
  due: number;
  /** Deleted environments past their recovery window, purged by a scheduled run. */
  purged: number;
  failed: string[];
}

const DAY_MS = 86_400_000;

export async function runRotation(
  deps: RotationDeps,
  trigger: RotationTrigger,
  onProgress?: RotationProgress,
): Promise<RotationSummary> {
  const summary: RotationSummary = {
    trigger: trigger['detail-type'],
    tenants: 0,
    rotated: 0,
    reencrypted: 0,
    rewrapped: 0,
    due: 0,
    purged: 0,
    failed: [],
  };
  // The daily run also purges environments past their recovery window, before rotation would
  // reach their keys.
  if (trigger['detail-type'] === 'Scheduled Event') summary.purged = await purgeDeletedEnvironments(deps);
  const targetKeyArn = await currentKmsKeyArn(deps);
  const now = deps.clock.now().getTime();

  const toRotate = new Set<string>();
  if (trigger['detail-type'] === 'RotateTenantKey') toRotate.add(trigger.detail.tenant);
  else if (trigger['detail-type'] === 'RotateAll') {
    for (const tenant of await dataKeyItem.tenantsWith(deps, 'active')) toRotate.add(tenant);
    for (const tenant of await dataKeyItem.tenantsWith(deps, 'retiring')) toRotate.add(tenant);
  } else {
    // Scheduled: resume interrupted rotations, rotate keys past their age.
    for (const tenant of await dataKeyItem.tenantsWith(deps, 'retiring')) toRotate.add(tenant);
    const cutoff = new Date(now - deps.config.keyMaxAgeDays * DAY_MS).toISOString();
    for (const tenant of await dataKeyItem.tenantsWith(deps, 'active', cutoff)) toRotate.add(tenant);
  }

  const everyTenant = trigger['detail-type'] === 'RotateTenantKey' ? [...toRotate] : await allTenants(deps);
  for (const tenant of new Set([...everyTenant, ...toRotate])) {
    summary.tenants++;
    try {
      summary.rewrapped += await rewrapTenantDataKeys(deps, tenant, targetKeyArn);
      if (toRotate.has(tenant)) {
        const result: TenantRotation = await rotateTenantKey(deps, tenant, { rotationId: trigger.id, onProgress });
        if (result.outcome === 'rotated') summary.rotated++;
        summary.reencrypted += result.reencrypted;
      }
      if (trigger['detail-type'] === 'Scheduled Event') summary.due += await announceDueSecrets(deps, tenant, now);
    } catch (error) {
      // One tenant's failure must not stop the others; the run still fails so it is retried.
      summary.failed.push(tenant);
      logger.error('tenant rotation failed', { tenant, error: error instanceof Error ? error.name : 'unknown' });
    }
  }
  logger.info('rotation finished', { ...summary, failed: summary.failed });
  return summary;
}

async function allTenants(deps: RotationDeps): Promise<string[]> {
  return [
    ...new Set([
      ...(await dataKeyItem.tenantsWith(deps, 'active')),
      ...(await dataKeyItem.tenantsWith(deps, 'retiring')),
    ]),
  ];
}

/** Emits `SecretRotationDue` for each value unchanged for longer than the configured age. */
async function announceDueSecrets(deps: RotationDeps, tenant: string, now: number): Promise<number> {
  const due: RotationEvent[] = [];
  for (const item of await valueItem.ages(deps, tenant)) {
    const updatedAt = item.updated_at ?? item.updatedAt;
    const ageDays = updatedAt ? Math.floor((now - Date.parse(updatedAt)) / DAY_MS) : 0;
    if (ageDays < deps.config.secretMaxAgeDays) continue;
    const recordId = sealedRecordId(item.SK);
    due.push({
      type: 'SecretRotationDue',
      detail: { tenant, recordId, name: item.name ?? recordId, updatedAt: updatedAt!, ageDays },
    });
  }
  await deps.events.publish(due);
  return due.length;
}
