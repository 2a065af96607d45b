import { rotationDeps } from '../../lib/app/process-deps.js';
import { createRotationHandler } from '../../lib/rotation/rotation-handler.js';

/** EventBridge target: the rotation schedule and the RotateTenantKey / RotateAll events. */
export const handler = createRotationHandler(rotationDeps());
