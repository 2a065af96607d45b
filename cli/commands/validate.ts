import { isReservedName, MAX_VALUE_BYTES, NAME_PATTERN } from '../../lib/secrets/names.js';
import { UsageError } from '../exit-codes.js';

/**
 * The service's own name and value rules (lib/secrets/names.ts, one copy), checked before
 * anything is sent so that `import --dry-run` can say what the service would refuse.
 */
export function nameProblem(name: string): string | undefined {
  if (!NAME_PATTERN.test(name)) {
    return 'must start with a letter or underscore and hold only letters, digits and underscores (at most 128)';
  }
  if (isReservedName(name)) return 'is reserved: it would override a runtime setting such as PATH or LD_PRELOAD';
  return undefined;
}

export function valueProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (Buffer.byteLength(value) > MAX_VALUE_BYTES) return `is over ${MAX_VALUE_BYTES / 1024} KiB`;
  return undefined;
}

export function checkName(name: string): string {
  const problem = nameProblem(name);
  if (problem) throw new UsageError(`${JSON.stringify(name)} ${problem}`);
  return name;
}

export function checkValue(name: string, value: string): string {
  const problem = valueProblem(value);
  if (problem) throw new UsageError(`the value of ${name} ${problem}`);
  return value;
}
