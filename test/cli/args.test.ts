import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../cli/args.js';
import { parseDuration } from '../../cli/duration.js';
import { UsageError } from '../../cli/exit-codes.js';

describe('parseArgs', () => {
  const spec = { env: 'string', fallback: 'boolean', 'dry-run': 'boolean' } as const;

  it('reads flags, values, negations and what follows --', () => {
    expect(
      parseArgs(['a', '--env', 'x', '--dry-run', '--no-fallback', '--json', 'b', '--', '--env', 'y'], spec),
    ).toEqual({
      positionals: ['a', 'b'],
      options: { env: 'x', 'dry-run': true, fallback: false, json: true },
      rest: ['--env', 'y'],
    });
    expect(parseArgs(['--env=a=b', '-'], spec).options.env).toBe('a=b');
    expect(parseArgs(['-'], spec).positionals).toEqual(['-']);
  });

  it('stops at the first positional when asked (the command of `run`)', () => {
    expect(parseArgs(['--env', 'x', 'node', '--inspect', 'app.js'], spec, { stopAtPositional: true })).toEqual({
      positionals: [],
      options: { env: 'x' },
      rest: ['node', '--inspect', 'app.js'],
    });
  });

  it('refuses unknown options, missing values and values for flags', () => {
    expect(() => parseArgs(['--nope'], spec)).toThrow(UsageError);
    expect(() => parseArgs(['-x'], spec)).toThrow(UsageError);
    expect(() => parseArgs(['--env'], spec)).toThrow('needs a value');
    expect(() => parseArgs(['--dry-run=yes'], spec)).toThrow('takes no value');
    expect(() => parseArgs(['--no-env'], spec)).toThrow(UsageError);
  });
});

describe('parseDuration', () => {
  it('reads units and sums', () => {
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('2w')).toBe(1_209_600_000);
  });

  it('refuses anything else', () => {
    for (const text of ['', 'soon', '1x', '1h junk', '-5m', '1.5h'])
      expect(() => parseDuration(text)).toThrow(UsageError);
  });
});
