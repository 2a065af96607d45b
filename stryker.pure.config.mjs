// @ts-check
import store from './stryker.config.mjs';

/**
 * Mutation testing of the pure modules (names, crypto format, errors, validation, keys,
 * cursors, transactions) by the unit tests alone, module-level tables included: a whole unit
 * run takes a second, so every static mutant can afford one. Run with MUTATION_TESTS=unit
 * (`npm run mutation` sets it), which leaves the integration project out.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  ...store,
  mutate: [
    'lib/clock.ts',
    'lib/config.ts',
    'lib/crypto/envelope.ts',
    'lib/environments/access.ts',
    'lib/http/envelopes.ts',
    'lib/http/route-match.ts',
    'lib/errors.ts',
    'lib/http/upstream-errors.ts',
    'lib/fields.ts',
    'lib/http/validation.ts',
    'lib/precondition.ts',
    'lib/secrets/masking.ts',
    'lib/secrets/names.ts',
    'lib/secrets/presets.ts',
    'lib/store/cursor.ts',
    'lib/store/page-query.ts',
    'lib/store/expressions.ts',
    'lib/store/keys.ts',
    'lib/store/records.ts',
    'lib/store/transactions.ts',
  ],
  ignoreStatic: false,
  jsonReporter: { fileName: 'reports/mutation/pure.json' },
  htmlReporter: { fileName: 'reports/mutation/pure.html' },
};
