import * as z from 'zod/mini';

/**
 * Names become environment variable names in someone's runtime, so the ones that would let
 * a secret hijack that runtime (loader paths, interpreter options) are refused outright.
 * Matching ignores case: on Windows `Path` and `PATH` are the same variable.
 */
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const RESERVED_NAMES = new Set([
  'PATH',
  'NODE_OPTIONS',
  'PYTHONPATH',
  'PYTHONSTARTUP',
  'BASH_ENV',
  'ENV',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'PERL5OPT',
  'RUBYOPT',
  'HOME',
  'SHELL',
  'IFS',
]);
const RESERVED_PREFIXES = ['LD_', 'DYLD_', 'AWS_LAMBDA_'];

export function isReservedName(name: string): boolean {
  const upper = name.toUpperCase();
  return RESERVED_NAMES.has(upper) || RESERVED_PREFIXES.some((prefix) => upper.startsWith(prefix));
}

export const variableNameSchema = z.string().check(
  z.regex(NAME_PATTERN, {
    error: 'Must start with a letter or underscore and contain only letters, digits and underscores (at most 128)',
  }),
  z.refine((name) => !isReservedName(name), {
    error: 'This name would override a runtime setting (such as PATH or LD_PRELOAD) and is reserved',
  }),
);

export const MAX_VALUE_BYTES = 64 * 1024;

/** A UTF-16 half of a pair standing alone: no Unicode text holds one, and UTF-8 cannot encode it. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Text that UTF-8 can carry unaltered: it holds no lone surrogate (such as `\ud800`). */
export const isWellFormedText = (text: string): boolean => !LONE_SURROGATE.test(text);

/** A secret value: 1 byte to 64 KiB of UTF-8, refused (never altered) if it is not valid Unicode. */
export const secretValueSchema = z.string().check(
  z.refine((value) => value.length > 0 && Buffer.byteLength(value) <= MAX_VALUE_BYTES, {
    error: 'Value must be between 1 byte and 64 KiB of UTF-8',
  }),
  z.refine(isWellFormedText, {
    error: 'Value must be valid Unicode; it holds a lone surrogate (such as \\ud800)',
  }),
);
