import { describe, expect, it } from 'vitest';
import { MAX_VALUE_BYTES, secretValueSchema, variableNameSchema } from '../../lib/secrets/names.js';

const accepts = (name: string) => variableNameSchema.safeParse(name).success;
const firstMessage = (name: string) => variableNameSchema.safeParse(name).error?.issues[0]?.message;

describe('variable names', () => {
  it('accepts names a shell can export, up to 128 characters', () => {
    for (const name of ['A', '_', 'a1', 'OPENAI_API_KEY', '_private', 'x'.repeat(128)])
      expect(accepts(name)).toBe(true);
  });

  it('refuses anything a shell could not export, anywhere in the name', () => {
    for (const name of ['', '1A', 'A-B', 'FOO=1', 'A B', 'A.B', 'ÄPFEL', 'A\n', ' A', 'x'.repeat(129)]) {
      expect(accepts(name), name).toBe(false);
    }
    expect(firstMessage('A-B')).toMatch(/letters, digits and underscores/);
  });

  it.each([
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
    'LD_PRELOAD',
    'DYLD_INSERT_LIBRARIES',
    'AWS_LAMBDA_RUNTIME_API',
  ])('reserves %s, in any case, with a message that says why', (name) => {
    expect(accepts(name)).toBe(false);
    expect(accepts(name.toLowerCase())).toBe(false);
    expect(firstMessage(name)).toMatch(/reserved/);
  });

  it('reserves only the exact names and the prefixes, not names that contain them', () => {
    for (const name of ['ENVIRONMENT', 'MY_HOME', 'SHELLCHECK', 'XLD_PRELOAD', 'AWS_LAMBDA', 'RUBYOPTS'])
      expect(accepts(name), name).toBe(true);
  });

  it('reports one problem for a reserved name', () => {
    expect(variableNameSchema.safeParse('PATH').error?.issues).toHaveLength(1);
  });
});

describe('secret values', () => {
  const accepted = (value: string) => secretValueSchema.safeParse(value).success;

  it('accepts 1 byte up to exactly 64 KiB of UTF-8', () => {
    expect(accepted('x')).toBe(true);
    expect(accepted('x'.repeat(MAX_VALUE_BYTES))).toBe(true);
    expect(accepted('€'.repeat(MAX_VALUE_BYTES / 4) + 'x'.repeat(MAX_VALUE_BYTES / 4))).toBe(true);
  });

  it('refuses the empty value and one byte over, counting UTF-8 bytes', () => {
    expect(accepted('')).toBe(false);
    expect(accepted('x'.repeat(MAX_VALUE_BYTES + 1))).toBe(false);
    expect(accepted(`${'é'.repeat(MAX_VALUE_BYTES / 2)}x`)).toBe(false);
    expect(secretValueSchema.safeParse('').error?.issues[0]?.message).toMatch(/1 byte and 64 KiB/);
  });
});
