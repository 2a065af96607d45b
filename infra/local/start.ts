import { JAVA_PACKAGE_HINT } from './dynamodb.js';
import { assertPortFree, PortInUseError } from './ports.js';
import { isAlive, jobAncestors } from './processes.js';
import { checkoutRecordFile, liveRecord, removeRecord, writeRecord } from './running-stack.js';
import { DEFAULT_DATA_DIR, type LocalStack, startLocalStack } from './stack.js';

/**
 * `npm start`: the whole service on this machine, no AWS account and no Docker. It runs until
 * SIGINT, SIGTERM or SIGHUP (or until the process that started it is gone), then stops the
 * gateway, the local KMS and DynamoDB Local and exits 0.
 */
// The Lambda runtime is Node 22; this machine may run Node 20, which the SDK warns about.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Asked for from the first moment: a signal during the start stops the stack once it is up.
const stopRequested = new Promise<void>((resolve) => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => resolve());
  // A SIGTERM to npm does not reach us: npm passes it to `sh -c`, which dies of it without
  // passing it on. So the stack also stops when npm, sh or tsx is gone.
  const startedThrough = jobAncestors();
  setInterval(() => !startedThrough.every(isAlive) && resolve(), 1000).unref();
});

const PORT_SETTINGS = {
  PORT: process.env.PORT ?? '3000',
  DYNAMODB_PORT: process.env.DYNAMODB_PORT ?? '8000',
  KMS_PORT: process.env.KMS_PORT ?? '0',
};
const ports = Object.fromEntries(
  Object.entries(PORT_SETTINGS).map(([name, value]) => {
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      fail(`${name}=${value} is not a port number (0 to 65535)`);
    return [name, port];
  }),
) as Record<keyof typeof PORT_SETTINGS, number>;
const named = new Map<number, string>();
for (const [name, port] of Object.entries(ports)) {
  const other = named.get(port);
  if (other) fail(`${other} and ${name} are both ${port}; give each its own port`);
  if (port !== 0) named.set(port, name);
}

let stack: LocalStack;
try {
  stack = await startLocalStack({
    port: ports.PORT,
    dataDir: process.env.DATA_DIR ?? DEFAULT_DATA_DIR,
    dynamoDbPort: ports.DYNAMODB_PORT,
    kmsPort: ports.KMS_PORT,
  });
} catch (error) {
  if (error instanceof PortInUseError) {
    process.stderr.write(`${await portInUse(error.port)}\n`);
    process.exit(1);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/java/i.test(message) && !message.includes(JAVA_PACKAGE_HINT)) fail(`${message}\n${JAVA_PACKAGE_HINT}`);
  fail(message);
}

// The checkout's record is how `npm run token` and `npm run rotate` find this stack. A stack
// already recorded and still running keeps it; this one is then reached with DATA_DIR.
const recordFile = checkoutRecordFile();
const recordedElsewhere = liveRecord(recordFile);
if (!recordedElsewhere) writeRecord(recordFile, stack.record);
process.stdout.write(
  [
    `secrets service listening on ${stack.url}`,
    `  data:   ${stack.dataDir} (DynamoDB Local at ${stack.dynamoDbEndpoint}, local KMS at ${stack.kms.endpoint})`,
    `  events: ${stack.eventsFile} (${stack.dataDir === DEFAULT_DATA_DIR ? '' : `DATA_DIR=${stack.dataDir} `}npm run events -- --follow)`,
    recordedElsewhere
      ? `  token:  DATA_DIR=${stack.dataDir} npm run --silent token -- --sub alice (without DATA_DIR, tools reach the stack of process ${recordedElsewhere.process.pid})`
      : '  token:  npm run --silent token -- --sub alice [--scope secrets:inject]',
    '',
  ].join('\n'),
);

await stopRequested;
removeRecord(recordFile, stack.record.process);
await stack.stop();
process.exit(0);

/** One line naming the setting to change, with a port that is free now. */
async function portInUse(port: number): Promise<string> {
  const name = named.get(port) ?? 'PORT';
  const isFree = (candidate: number) =>
    assertPortFree(candidate, '0.0.0.0').then(
      () => true,
      () => false,
    );
  let suggestion = port + 1;
  while (suggestion < port + 20 && !(await isFree(suggestion))) suggestion++;
  return `Port ${port} is in use (${name}); stop what uses it or start with ${name}=${suggestion} npm start`;
}

function fail(message: string): never {
  process.stderr.write(`Could not start the local stack: ${message}\n`);
  process.exit(1);
}
