/**
 * `.env` files: what `import` reads and `export --format dotenv` writes. The parser takes the
 * common dialect (comments, `export ` prefixes, single, double and backtick quotes, multi-line
 * quoted values, `\n`-style escapes inside double quotes); it never expands `$VARIABLES`, so a
 * value arrives exactly as written. Whatever `formatDotenv` writes parses back to the same values.
 */
export interface DotenvEntry {
  key: string;
  value: string;
  line: number;
}

export interface ParsedDotenv {
  entries: DotenvEntry[];
  /** Lines that are not `KEY=value`, and keys given twice (the last one wins). */
  problems: { line: number; message: string }[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const DOUBLE_QUOTED_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' };

export function parseDotenv(text: string): ParsedDotenv {
  const source = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const entries = new Map<string, DotenvEntry>();
  const problems: ParsedDotenv['problems'] = [];
  let position = 0;
  let line = 1;
  while (position < source.length) {
    const end = source.indexOf('\n', position);
    const lineEnd = end < 0 ? source.length : end;
    const raw = source.slice(position, lineEnd);
    const startLine = line;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      position = lineEnd + 1;
      line++;
      continue;
    }
    const match = /^\s*(?:export\s+)?([^=\s]+)\s*=\s*/.exec(raw);
    if (!match || !KEY.test(match[1]!)) {
      problems.push({ line: startLine, message: `not a KEY=value line: ${JSON.stringify(truncate(trimmed))}` });
      position = lineEnd + 1;
      line++;
      continue;
    }
    const key = match[1]!;
    const valueStart = position + match[0].length;
    const quote = source[valueStart];
    let value: string;
    if (quote === '"' || quote === "'" || quote === '`') {
      const closing = findClosingQuote(source, valueStart + 1, quote);
      if (closing < 0) {
        problems.push({ line: startLine, message: `${key}: the ${quote} quote is never closed` });
        break;
      }
      const inner = source.slice(valueStart + 1, closing);
      value = quote === '"' ? unescapeDoubleQuoted(inner) : inner;
      line += countNewlines(inner);
      // Whatever follows the closing quote on its line may only be a comment.
      const after = source.indexOf('\n', closing);
      const tail = source.slice(closing + 1, after < 0 ? source.length : after).trim();
      if (tail !== '' && !tail.startsWith('#')) {
        problems.push({ line, message: `${key}: unexpected text after the closing quote` });
      }
      position = after < 0 ? source.length : after + 1;
      line++;
    } else {
      value = source
        .slice(valueStart, lineEnd)
        .replace(/\s+#.*$/, '')
        .trim();
      position = lineEnd + 1;
      line++;
    }
    if (entries.has(key)) problems.push({ line: startLine, message: `${key} is set again; the last value is used` });
    entries.delete(key);
    entries.set(key, { key, value, line: startLine });
  }
  return { entries: [...entries.values()], problems };
}

function findClosingQuote(source: string, from: number, quote: string): number {
  for (let index = from; index < source.length; index++) {
    if (quote === '"' && source[index] === '\\') {
      index++;
      continue;
    }
    if (source[index] === quote) return index;
  }
  return -1;
}

function unescapeDoubleQuoted(inner: string): string {
  return inner.replace(/\\(.)/gs, (whole, char: string) => DOUBLE_QUOTED_ESCAPES[char] ?? whole);
}

const countNewlines = (text: string): number => text.split('\n').length - 1;
const truncate = (text: string): string => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

/** `KEY='value'` where single quotes can hold it literally, else a double-quoted, escaped value. */
export function formatDotenv(env: Record<string, string>): string {
  return sortedEntries(env)
    .map(([key, value]) => `${key}=${quoteDotenv(value)}\n`)
    .join('');
}

function quoteDotenv(value: string): string {
  if (!/['\n\r]/.test(value)) return `'${value}'`;
  return `"${value.replace(/[\\"$\n\r\t]/g, (char) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[char] ?? `\\${char}`)}"`;
}

/** `export KEY='value'` lines for `eval "$(secrets export --format shell)"` (POSIX sh quoting). */
export function formatShell(env: Record<string, string>): string {
  return sortedEntries(env)
    .map(([key, value]) => `export ${key}='${value.replace(/'/g, `'\\''`)}'\n`)
    .join('');
}

export function formatJson(env: Record<string, string>): string {
  return `${JSON.stringify(Object.fromEntries(sortedEntries(env)), null, 2)}\n`;
}

const sortedEntries = (env: Record<string, string>): [string, string][] =>
  Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
