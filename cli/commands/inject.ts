import type { SecretsClient } from '../../client/client.js';
import { type Connection, isServiceToken } from '../config.js';
import { UsageError } from '../exit-codes.js';
import { resolveEnvironment } from './shared.js';

/**
 * Which set of values a token and `--env` select: the caller's own secrets (`user`), one
 * environment (`env:<ref>`), or — with a service token — the token's environment (`service`).
 * The scope names the offline fallback slot, so it is known before any call.
 */
export function injectScope(connection: Connection, envRef: string | undefined): string {
  if (isServiceToken(connection.token)) {
    if (envRef !== undefined) {
      throw new UsageError(
        'a service token reaches its own environment only',
        'drop --env when SECRETS_TOKEN is an sst_… token',
      );
    }
    return 'service';
  }
  return envRef === undefined ? 'user' : `env:${envRef}`;
}

/** The plaintext values of that set (each fetch is audited by the service). */
export async function fetchEnv(
  client: SecretsClient,
  connection: Connection,
  envRef: string | undefined,
): Promise<Record<string, string>> {
  if (isServiceToken(connection.token)) return (await client.injectWithServiceToken()).env;
  if (envRef === undefined) return (await client.injectUserSecrets()).env;
  return (await client.injectEnvironmentSecrets(await resolveEnvironment(client, envRef))).env;
}
