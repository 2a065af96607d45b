import { defineConfig } from 'vitest/config';

/**
 * Four projects: fast unit tests; the typed client's and the CLI's own tests (`cli`);
 * integration tests over real HTTP against the local stack (one DynamoDB Local for the run,
 * a table and gateway per file); CDK template tests, which share one synthesis of the whole
 * app and so get a longer timeout of their own.
 */
// The Lambda runtime is Node 22; the SDK's notice about older Node versions is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: '.test-results.json' }]],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // The typed client and the `secrets` CLI on their own (fake transports, temp dirs); their
      // runs against the local stack are integration tests (test/integration/cli-*.test.ts).
      { test: { name: 'cli', include: ['test/cli/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-dynamodb.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          env: { LOG_LEVEL: 'silent' },
        },
      },
      {
        test: {
          name: 'cdk',
          include: ['test/cdk/**/*.test.ts'],
          // One worker, no isolation: the files share one synthesized app (test/cdk/fixture.ts).
          isolate: false,
          fileParallelism: false,
          globalSetup: ['test/support/cdk-outdir.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
