import { JAVA_PACKAGE_HINT } from './dynamodb.js';
import { startLocalStack } from './stack.js';

/** `npm start`: the whole service on this machine, no AWS account and no Docker. */
// The Lambda runtime is Node 22; this machine may run Node 20, which the SDK warns about.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const port = Number(process.env.PORT ?? 3000);
try {
  const stack = await startLocalStack({
    port,
    dataDir: process.env.DATA_DIR,
    dynamoDbPort: Number(process.env.DYNAMODB_PORT ?? 8000),
    kmsPort: Number(process.env.KMS_PORT ?? 0),
  });
  process.stdout.write(
    [
      `secrets service listening on ${stack.url}`,
      `  data:   ${stack.dataDir} (DynamoDB Local at ${stack.dynamoDbEndpoint}, local KMS at ${stack.kms.endpoint})`,
      '  token:  npm run --silent token -- --sub alice [--scope secrets:inject]',
      '',
    ].join('\n'),
  );
  const shutdown = async () => {
    await stack.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Could not start the local stack: ${message}\n`);
  if (/java/i.test(message) && !message.includes(JAVA_PACKAGE_HINT)) process.stderr.write(`${JAVA_PACKAGE_HINT}\n`);
  process.exit(1);
}
