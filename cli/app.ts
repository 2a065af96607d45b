import {
  ApiError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  ServerError,
  UnauthorizedError,
} from '../client/errors.js';
import { parseArgs } from './args.js';
import {
  envCreate,
  envLs,
  envRm,
  envSecretsLs,
  envSecretsRm,
  envSecretsRollback,
  envSecretsSet,
  envSecretsVersions,
  envTokensCreate,
  envTokensLs,
  envTokensRevoke,
  membersLs,
  membersRm,
  membersSet,
} from './commands/environments.js';
import { run } from './commands/run.js';
import { login, logout, status } from './commands/session.js';
import { type Command, VERSION } from './commands/shared.js';
import { exportCommand, importCommand } from './commands/transfer.js';
import { ls, preset, restore, rm, rollback, set, versions } from './commands/user.js';
import { CliError, EXIT, UsageError } from './exit-codes.js';
import { err, out } from './io.js';

/** The `secrets` commands, their dispatch and how failures become exit codes (docs/cli.md). */
type Tree = { [word: string]: Command | Tree };

const COMMANDS: Tree = {
  login,
  logout,
  status,
  set,
  preset,
  ls,
  rm,
  restore,
  versions,
  rollback,
  import: importCommand,
  export: exportCommand,
  run,
  env: {
    ls: envLs,
    create: envCreate,
    rm: envRm,
    secrets: {
      ls: envSecretsLs,
      set: envSecretsSet,
      rm: envSecretsRm,
      versions: envSecretsVersions,
      rollback: envSecretsRollback,
    },
    tokens: { ls: envTokensLs, create: envTokensCreate, revoke: envTokensRevoke },
  },
  members: { ls: membersLs, set: membersSet, rm: membersRm },
};

const isCommand = (node: Command | Tree | undefined): node is Command =>
  typeof (node as Command | undefined)?.run === 'function';

function helpOf(node: Tree, path: string[]): string {
  const lines: string[] = [];
  const walk = (tree: Tree) => {
    for (const child of Object.values(tree)) {
      if (isCommand(child)) lines.push(`  ${child.usage.split('   ')[0]}\n      ${child.summary}`);
      else walk(child);
    }
  };
  walk(node);
  const head =
    path.length === 0 ? `secrets ${VERSION} — the secrets service from the command line\n\nCommands:` : 'Commands:';
  return `${head}\n${lines.join('\n')}\n
Global options: --json (machine-readable output), --help.
Connection: SECRETS_URL and SECRETS_TOKEN override the config of \`secrets login\`.
Exit codes: 0 ok, 1 failure, 2 usage, 3 auth (401/403), 4 not found, 5 service unreachable.`;
}

export async function main(argv: string[]): Promise<number> {
  // Find the command: words that walk the tree; flags before it are only --json/--help/--version.
  let node: Command | Tree = COMMANDS;
  const path: string[] = [];
  const leading: string[] = [];
  let index = 0;
  for (; index < argv.length && !isCommand(node); index++) {
    const word = argv[index]!;
    if (word === '--version' || word === '-v') {
      out(VERSION);
      return EXIT.ok;
    }
    if (word.startsWith('-')) {
      if (!['--json', '--help', '-h'].includes(word))
        throw new UsageError(`unknown option ${word}`, 'see: secrets --help');
      leading.push(word);
      continue;
    }
    const next: Command | Tree | undefined = (node as Tree)[word];
    if (!next) {
      throw new UsageError(
        `unknown command: ${[...path, word].join(' ')}`,
        `commands: ${Object.keys(node).join(', ')} (see: secrets ${path.join(' ')}${path.length ? ' ' : ''}--help)`,
      );
    }
    node = next;
    path.push(word);
  }
  if (!isCommand(node)) {
    const help = helpOf(node, path);
    if (leading.includes('--help') || leading.includes('-h')) {
      out(help);
      return EXIT.ok;
    }
    err(help);
    return EXIT.usage;
  }
  const command = node;
  const parsed = parseArgs([...leading, ...argv.slice(index)], command.options ?? {}, {
    stopAtPositional: command.stopAtPositional,
    command: `secrets ${path.join(' ')}`,
  });
  if (parsed.options.help) {
    out(`usage: ${command.usage}\n\n${command.summary}`);
    return EXIT.ok;
  }
  const { json = false, help: _help, ...options } = parsed.options;
  return (await command.run({ args: parsed.positionals, options, rest: parsed.rest, json: json === true })) ?? EXIT.ok;
}

/** One line (and a hint) for any failure, and the exit code that classifies it. */
export function report(error: unknown): number {
  const line = (message: string, code: number, hint?: string) => {
    err(`secrets: ${message}`);
    if (hint) err(`  ${hint}`);
    return code;
  };
  if (error instanceof CliError) return line(error.message, error.exitCode, error.hint);
  if (error instanceof NetworkError) {
    return line(
      `cannot reach the service: ${error.message}`,
      EXIT.network,
      'check SECRETS_URL or `secrets login --url`, and that the service runs',
    );
  }
  if (error instanceof ApiError) {
    const where = error.requestId ? ` (request ${error.requestId})` : '';
    const field = error.field ? ` [${error.field}]` : '';
    const said = `${error.status} ${error.code}: ${error.detail}${field}${where}`;
    if (error instanceof UnauthorizedError) {
      return line(
        `the service refused the token: ${said}`,
        EXIT.auth,
        'log in again: secrets login (or set SECRETS_TOKEN)',
      );
    }
    if (error instanceof ForbiddenError) {
      const scope = /scope|inject/i.test(error.detail)
        ? 'this needs a token with the secrets:inject scope'
        : error.hint;
      return line(`not allowed: ${said}`, EXIT.auth, scope);
    }
    if (error instanceof NotFoundError) return line(`not found: ${said}`, EXIT.notFound, error.hint);
    if (error instanceof ServerError) return line(`the service failed: ${said}`, EXIT.network, 'try again shortly');
    if (error.status === 426) return line(`this CLI is too old for the service: ${said}`, EXIT.failure);
    return line(said, EXIT.failure, error.hint);
  }
  return line(
    `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    EXIT.failure,
  );
}
