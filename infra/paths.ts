import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the project and its handler modules are, for the gateway, the CDK stacks and the bench. */
export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The handler module of one function: `functions/<name>/handler.ts`. */
export function functionEntry(functionName: string): string {
  return join(PROJECT_ROOT, 'functions', functionName, 'handler.ts');
}
