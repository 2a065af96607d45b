import { logger } from '../log.js';
import type { RotationDeps, RotationProgress } from './rotate-tenant.js';
import { type RotationSummary, RotationTriggerSchema, runRotation } from './run-rotation.js';

/**
 * The rotation function's handler. It throws on an event it cannot read and on a run with
 * failed tenants, so the invocation is retried and, after the retries, the event lands in the
 * dead-letter queue where its alarm makes it visible. Reruns are safe.
 */
export function createRotationHandler(deps: RotationDeps, options: { onProgress?: RotationProgress } = {}) {
  return async (event: unknown): Promise<RotationSummary> => {
    const trigger = RotationTriggerSchema.safeParse(event);
    if (!trigger.success) {
      const fields = trigger.error.issues.map((issue) => issue.path.join('.') || '(event)');
      logger.error('unreadable rotation event', { fields });
      throw new Error(`Unreadable rotation event at: ${fields.join(', ')}`);
    }
    const summary = await runRotation(deps, trigger.data, options.onProgress);
    if (summary.failed.length > 0)
      throw new Error(`Rotation failed for ${summary.failed.length} tenant(s); rerun to resume`);
    return summary;
  };
}
