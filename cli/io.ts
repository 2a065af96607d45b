import { CliError, EXIT } from './exit-codes.js';

/** Where the CLI writes; tests and the run command use the process's own streams. */
export const out = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};
export const err = (text: string): void => {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
};
export const printJson = (value: unknown): void => out(JSON.stringify(value, null, 2));
export const warn = (text: string): void => err(`secrets: warning: ${text}`);

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** All of stdin as text. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A value from stdin when it is piped (one trailing newline dropped), else from a hidden prompt. */
export async function readSecretInput(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) return (await readStdin()).replace(/\r?\n$/, '');
  return promptHidden(prompt);
}

/** Reads a line from the terminal without echoing it. Ctrl-C cancels (exit 130). */
export function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || (char === '\u0004' && value !== '')) {
          finish();
          resolve(value);
          return;
        }
        if (char === '\u0003' || char === '\u0004') {
          finish();
          reject(new CliError('cancelled', 130));
          return;
        }
        if (char === '\u007f' || char === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (char === '\u0015') value = '';
        else if (char >= ' ') value += char;
      }
    };
    stdin.on('data', onData);
  });
}

/** A one-line progress bar on a terminal's stderr; nothing when stderr is not a terminal. */
export function progressBar(total: number, label: string): { tick(item: string): void; done(): void } {
  if (!process.stderr.isTTY || total === 0) return { tick() {}, done() {} };
  let count = 0;
  const width = 24;
  const draw = (item: string) => {
    const filled = Math.round((count / total) * width);
    const columns = process.stderr.columns ?? 80;
    const text = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count}/${total} ${item}`;
    process.stderr.write(`\r\u001b[2K${text.slice(0, columns - 1)}`);
  };
  draw('');
  return {
    tick(item) {
      count++;
      draw(item);
    },
    done() {
      process.stderr.write('\r\u001b[2K');
    },
  };
}

export function requireArgs(positionals: string[], names: string[], usage: string): string[] {
  if (positionals.length < names.length) {
    throw new CliError(`missing ${names.slice(positionals.length).join(', ')}`, EXIT.usage, `usage: ${usage}`);
  }
  if (positionals.length > names.length) {
    throw new CliError(
      `unexpected argument ${JSON.stringify(positionals[names.length])}`,
      EXIT.usage,
      `usage: ${usage}`,
    );
  }
  return positionals;
}
