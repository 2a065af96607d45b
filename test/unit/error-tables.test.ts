import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/paths.js';
import { ENVIRONMENT_ERROR_CODES, V1_ERROR_TYPES } from '../../lib/errors.js';

const reference = readFileSync(join(PROJECT_ROOT, 'docs', 'api.md'), 'utf8');

/** The backticked names in the second column of the first table after `heading`. */
function tableColumn(heading: string): string[] {
  const start = reference.indexOf(heading);
  expect(start, `docs/api.md has "${heading}"`).toBeGreaterThanOrEqual(0);
  const lines = reference.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows = lines.slice(first + 2);
  const table = rows.slice(
    0,
    rows.findIndex((line) => !line.startsWith('|')),
  );
  return table.flatMap((row) => [...(row.split('|')[2] ?? '').matchAll(/`([^`]+)`/g)].map((match) => match[1]!));
}

describe("the API reference's error tables", () => {
  it('list exactly the v1 error types the code can render', () => {
    expect(tableColumn('Error types (`type` in the v1 envelope').sort()).toEqual([...V1_ERROR_TYPES].sort());
  });

  it('list exactly the environments error codes the code can render', () => {
    expect(tableColumn('### Error codes').sort()).toEqual([...ENVIRONMENT_ERROR_CODES].sort());
  });
});
