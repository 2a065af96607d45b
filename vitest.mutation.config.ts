import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import base from './vitest.config.js';

/**
 * What `npm run mutation` runs against each mutant: the unit and integration projects, or only
 * `unit` when MUTATION_TESTS=unit (the pure modules' run: no DynamoDB Local to start per run).
 * The CDK template tests are left out; they synthesize infrastructure, not `lib/` logic.
 */
const wanted = process.env.MUTATION_TESTS === 'unit' ? ['unit'] : ['unit', 'integration'];
const projects = (base.test?.projects ?? []) as TestProjectInlineConfiguration[];

export default defineConfig({
  test: {
    ...base.test,
    reporters: ['default'],
    projects: projects.filter((project) => wanted.includes(String(project.test?.name))),
  },
});
