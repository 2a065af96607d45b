import { readFileSync } from 'node:fs';
import type { SecretsClient } from '../../client/client.js';
import { ForbiddenError, UnauthorizedError } from '../../client/errors.js';
import type { UserSecretMetadata } from '../../client/types.js';
import { resolveConnection } from '../config.js';
import { type DotenvEntry, formatDotenv, formatJson, formatShell, parseDotenv } from '../dotenv.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { err, out, printJson, progressBar, readStdin, requireArgs, warn } from '../io.js';
import { upsertEnvironmentSecret } from './environments.js';
import { fetchEnv, injectScope } from './inject.js';
import { allEnvironmentSecrets, allUserSecrets, type Command, connect, resolveEnvironment, using } from './shared.js';
import { upsertUserSecret } from './user.js';
import { nameProblem, valueProblem } from './validate.js';

type Planned =
  | { key: string; action: 'create' | 'update'; value: string; line: number }
  | { key: string; action: 'invalid'; problem: string; line: number };

interface Outcome {
  key: string;
  action: 'created' | 'updated' | 'failed' | 'invalid';
  error?: string;
}

/** How many writes an import keeps in flight. */
const IMPORT_CONCURRENCY = 4;

export const importCommand: Command = {
  usage: 'secrets import FILE.env [--env ENV] [--dry-run] [--provider SLUG] [--json]   (FILE may be - for stdin)',
  summary: 'create or update a secret for every KEY=value of a .env file',
  options: { env: 'string', 'dry-run': 'boolean', provider: 'string' },
  async run({ args, options, json }) {
    const [file] = requireArgs(args, ['FILE'], this.usage);
    const envRef = typeof options.env === 'string' ? options.env : undefined;
    const provider = typeof options.provider === 'string' ? options.provider : undefined;
    const dryRun = options['dry-run'] === true;
    const { entries, problems } = parseDotenv(await readSource(file!));
    const syntax = problems.filter((problem) => !problem.message.includes('is set again'));
    for (const problem of problems) warn(`${file}:${problem.line}: ${problem.message}`);
    if (syntax.length > 0) throw new UsageError(`${file} is not a .env file this CLI can read; nothing was imported`);
    if (entries.length === 0) throw new UsageError(`${file} holds no KEY=value lines`);

    return using(connect(), async (client) => {
      const environmentId = envRef === undefined ? undefined : await resolveEnvironment(client, envRef);
      // User secrets are updated by id; an environment's by key.
      const existing: Target =
        environmentId === undefined
          ? { kind: 'user', secrets: new Map((await allUserSecrets(client)).map((secret) => [secret.name, secret])) }
          : {
              kind: 'environment',
              id: environmentId,
              keys: new Set((await allEnvironmentSecrets(client, environmentId)).map((secret) => secret.key)),
            };
      const exists = (key: string) => (existing.kind === 'user' ? existing.secrets.has(key) : existing.keys.has(key));
      const plan = entries.map((entry) => planOf(entry, exists(entry.key)));
      const target = envRef === undefined ? 'your secrets' : `environment ${envRef}`;

      if (dryRun) {
        const invalid = plan.filter((item) => item.action === 'invalid').length;
        if (json) printJson({ dryRun: true, target, plan: plan.map(withoutValue) });
        else {
          for (const item of plan)
            out(`  ${item.action.padEnd(7)} ${item.key}${item.action === 'invalid' ? ` — ${item.problem}` : ''}`);
          out(
            `Dry run for ${target}: would create ${count(plan, 'create')}, update ${count(plan, 'update')}; ${invalid} invalid. Nothing was written.`,
          );
        }
        return invalid > 0 ? EXIT.failure : EXIT.ok;
      }

      const bar = json ? progressBar(0, '') : progressBar(plan.length, 'Importing');
      const outcomes: Outcome[] = new Array(plan.length);
      let next = 0;
      let fatal: unknown;
      const worker = async () => {
        while (next < plan.length && fatal === undefined) {
          const index = next++;
          const item = plan[index]!;
          outcomes[index] = await write(client, item, existing, provider).catch((error: unknown) => {
            // A refused token fails every write alike: stop instead of reporting each.
            if (error instanceof UnauthorizedError || error instanceof ForbiddenError) fatal ??= error;
            return { key: item.key, action: 'failed' as const, error: messageOf(error) };
          });
          bar.tick(item.key);
        }
      };
      await Promise.all(Array.from({ length: Math.min(IMPORT_CONCURRENCY, plan.length) }, worker));
      bar.done();
      if (fatal !== undefined) throw fatal;

      const done = outcomes.filter(Boolean);
      const failed = done.filter((outcome) => outcome.action === 'failed' || outcome.action === 'invalid');
      if (json) printJson({ dryRun: false, target, results: done });
      else {
        for (const outcome of failed)
          err(`  ${outcome.action === 'invalid' ? 'skipped' : 'failed '} ${outcome.key}: ${outcome.error}`);
        out(
          `Imported ${file} into ${target}: ${countOutcomes(done, 'created')} created, ${countOutcomes(done, 'updated')} updated, ${failed.length} failed.`,
        );
      }
      return failed.length > 0 ? EXIT.failure : EXIT.ok;
    });
  },
};

function planOf(entry: DotenvEntry, exists: boolean): Planned {
  const problem = nameProblem(entry.key) ?? (valueProblem(entry.value) && `its value ${valueProblem(entry.value)}`);
  if (problem) return { key: entry.key, action: 'invalid', problem, line: entry.line };
  return { key: entry.key, action: exists ? 'update' : 'create', value: entry.value, line: entry.line };
}

type Target =
  | { kind: 'user'; secrets: Map<string, UserSecretMetadata> }
  | { kind: 'environment'; id: string; keys: Set<string> };

async function write(
  client: SecretsClient,
  item: Planned,
  target: Target,
  provider: string | undefined,
): Promise<Outcome> {
  if (item.action === 'invalid') return { key: item.key, action: 'invalid', error: item.problem };
  const { action } =
    target.kind === 'user'
      ? await upsertUserSecret(client, target.secrets.get(item.key), { name: item.key, value: item.value, provider })
      : await upsertEnvironmentSecret(client, target.id, target.keys.has(item.key), {
          key: item.key,
          value: item.value,
        });
  return { key: item.key, action };
}

/** What a plan may show: never the value. */
const withoutValue = (item: Planned) =>
  item.action === 'invalid'
    ? { key: item.key, action: item.action, line: item.line, problem: item.problem }
    : { key: item.key, action: item.action, line: item.line };

const count = (plan: Planned[], action: Planned['action']) => plan.filter((item) => item.action === action).length;
const countOutcomes = (outcomes: Outcome[], action: Outcome['action']) =>
  outcomes.filter((outcome) => outcome.action === action).length;
const messageOf = (error: unknown) =>
  error instanceof Error ? ((error as { detail?: string }).detail ?? error.message) : String(error);

async function readSource(file: string): Promise<string> {
  if (file === '-') return readStdin();
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageError(`cannot read ${file}${code === 'ENOENT' ? ': no such file' : `: ${code ?? error}`}`);
  }
}

const FORMATS = { dotenv: formatDotenv, json: formatJson, shell: formatShell } as const;

export const exportCommand: Command = {
  usage: 'secrets export [--env ENV] [--format dotenv|json|shell]   (values on stdout; needs the secrets:inject scope)',
  summary: 'print every value, for a .env file or `eval`',
  options: { env: 'string', format: 'string' },
  async run({ args, options, json }) {
    requireArgs(args, [], this.usage);
    const format = typeof options.format === 'string' ? options.format : json ? 'json' : 'dotenv';
    const render = FORMATS[format as keyof typeof FORMATS];
    if (!render) throw new UsageError(`unknown format ${format}`, 'formats: dotenv, json, shell');
    const envRef = typeof options.env === 'string' ? options.env : undefined;
    const connection = resolveConnection();
    injectScope(connection, envRef);
    return using(connect(connection), async (client) => {
      const env = await fetchEnv(client, connection, envRef);
      process.stdout.write(render(env));
      return 0;
    });
  },
};
