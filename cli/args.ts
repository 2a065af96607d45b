import { UsageError } from './exit-codes.js';

/** Options a command takes: a flag, or an option with a value (`--format json` or `--format=json`). */
export type OptionSpec = Record<string, 'boolean' | 'string'>;

export interface ParsedArgs {
  positionals: string[];
  options: Record<string, string | boolean>;
  /** What follows `--` (or, with `stopAtPositional`, the first positional and everything after it). */
  rest: string[] | undefined;
}

/** Flags every command takes. */
export const GLOBAL_OPTIONS: OptionSpec = { json: 'boolean', help: 'boolean' };

/**
 * A small, strict argv parser: unknown options are usage errors (exit 2), `--no-<flag>` turns a
 * flag off, and values never come from anywhere but the option that names them.
 */
export function parseArgs(
  argv: readonly string[],
  spec: OptionSpec,
  { stopAtPositional = false, command = 'secrets' }: { stopAtPositional?: boolean; command?: string } = {},
): ParsedArgs {
  const all: OptionSpec = { ...GLOBAL_OPTIONS, ...spec };
  const positionals: string[] = [];
  const options: Record<string, string | boolean> = {};
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') return { positionals, options, rest: argv.slice(index + 1) };
    if (arg === '-h') {
      options.help = true;
      continue;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg} for "${command}"`);
      if (stopAtPositional) return { positionals, options, rest: argv.slice(index) };
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const kind = all[name];
    if (kind === 'string') {
      const value = inline ?? argv[++index];
      if (value === undefined) throw new UsageError(`option --${name} needs a value`);
      options[name] = value;
    } else if (kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`option --${name} takes no value`);
      options[name] = true;
    } else if (name.startsWith('no-') && all[name.slice(3)] === 'boolean' && inline === undefined) {
      options[name.slice(3)] = false;
    } else {
      throw new UsageError(`unknown option --${name} for "${command}"`);
    }
  }
  return { positionals, options, rest: undefined };
}
