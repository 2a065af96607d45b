// @ts-check
/**
 * Mutation testing of the code that reads and writes the table or talks to KMS, scored by the
 * unit and integration tests together (`npm run mutation`, see docs/testing.md). Mutants of
 * module-level constants would each need the whole suite rerun; those constants are tables of
 * pure modules, mutated with their statics in stryker.pure.config.mjs.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  // Integration tests reach the handlers over HTTP, not by import, so "related" would miss them.
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: [
    'lib/audit/audit.ts',
    'lib/crypto/keyring.ts',
    'lib/environments/environments.ts',
    'lib/environments/errors.ts',
    'lib/environments/members.ts',
    'lib/http/environment-responses.ts',
    'lib/http/idempotency.ts',
    'lib/idempotency/idempotency.ts',
    'lib/quota/quota.ts',
    'lib/environments/environment-requests.ts',
    'lib/environments/free-text.ts',
    'lib/environments/paths.ts',
    'lib/environments/schemas.ts',
    'lib/environments/secret-requests.ts',
    'lib/environments/secrets.ts',
    'lib/environments/values.ts',
    'lib/http/user-secret-responses.ts',
    'lib/secrets/user-secret-schemas.ts',
    'lib/secrets/user-secrets.ts',
    'lib/store/counted-page.ts',
    'lib/store/items/*.ts',
    'lib/store/tenant-items.ts',
  ],
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 30_000,
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/store.json' },
  htmlReporter: { fileName: 'reports/mutation/store.html' },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
};
