import { pages, type SecretsClient } from '../../client/client.js';
import { NotFoundError } from '../../client/errors.js';
import type { SecretMetadata } from '../../client/types.js';
import { UsageError } from '../exit-codes.js';
import { out, printJson, readSecretInput, requireArgs, table } from '../io.js';
import {
  allEnvironmentSecrets,
  allEnvironments,
  type Command,
  connect,
  localTime,
  parseVersion,
  resolveEnvironment,
  using,
} from './shared.js';
import { checkName, checkValue } from './validate.js';

// ── Environments ──────────────────────────────────────

export const envLs: Command = {
  usage: 'secrets env ls [--json]',
  summary: 'list the environments you are a member of',
  async run({ args, json }) {
    requireArgs(args, [], this.usage);
    return using(connect(), async (client) => {
      const environments = await allEnvironments(client);
      if (json) printJson(environments);
      else if (environments.length === 0) out('No environments yet. Make one with: secrets env create NAME');
      else
        out(
          table(
            ['ID', 'NAME', 'ROLE', 'DESCRIPTION'],
            environments.map((environment) => [
              environment.id,
              environment.name,
              environment.role,
              environment.description,
            ]),
          ),
        );
      return 0;
    });
  },
};

export const envCreate: Command = {
  usage: 'secrets env create NAME [--description TEXT]',
  summary: 'create an environment (you become its owner)',
  options: { description: 'string' },
  async run({ args, options, json }) {
    const [name] = requireArgs(args, ['NAME'], this.usage);
    const description = typeof options.description === 'string' ? options.description : undefined;
    return using(connect(), async (client) => {
      const environment = await client.createEnvironment({ name: name!, description });
      json ? printJson(environment) : out(`Created environment ${environment.name} (${environment.id})`);
      return 0;
    });
  },
};

export const envRm: Command = {
  usage: 'secrets env rm ENV',
  summary: 'delete an environment (owners can restore it within the recovery window)',
  async run({ args, json }) {
    const [ref] = requireArgs(args, ['ENV'], this.usage);
    return using(connect(), async (client) => {
      const id = await resolveEnvironment(client, ref!);
      await client.deleteEnvironment(id);
      json ? printJson({ deleted: id }) : out(`Deleted environment ${ref} (${id})`);
      return 0;
    });
  },
};

// ── Environment secrets ───────────────────────────────

/** Creates KEY in an environment or gives it a new value; one retry as an update if a create races another. */
export async function upsertEnvironmentSecret(
  client: SecretsClient,
  id: string,
  existing: boolean,
  { key, value, description, neverReveal }: { key: string; value: string; description?: string; neverReveal?: boolean },
): Promise<{ action: 'created' | 'updated'; secret: SecretMetadata }> {
  const update = async () => {
    const patch: { value: string; description?: string; neverReveal?: boolean } = { value };
    if (description !== undefined) patch.description = description;
    if (neverReveal) patch.neverReveal = true;
    return { action: 'updated' as const, secret: await client.updateEnvironmentSecret(id, key, patch) };
  };
  if (existing) return update();
  try {
    return {
      action: 'created',
      secret: await client.createEnvironmentSecret(id, { key, value, description, neverReveal }),
    };
  } catch (error) {
    if ((error as { code?: string }).code === 'SECRET_EXISTS') return update();
    throw error;
  }
}

async function environmentSecretExists(client: SecretsClient, id: string, key: string): Promise<boolean> {
  try {
    await client.getEnvironmentSecret(id, key);
    return true;
  } catch (error) {
    if (error instanceof NotFoundError && error.code === 'SECRET_NOT_FOUND') return false;
    throw error;
  }
}

export const envSecretsLs: Command = {
  usage: 'secrets env secrets ls ENV [--json]',
  summary: "list an environment's secrets (masked)",
  async run({ args, json }) {
    const [ref] = requireArgs(args, ['ENV'], this.usage);
    return using(connect(), async (client) => {
      const secrets = await allEnvironmentSecrets(client, await resolveEnvironment(client, ref!));
      if (json) printJson(secrets);
      else if (secrets.length === 0) out(`No secrets in ${ref} yet. Add one with: secrets env secrets set ${ref} KEY`);
      else
        out(
          table(
            ['KEY', 'VALUE', 'VERSION', 'UPDATED', 'BY', 'DESCRIPTION'],
            secrets.map((secret) => [
              secret.key,
              secret.maskedValue,
              String(secret.version),
              localTime(secret.updatedAt),
              secret.updatedBy,
              secret.description,
            ]),
          ),
        );
      return 0;
    });
  },
};

export const envSecretsSet: Command = {
  usage: 'secrets env secrets set ENV KEY [--description TEXT] [--never-reveal]   (value from stdin or a prompt)',
  summary: 'create a secret in an environment or give it a new value',
  options: { description: 'string', 'never-reveal': 'boolean' },
  async run({ args, options, json }) {
    const [ref, key] = requireArgs(args, ['ENV', 'KEY'], this.usage);
    checkName(key!);
    const value = checkValue(key!, await readSecretInput(`Value for ${key}: `));
    return using(connect(), async (client) => {
      const id = await resolveEnvironment(client, ref!);
      const { action, secret } = await upsertEnvironmentSecret(
        client,
        id,
        await environmentSecretExists(client, id, key!),
        {
          key: key!,
          value,
          description: typeof options.description === 'string' ? options.description : undefined,
          neverReveal: options['never-reveal'] === true,
        },
      );
      json
        ? printJson(secret)
        : out(
            `${action === 'created' ? 'Created' : 'Updated'} ${key} in ${ref} (version ${secret.version}, ${secret.maskedValue})`,
          );
      return 0;
    });
  },
};

export const envSecretsRm: Command = {
  usage: 'secrets env secrets rm ENV KEY',
  summary: 'delete a secret of an environment (it stays in its trash for the recovery window)',
  async run({ args, json }) {
    const [ref, key] = requireArgs(args, ['ENV', 'KEY'], this.usage);
    return using(connect(), async (client) => {
      const id = await resolveEnvironment(client, ref!);
      await client.deleteEnvironmentSecret(id, key!);
      json ? printJson({ deleted: key, environmentId: id }) : out(`Deleted ${key} from ${ref} (moved to its trash)`);
      return 0;
    });
  },
};

export const envSecretsVersions: Command = {
  usage: 'secrets env secrets versions ENV KEY [--json]',
  summary: "list a secret's kept values (masked), newest first",
  async run({ args, json }) {
    const [ref, key] = requireArgs(args, ['ENV', 'KEY'], this.usage);
    return using(connect(), async (client) => {
      const id = await resolveEnvironment(client, ref!);
      const list = [];
      for await (const page of pages((query) => client.listEnvironmentSecretVersions(id, key!, query))) {
        list.push(...page.versions);
      }
      if (json) printJson(list);
      else
        out(
          table(
            ['VERSION', 'VALUE', 'CREATED', 'BY', ''],
            list.map((version) => [
              String(version.version),
              version.maskedValue,
              localTime(version.createdAt),
              version.createdBy,
              version.current ? 'current' : '',
            ]),
          ),
        );
      return 0;
    });
  },
};

export const envSecretsRollback: Command = {
  usage: 'secrets env secrets rollback ENV KEY VERSION',
  summary: 'make an earlier value current again (written as a new version)',
  async run({ args, json }) {
    const [ref, key, versionText] = requireArgs(args, ['ENV', 'KEY', 'VERSION'], this.usage);
    const version = parseVersion(versionText!);
    return using(connect(), async (client) => {
      const id = await resolveEnvironment(client, ref!);
      const secret = await client.restoreEnvironmentSecretVersion(id, key!, version);
      json
        ? printJson(secret)
        : out(`Rolled ${key} in ${ref} back to the value of version ${version} (now version ${secret.version})`);
      return 0;
    });
  },
};

// ── Service tokens ────────────────────────────────────

export const envTokensLs: Command = {
  usage: 'secrets env tokens ls ENV [--json]',
  summary: "list an environment's service tokens (never the tokens themselves)",
  async run({ args, json }) {
    const [ref] = requireArgs(args, ['ENV'], this.usage);
    return using(connect(), async (client) => {
      const id = await resolveEnvironment(client, ref!);
      const tokens = [];
      for await (const page of pages((query) => client.listServiceTokens(id, query))) tokens.push(...page.tokens);
      if (json) printJson(tokens);
      else
        out(
          table(
            ['ID', 'NAME', 'EXPIRES', 'LAST USED'],
            tokens.map((token) => [
              token.id,
              token.name,
              localTime(token.expiresAt),
              token.lastUsedAt ? localTime(token.lastUsedAt) : 'never',
            ]),
          ),
        );
      return 0;
    });
  },
};

export const envTokensCreate: Command = {
  usage: 'secrets env tokens create ENV NAME [--expires-in-days N]',
  summary: 'make a service token for runtimes (printed once, on stdout)',
  options: { 'expires-in-days': 'string' },
  async run({ args, options, json }) {
    const [ref, name] = requireArgs(args, ['ENV', 'NAME'], this.usage);
    const days = options['expires-in-days'];
    const expiresInDays = typeof days === 'string' ? Number(days) : undefined;
    if (expiresInDays !== undefined && !Number.isInteger(expiresInDays)) {
      throw new UsageError('--expires-in-days takes a whole number of days (1–365)');
    }
    return using(connect(), async (client) => {
      const id = await resolveEnvironment(client, ref!);
      const token = await client.createServiceToken(id, { name: name!, expiresInDays });
      if (json) printJson(token);
      else {
        process.stderr.write(
          `Service token ${token.name} (${token.id}) for ${ref}, expires ${localTime(token.expiresAt)}.\n`,
        );
        process.stderr.write('It is shown only now; store it in your runtime’s secret store:\n');
        out(token.token);
      }
      return 0;
    });
  },
};

export const envTokensRevoke: Command = {
  usage: 'secrets env tokens revoke ENV TOKEN_ID',
  summary: 'revoke a service token (effective at once)',
  async run({ args, json }) {
    const [ref, tokenId] = requireArgs(args, ['ENV', 'TOKEN_ID'], this.usage);
    return using(connect(), async (client) => {
      const id = await resolveEnvironment(client, ref!);
      await client.revokeServiceToken(id, tokenId!);
      json ? printJson({ revoked: tokenId }) : out(`Revoked token ${tokenId}`);
      return 0;
    });
  },
};

// ── Members ───────────────────────────────────────────

export const membersLs: Command = {
  usage: 'secrets members ls ENV [--json]',
  summary: "list an environment's members and their roles",
  async run({ args, json }) {
    const [ref] = requireArgs(args, ['ENV'], this.usage);
    return using(connect(), async (client) => {
      const id = await resolveEnvironment(client, ref!);
      const members = [];
      for await (const page of pages((query) => client.listEnvironmentMembers(id, query)))
        members.push(...page.members);
      if (json) printJson(members);
      else
        out(
          table(
            ['USER', 'ROLE', 'SINCE', 'BY'],
            members.map((member) => [member.userId, member.role, localTime(member.updatedAt), member.updatedBy]),
          ),
        );
      return 0;
    });
  },
};

export const membersSet: Command = {
  usage: 'secrets members set ENV USER owner|editor|viewer',
  summary: "add a member or change a member's role (owners only)",
  async run({ args, json }) {
    const [ref, userId, role] = requireArgs(args, ['ENV', 'USER', 'ROLE'], this.usage);
    if (!['owner', 'editor', 'viewer'].includes(role!)) {
      throw new UsageError(`not a role: ${role}`, 'roles: owner, editor, viewer');
    }
    return using(connect(), async (client) => {
      const id = await resolveEnvironment(client, ref!);
      const member = await client.putEnvironmentMember(id, userId!, { role: role as 'owner' | 'editor' | 'viewer' });
      json ? printJson(member) : out(`${member.userId} is ${member.role} of ${ref}`);
      return 0;
    });
  },
};

export const membersRm: Command = {
  usage: 'secrets members rm ENV USER',
  summary: 'remove a member (owners; any member may remove themself)',
  async run({ args, json }) {
    const [ref, userId] = requireArgs(args, ['ENV', 'USER'], this.usage);
    return using(connect(), async (client) => {
      const id = await resolveEnvironment(client, ref!);
      await client.removeEnvironmentMember(id, userId!);
      json ? printJson({ removed: userId, environmentId: id }) : out(`Removed ${userId} from ${ref}`);
      return 0;
    });
  },
};
