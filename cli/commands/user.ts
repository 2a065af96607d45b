import { pages, type SecretsClient } from '../../client/client.js';
import { ConflictError } from '../../client/errors.js';
import type { UserSecretMetadata } from '../../client/types.js';
import { PRESET_NAMES } from '../../lib/secrets/presets.js';
import { CliError, EXIT, UsageError } from '../exit-codes.js';
import { out, printJson, readSecretInput, requireArgs, table } from '../io.js';
import { allUserSecrets, type Command, connect, findUserSecret, localTime, parseVersion, using } from './shared.js';
import { checkName, checkValue } from './validate.js';

/** Creates NAME or gives it a new value (a new version); one retry as an update if a create races another. */
export async function upsertUserSecret(
  client: SecretsClient,
  existing: UserSecretMetadata | undefined,
  { name, value, provider }: { name: string; value: string; provider?: string },
): Promise<{ action: 'created' | 'updated'; secret: UserSecretMetadata }> {
  if (existing) return { action: 'updated', secret: await client.updateUserSecret(existing.id, { value }) };
  try {
    return { action: 'created', secret: await client.createUserSecret({ name, value, provider }) };
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const raced = (await allUserSecrets(client)).find((secret) => secret.name === name);
    if (!raced) throw error;
    return { action: 'updated', secret: await client.updateUserSecret(raced.id, { value }) };
  }
}

const describe = (action: string, secret: UserSecretMetadata) =>
  `${action === 'created' ? 'Created' : 'Updated'} ${secret.name} (${secret.masked_value})`;

export const set: Command = {
  usage: 'secrets set NAME [--provider SLUG]   (value from stdin or a hidden prompt)',
  summary: 'create a secret or give it a new value',
  options: { provider: 'string' },
  async run({ args, options, json }) {
    const [name] = requireArgs(args, ['NAME'], this.usage);
    checkName(name!);
    const value = checkValue(name!, await readSecretInput(`Value for ${name}: `));
    const provider = typeof options.provider === 'string' ? options.provider : undefined;
    return using(connect(), async (client) => {
      const existing = (await allUserSecrets(client)).find((secret) => secret.name === name);
      const { action, secret } = await upsertUserSecret(client, existing, { name: name!, value, provider });
      json ? printJson(secret) : out(describe(action, secret));
      return 0;
    });
  },
};

export const preset: Command = {
  usage: `secrets preset PROVIDER   (${Object.keys(PRESET_NAMES).join(', ')}; value from stdin or a prompt)`,
  summary: "store a well-known provider's key under its usual name",
  async run({ args, json }) {
    const [provider] = requireArgs(args, ['PROVIDER'], this.usage);
    const name = PRESET_NAMES[provider!];
    if (!name) {
      throw new UsageError(`no preset for ${provider}`, `presets: ${Object.keys(PRESET_NAMES).join(', ')}`);
    }
    const value = checkValue(name, await readSecretInput(`${name}: `));
    return using(connect(), async (client) => {
      const existing = (await allUserSecrets(client)).find((secret) => secret.name === name);
      const result = existing
        ? { action: 'updated', secret: await client.updateUserSecret(existing.id, { value }) }
        : { action: 'created', secret: await client.createUserSecretFromPreset({ provider: provider!, value }) };
      json ? printJson(result.secret) : out(describe(result.action, result.secret));
      return 0;
    });
  },
};

export const ls: Command = {
  usage: 'secrets ls [--json]',
  summary: 'list your secrets (names and masked values, never values)',
  async run({ args, json }) {
    requireArgs(args, [], this.usage);
    return using(connect(), async (client) => {
      const secrets = await allUserSecrets(client);
      if (json) printJson(secrets);
      else if (secrets.length === 0) out('No secrets yet. Add one with: secrets set NAME');
      else
        out(
          table(
            ['NAME', 'PROVIDER', 'VALUE', 'UPDATED'],
            secrets.map((secret) => [secret.name, secret.provider, secret.masked_value, localTime(secret.updated_at)]),
          ),
        );
      return 0;
    });
  },
};

export const rm: Command = {
  usage: 'secrets rm NAME',
  summary: 'delete a secret (it stays restorable in the trash for the recovery window)',
  async run({ args, json }) {
    const [name] = requireArgs(args, ['NAME'], this.usage);
    return using(connect(), async (client) => {
      const secret = await findUserSecret(client, name!);
      await client.deleteUserSecret(secret.id);
      json
        ? printJson({ deleted: secret })
        : out(`Deleted ${name} (moved to the trash; \`secrets restore ${name}\` brings it back)`);
      return 0;
    });
  },
};

export const restore: Command = {
  usage: 'secrets restore NAME',
  summary: 'bring a deleted secret back from the trash',
  async run({ args, json }) {
    const [name] = requireArgs(args, ['NAME'], this.usage);
    return using(connect(), async (client) => {
      const trashed = [];
      for await (const page of pages((query) => client.listDeletedUserSecrets(query))) trashed.push(...page.secrets);
      const secret = trashed.find((candidate) => candidate.name === name);
      if (!secret) throw new CliError(`no secret named ${name} in the trash`, EXIT.notFound);
      const restored = await client.restoreDeletedUserSecret(secret.id);
      json ? printJson(restored) : out(`Restored ${name} (${restored.masked_value})`);
      return 0;
    });
  },
};

export const versions: Command = {
  usage: 'secrets versions NAME [--json]',
  summary: "list a secret's kept values (masked), newest first",
  async run({ args, json }) {
    const [name] = requireArgs(args, ['NAME'], this.usage);
    return using(connect(), async (client) => {
      const secret = await findUserSecret(client, name!);
      const list = [];
      for await (const page of pages((query) => client.listUserSecretVersions(secret.id, query))) {
        list.push(...page.versions);
      }
      if (json) printJson(list);
      else
        out(
          table(
            ['VERSION', 'VALUE', 'CREATED', ''],
            list.map((version) => [
              String(version.version),
              version.masked_value,
              localTime(version.created_at),
              version.current ? 'current' : '',
            ]),
          ),
        );
      return 0;
    });
  },
};

export const rollback: Command = {
  usage: 'secrets rollback NAME VERSION',
  summary: 'make an earlier value current again (written as a new version)',
  async run({ args, json }) {
    const [name, versionText] = requireArgs(args, ['NAME', 'VERSION'], this.usage);
    const version = parseVersion(versionText!);
    return using(connect(), async (client) => {
      const secret = await findUserSecret(client, name!);
      let now: number | undefined;
      const restored = await client.restoreUserSecretVersion(secret.id, version, {
        onResponse: (response) => {
          now = response.version;
        },
      });
      json
        ? printJson(restored)
        : out(
            `Rolled ${name} back to the value of version ${version}${now ? ` (now version ${now})` : ''}: ${restored.masked_value}`,
          );
      return 0;
    });
  },
};
