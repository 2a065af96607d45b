import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/** One directory for the cdk project's cloud assemblies (bundles included), removed after the run. */
export default function setup(project: TestProject) {
  const root = mkdtempSync(join(tmpdir(), 'secrets-cdk-'));
  project.provide('cdkOutRoot', root);
  return () => rmSync(root, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    cdkOutRoot: string;
  }
}
