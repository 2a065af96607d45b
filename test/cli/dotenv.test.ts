import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDotenv, formatJson, formatShell, parseDotenv } from '../../cli/dotenv.js';

const asObject = (text: string) =>
  Object.fromEntries(parseDotenv(text).entries.map((entry) => [entry.key, entry.value]));

describe('parseDotenv', () => {
  it('reads the common dialect', () => {
    const parsed = parseDotenv(
      [
        '\uFEFF# comment',
        '',
        'PLAIN=value',
        'export EXPORTED=yes',
        '  SPACED  =  padded value  ',
        'INLINE=abc # comment',
        'HASH=abc#not-a-comment',
        'EMPTY=',
        "SINGLE='$HOME \\n stays'",
        'DOUBLE="a\\nb\\t\\"c\\" \\\\ \\$d"',
        'MULTI="one',
        'two"',
        'BACKTICK=`x "y" \'z\'`',
        'AFTER=1',
      ].join('\r\n'),
    );
    expect(parsed.problems).toEqual([]);
    expect(Object.fromEntries(parsed.entries.map((entry) => [entry.key, [entry.value, entry.line]]))).toEqual({
      PLAIN: ['value', 3],
      EXPORTED: ['yes', 4],
      SPACED: ['padded value', 5],
      INLINE: ['abc', 6],
      HASH: ['abc#not-a-comment', 7],
      EMPTY: ['', 8],
      SINGLE: ['$HOME \\n stays', 9],
      DOUBLE: ['a\nb\t"c" \\ $d', 10],
      MULTI: ['one\ntwo', 11],
      BACKTICK: [`x "y" 'z'`, 13],
      AFTER: ['1', 14],
    });
  });

  it('names the lines it cannot read, and keys given twice', () => {
    const { entries, problems } = parseDotenv('A=1\nnot a line\nA=2\nB="open\n');
    expect(entries.map((entry) => [entry.key, entry.value])).toEqual([['A', '2']]);
    expect(problems).toEqual([
      { line: 2, message: 'not a KEY=value line: "not a line"' },
      { line: 3, message: 'A is set again; the last value is used' },
      { line: 4, message: 'B: the " quote is never closed' },
    ]);
  });
});

const envArbitrary = fc.dictionary(
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  { maxKeys: 6 },
);

describe('formats', () => {
  it('writes dotenv that reads back to the same values', () => {
    fc.assert(
      fc.property(envArbitrary, (env) => {
        expect(asObject(formatDotenv(env))).toEqual(env);
      }),
      { numRuns: 300 },
    );
  });

  it('writes JSON sorted by key', () => {
    expect(formatJson({ B: '2', A: '1' })).toBe('{\n  "A": "1",\n  "B": "2"\n}\n');
  });

  it('writes shell that sh evaluates to the same values', () => {
    const env = { PLAIN: 'abc', QUOTES: `it's "x" $HOME \`y\` \\`, LINES: 'a\nb', EMPTYISH: ' ' };
    const printed = execFileSync(
      'sh',
      [
        '-c',
        `eval "$(cat)"; node -e 'console.log(JSON.stringify(Object.fromEntries(${JSON.stringify(Object.keys(env))}.map((k) => [k, process.env[k]]))))'`,
      ],
      { input: formatShell(env), encoding: 'utf8' },
    );
    expect(JSON.parse(printed)).toEqual(env);
  });
});
