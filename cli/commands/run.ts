import { join } from 'node:path';
import { ApiError, NetworkError } from '../../client/errors.js';
import { runChild } from '../child.js';
import { cacheDir, resolveConnection } from '../config.js';
import { describeAge, parseDuration } from '../duration.js';
import { CliError, EXIT, UsageError } from '../exit-codes.js';
import { type FallbackSlot, loadFallback, saveFallback } from '../fallback.js';
import { warn } from '../io.js';
import { fetchEnv, injectScope } from './inject.js';
import { type Command, connect } from './shared.js';

export const run: Command = {
  usage:
    'secrets run [--env ENV] [--no-fallback] [--fallback-max-age DURATION] -- COMMAND [ARGS…]   (needs the secrets:inject scope)',
  summary: 'run a program with the secrets as environment variables',
  options: { env: 'string', fallback: 'boolean', 'fallback-max-age': 'string' },
  stopAtPositional: true,
  async run({ options, rest }) {
    const command = rest ?? [];
    if (command.length === 0) throw new UsageError('no command to run', `usage: ${this.usage}`);
    const envRef = typeof options.env === 'string' ? options.env : undefined;
    const maxAgeText = options['fallback-max-age'];
    const maxAgeMs = typeof maxAgeText === 'string' ? parseDuration(maxAgeText) : undefined;
    const useFallback = options.fallback !== false;
    const connection = resolveConnection();
    const slot: FallbackSlot = {
      dir: join(cacheDir(), 'fallback'),
      endpoint: connection.url,
      scope: injectScope(connection, envRef),
      token: connection.token,
    };

    // Few, short retries: when the service is down, the fallback should start the program soon.
    const client = connect(connection, { retries: 2, baseDelayMs: 100 });
    let env: Record<string, string>;
    let online = true;
    try {
      env = await fetchEnv(client, connection, envRef);
    } catch (error) {
      if (!useFallback || !unreachable(error)) throw error;
      env = fromFallback(slot, maxAgeMs, error);
      online = false;
    } finally {
      client.close();
    }

    const childEnv: NodeJS.ProcessEnv = { ...process.env };
    // The child gets its variables, not the credential that fetched them.
    delete childEnv.SECRETS_TOKEN;
    Object.assign(childEnv, env);
    return runChild(command, childEnv, () => {
      if (!online || !useFallback) return;
      try {
        saveFallback(slot, env);
      } catch (error) {
        warn(`could not save the offline fallback: ${(error as Error).message}`);
      }
    });
  },
};

/** The service could not be reached or failed: the only cases a fallback stands in for (never a 4xx). */
function unreachable(error: unknown): boolean {
  return error instanceof NetworkError || (error instanceof ApiError && error.status >= 500);
}

function describeFailure(endpoint: string, error: unknown): string {
  if (error instanceof NetworkError) return `cannot reach ${endpoint} (${error.reason})`;
  if (error instanceof ApiError) return `${endpoint} answered ${error.status} ${error.code}`;
  return String(error);
}

function fromFallback(slot: FallbackSlot, maxAgeMs: number | undefined, cause: unknown): Record<string, string> {
  const loaded = loadFallback(slot);
  const failure = describeFailure(slot.endpoint, cause);
  if (!loaded.found) {
    throw new CliError(`${failure}; no offline fallback to use: ${loaded.reason}`, EXIT.network);
  }
  const ageMs = Date.now() - loaded.savedAt.getTime();
  if (maxAgeMs !== undefined && ageMs > maxAgeMs) {
    throw new CliError(
      `${failure}; the offline fallback is ${describeAge(ageMs)} old, older than --fallback-max-age allows`,
      EXIT.network,
    );
  }
  warn(
    `${failure}; running with the values saved ${describeAge(ageMs)} ago (${loaded.savedAt.toISOString()}) from the offline fallback`,
  );
  return loaded.env;
}
