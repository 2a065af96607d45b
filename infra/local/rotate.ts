import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { RotationEvent } from '../../lib/rotation/events.js';
import { findRunningStack } from './running-stack.js';
import { localServiceEnv } from './stack.js';

/**
 * `npm run rotate -- --tenant <USER#sub | ENV#id | sub> | --all`: sends the rotation function
 * the same EventBridge event shape it gets in AWS, against the running local stack, with a
 * progress bar on stderr and a summary on stdout.
 */
const USAGE = 'usage: npm run rotate -- --tenant <USER#sub | ENV#id | sub> | --all';
let values: { tenant?: string; all: boolean };
try {
  ({ values } = parseArgs({ options: { tenant: { type: 'string' }, all: { type: 'boolean', default: false } } }));
} catch {
  exitWith(2, USAGE);
}
if (Boolean(values.tenant) === values.all) exitWith(2, USAGE);
const stack = findRunningStack();
if ('notRunning' in stack) exitWith(1, stack.notRunning);
Object.assign(process.env, localServiceEnv(stack), { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Imported after the environment is set, as a Lambda's modules are.
const { rotationDeps } = await import('../../lib/app/process-deps.js');
const { createRotationHandler } = await import('../../lib/rotation/rotation-handler.js');

const published: RotationEvent[] = [];
const handler = createRotationHandler(rotationDeps({ publish: async (events) => void published.push(...events) }), {
  onProgress: ({ tenant, done, total }) => drawProgress(tenant, done, total),
});
const tenant = values.tenant && !values.tenant.includes('#') ? `USER#${values.tenant}` : values.tenant;
const event = tenant
  ? { id: randomUUID(), source: 'secrets.cli', 'detail-type': 'RotateTenantKey', detail: { tenant } }
  : { id: randomUUID(), source: 'secrets.cli', 'detail-type': 'RotateAll', detail: {} };

try {
  const summary = await handler(event);
  process.stderr.write('\n');
  for (const { type, detail } of published) process.stdout.write(`${type} ${JSON.stringify(detail)}\n`);
  process.stdout.write(
    `rotated ${summary.rotated} of ${summary.tenants} tenant(s); ${summary.reencrypted} value(s) re-encrypted; ${summary.rewrapped} data key(s) re-wrapped\n`,
  );
} catch (error) {
  process.stderr.write(`\nrotation failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

function exitWith(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function drawProgress(name: string, done: number, total: number) {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const line = `${name.padEnd(24).slice(0, 24)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
  else if (done === total) process.stderr.write(`${line}\n`);
}
