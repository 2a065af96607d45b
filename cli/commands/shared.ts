import { pages, SecretsClient } from '../../client/client.js';
import type { Environment, SecretMetadata, UserSecretMetadata } from '../../client/types.js';
import type { OptionSpec } from '../args.js';
import { type Connection, resolveConnection } from '../config.js';
import { CliError, EXIT, UsageError } from '../exit-codes.js';

declare const CLI_VERSION: string | undefined;
/** Set by the bundler from package.json. */
export const VERSION = typeof CLI_VERSION === 'string' ? CLI_VERSION : '0.0.0-dev';

export interface CommandInput {
  args: string[];
  options: Record<string, string | boolean>;
  /** What follows `--` (for `run`, the command and its arguments). */
  rest: string[] | undefined;
  json: boolean;
}

export interface Command {
  usage: string;
  summary: string;
  options?: OptionSpec;
  /** Options end at the first positional (so `run node --inspect app.js` keeps `--inspect` for node). */
  stopAtPositional?: boolean;
  run(input: CommandInput): Promise<number | undefined>;
}

/** `run` uses fewer, shorter retries so that an unreachable service falls back quickly. */
export function connect(
  connection: Connection = resolveConnection(),
  { retries = 3, baseDelayMs = 250 }: { retries?: number; baseDelayMs?: number } = {},
): SecretsClient {
  const timeout = Number(process.env.SECRETS_TIMEOUT_MS);
  return new SecretsClient({
    baseUrl: connection.url,
    token: connection.token,
    userAgent: `secrets-cli/${VERSION}`,
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 15_000,
    retry: { retries, baseDelayMs },
  });
}

export async function allUserSecrets(client: SecretsClient): Promise<UserSecretMetadata[]> {
  const secrets: UserSecretMetadata[] = [];
  for await (const page of pages((query) => client.listUserSecrets(query))) secrets.push(...page.secrets);
  return secrets;
}

/** User secrets are addressed by id; people use names, so a name is looked up in the list. */
export async function findUserSecret(client: SecretsClient, name: string): Promise<UserSecretMetadata> {
  const secret = (await allUserSecrets(client)).find((candidate) => candidate.name === name);
  if (!secret) throw new CliError(`no secret named ${name}`, EXIT.notFound, 'list them with: secrets ls');
  return secret;
}

export async function allEnvironments(client: SecretsClient): Promise<Environment[]> {
  const environments: Environment[] = [];
  for await (const page of pages((query) => client.listEnvironments(query))) environments.push(...page.environments);
  return environments;
}

export async function allEnvironmentSecrets(client: SecretsClient, id: string): Promise<SecretMetadata[]> {
  const secrets: SecretMetadata[] = [];
  for await (const page of pages((query) => client.listEnvironmentSecrets(id, query))) secrets.push(...page.secrets);
  return secrets;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (text: string): boolean => UUID.test(text);

/** An environment by id, or by name among the caller's (one more call). */
export async function resolveEnvironment(client: SecretsClient, ref: string): Promise<string> {
  if (isUuid(ref)) return ref.toLowerCase();
  const matches = (await allEnvironments(client)).filter((environment) => environment.name === ref);
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length === 0) {
    throw new CliError(`no environment named ${ref}`, EXIT.notFound, 'list yours with: secrets env ls');
  }
  throw new UsageError(`${matches.length} environments are named ${ref}`, 'name it by its id (secrets env ls)');
}

export function parseVersion(text: string): number {
  const version = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(version) || version < 1) {
    throw new UsageError(
      `not a version number: ${JSON.stringify(text)}`,
      'versions are positive integers (see `versions`)',
    );
  }
  return version;
}

/** Closes the client's connections once the command is done. */
export async function using<T>(client: SecretsClient, work: (client: SecretsClient) => Promise<T>): Promise<T> {
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

export const localTime = (iso: string): string => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, 'Z');
