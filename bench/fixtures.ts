import type { Target } from './routes.js';
import type { Seeder } from './seed.js';
import type { TargetProcess } from './target-client.js';

/** Whoever makes a call. */
export interface Caller {
  sub: string;
}

/** A stored secret the bench knows about. */
export interface SecretRef extends Caller {
  id: string;
  name: string;
}

/** An environment and its owner. */
export interface OwnedEnvironment extends Caller {
  environmentId: string;
}

/** A seeded environment: its owner, id and the keys of its secrets. */
export interface EnvironmentRef extends OwnedEnvironment {
  keys: string[];
}

/** A secret of an environment, by key. */
export interface EnvironmentSecretRef extends OwnedEnvironment {
  key: string;
}

/**
 * A secret with kept value versions, and the record version of its current value (every
 * write of it is a value write, so the two are one). A run that restores versions moves
 * `current` on with each answer, so the next call names a version the secret still keeps.
 */
export interface VersionedSecret {
  /** The user secret's id, or the environment secret's key. */
  id: string;
  name: string;
  current: number;
}

export interface VersionedHolder extends Caller {
  /** The environment holding the secrets; absent for a user's own. */
  environmentId?: string;
  secrets: VersionedSecret[];
}

/** A service token of an environment, by id: what its owner revokes. */
export interface TokenRef extends OwnedEnvironment {
  tokenId: string;
}

/** A service token a runtime holds, and the hash its lookup item is found by (for the floor, which hashes nothing). */
export interface HeldToken extends TokenRef {
  token: string;
  tokenHash: string;
}

export interface Reader extends Caller {
  secrets: SecretRef[];
}

/** A source environment of secrets and a target one, both owned by the caller: what copies go between. */
export interface CopyPair extends EnvironmentRef {
  targetEnvironmentId: string;
}

/** Secrets per reader: a typical user's set for the route runs (the scale runs vary it). */
export const READER_SECRETS = 10;
/** An owner's live and deleted environments for the list of deleted ones: one page holds them all. */
const LIVE_ENVIRONMENTS = 3;
const DELETED_ENVIRONMENTS = 2;
/** A user's audit events: more than a page (50), so a list reads a full one. */
const AUDIT_EVENTS = 60;
/** Secrets in a trash that is listed: more than a page (50), so a list reads a full one. */
const TRASHED_SECRETS = 60;

/**
 * What one run leaves for a later one (secrets it created, environments it deleted, tokens
 * it made), per target and connection.
 */
export class Leftovers<T> {
  private readonly piles = new Map<Target, T[][]>();

  record(target: Target, client: number, item: T): void {
    const piles = this.piles.get(target) ?? [];
    const pile = piles[client] ?? [];
    pile.push(item);
    piles[client] = pile;
    this.piles.set(target, piles);
  }

  /** Hands the piles over, one per connection (any beyond go to the first): nothing else will use them. */
  take(target: Target, connections: number): T[][] {
    const left = this.piles.get(target) ?? [];
    this.piles.delete(target);
    const piles = Array.from({ length: connections }, (_, client) => left[client] ?? []);
    for (const extra of left.slice(connections)) piles[0]!.push(...(extra ?? []));
    return piles;
  }
}

/**
 * Data the route runs share, made on first use and kept apart per target, so that what the
 * floor writes (fake ciphertext) never meets the gateway and each side finds its own items.
 */
export class Fixtures {
  /** Tenants a run may ask the service to hold warm: its key cache keeps 1024 slots, two per tenant. */
  readonly maxWarmTenants = 500;
  readonly createdSecrets = new Leftovers<SecretRef>();
  readonly deletedEnvironments = new Leftovers<OwnedEnvironment>();
  readonly createdTokens = new Leftovers<TokenRef>();
  readonly createdEnvironmentSecrets = new Leftovers<EnvironmentSecretRef>();
  private readonly made = new Map<string, Promise<unknown>>();

  constructor(
    private readonly seeder: Seeder,
    private readonly service: TargetProcess,
  ) {}

  /** One user per connection, each with READER_SECRETS secrets. */
  readers(target: Target, connections: number): Promise<Reader[]> {
    return this.once(`readers/${target}/${connections}`, () =>
      Promise.all(
        Array.from({ length: connections }, async (_, client) => {
          const sub = `${target}-reader-${client}`;
          return { sub, secrets: await this.seeder.seedSecrets(sub, READER_SECRETS) };
        }),
      ),
    );
  }

  /**
   * One environment per connection, owned by that connection's caller: a reader's holds
   * READER_SECRETS secrets, a writer's starts empty for the create runs.
   */
  environments(target: Target, connections: number, role: 'reader' | 'writer'): Promise<EnvironmentRef[]> {
    const secrets = role === 'reader' ? READER_SECRETS : 0;
    return this.once(`environments/${target}/${connections}/${role}`, () =>
      Promise.all(
        Array.from({ length: connections }, (_, client) =>
          this.seeder.seedEnvironment(`${target}-env-${role}-${client}`, secrets),
        ),
      ),
    );
  }

  /** A service token of each reader's environment, so a service-token inject reads what the reader's inject reads. */
  heldTokens(target: Target, connections: number): Promise<HeldToken[]> {
    return this.once(`tokens/${target}/${connections}`, async () =>
      Promise.all(
        (await this.environments(target, connections, 'reader')).map((environment) =>
          this.seeder.seedServiceToken(environment),
        ),
      ),
    );
  }

  /** One owner per connection, of some live and some deleted environments. */
  ownersOfDeleted(target: Target, connections: number): Promise<Caller[]> {
    return this.once(`deleted/${target}/${connections}`, () =>
      Promise.all(
        Array.from({ length: connections }, async (_, client) => {
          const sub = `${target}-env-trash-${client}`;
          await this.seeder.seedEmptyEnvironments(sub, LIVE_ENVIRONMENTS, 'live');
          await this.seeder.seedEmptyEnvironments(sub, DELETED_ENVIRONMENTS, 'deleted');
          return { sub };
        }),
      ),
    );
  }

  /** One user per connection with AUDIT_EVENTS audit events. */
  auditedUsers(target: Target, connections: number): Promise<Caller[]> {
    return this.once(`audited/${target}/${connections}`, () =>
      Promise.all(
        Array.from({ length: connections }, async (_, client) => {
          const sub = `${target}-audited-${client}`;
          await this.seeder.seedAuditEvents(sub, AUDIT_EVENTS);
          return { sub };
        }),
      ),
    );
  }

  /** Secrets to delete, one pile per connection: what the create runs made, topped up with seeded secrets to `count`. */
  deletableSecrets(target: Target, connections: number, count: number): Promise<SecretRef[][]> {
    return topUp(this.createdSecrets.take(target, connections), count, (client, n) =>
      this.seeder.seedSecrets(`${target}-pool-${client}`, n),
    );
  }

  /** Environments to delete, `count` in all, one pile per connection. */
  deletableEnvironments(target: Target, connections: number, count: number): Promise<OwnedEnvironment[][]> {
    return topUp(
      Array.from({ length: connections }, () => []),
      count,
      (client, n) => this.seeder.seedEmptyEnvironments(`${target}-env-pool-${client}`, n, 'live'),
    );
  }

  /** Environments to restore, one pile per connection: what the delete runs deleted, topped up with seeded ones to `count`. */
  restorableEnvironments(target: Target, connections: number, count: number): Promise<OwnedEnvironment[][]> {
    return topUp(this.deletedEnvironments.take(target, connections), count, (client, n) =>
      this.seeder.seedEmptyEnvironments(`${target}-env-pool-${client}`, n, 'deleted'),
    );
  }

  /** Tokens to revoke, one pile per connection: what the create runs made, topped up with seeded ones to `count`. */
  async revocableTokens(target: Target, connections: number, count: number): Promise<TokenRef[][]> {
    const environments = await this.environments(target, connections, 'writer');
    return topUp(this.createdTokens.take(target, connections), count, (client, n) =>
      this.seeder.seedServiceTokens(environments[client]!, n),
    );
  }

  /**
   * One user per connection with READER_SECRETS secrets, each at MAX_VERSIONS value versions
   * (the current one and every earlier one the service keeps): what lists, reveals and
   * restores of versions read.
   */
  versionedReaders(target: Target, connections: number): Promise<VersionedHolder[]> {
    const versions = this.seeder.deps.config.maxVersions;
    return this.once(`versioned/${target}/${connections}`, () =>
      Promise.all(
        Array.from({ length: connections }, async (_, client) => {
          const sub = `${target}-versioned-${client}`;
          const secrets = await this.seeder.seedSecrets(sub, READER_SECRETS, versions);
          return { sub, secrets: secrets.map(({ id, name }) => ({ id, name, current: versions })) };
        }),
      ),
    );
  }

  /** One environment per connection, owned by its caller, of READER_SECRETS secrets at MAX_VERSIONS versions. */
  versionedEnvironments(target: Target, connections: number): Promise<VersionedHolder[]> {
    const versions = this.seeder.deps.config.maxVersions;
    return this.once(`environments/${target}/${connections}/versioned`, () =>
      Promise.all(
        Array.from({ length: connections }, async (_, client) => {
          const { sub, environmentId, keys } = await this.seeder.seedEnvironment(
            `${target}-env-versioned-${client}`,
            READER_SECRETS,
            versions,
          );
          return { sub, environmentId, secrets: keys.map((key) => ({ id: key, name: key, current: versions })) };
        }),
      ),
    );
  }

  /**
   * One user per connection with READER_SECRETS secrets, each at MAX_VERSIONS value versions,
   * for the rename run alone: each call renames one and seals every kept version of it anew.
   */
  renamableSecrets(target: Target, connections: number): Promise<Reader[]> {
    const versions = this.seeder.deps.config.maxVersions;
    return this.once(`renamable/${target}/${connections}`, () =>
      Promise.all(
        Array.from({ length: connections }, async (_, client) => {
          const sub = `${target}-rename-${client}`;
          return { sub, secrets: await this.seeder.seedSecrets(sub, READER_SECRETS, versions) };
        }),
      ),
    );
  }

  /**
   * Two environments per connection, both owned by its caller (owner in both, as a copy
   * needs): the source holds READER_SECRETS secrets, the target starts empty and takes the copies.
   */
  copyPairs(target: Target, connections: number): Promise<CopyPair[]> {
    return this.once(`environments/${target}/${connections}/copy`, () =>
      Promise.all(
        Array.from({ length: connections }, async (_, client) => {
          const owner = `${target}-env-copy-${client}`;
          const source = await this.seeder.seedEnvironment(owner, READER_SECRETS);
          const { environmentId } = await this.seeder.seedEnvironment(owner, 0);
          return { ...source, targetEnvironmentId: environmentId };
        }),
      ),
    );
  }

  /** One user per connection with TRASHED_SECRETS secrets in the trash. */
  userTrash(target: Target, connections: number): Promise<Caller[]> {
    return this.once(`trash/${target}/${connections}`, () =>
      Promise.all(
        Array.from({ length: connections }, async (_, client) => {
          const sub = `${target}-trash-${client}`;
          await this.seeder.seedTrashedSecrets(sub, TRASHED_SECRETS);
          return { sub };
        }),
      ),
    );
  }

  /** One environment per connection, owned by its caller, with TRASHED_SECRETS secrets in its trash. */
  environmentTrash(target: Target, connections: number): Promise<OwnedEnvironment[]> {
    return this.once(`environments/${target}/${connections}/trash`, () =>
      Promise.all(
        Array.from({ length: connections }, async (_, client) => {
          const environment = await this.seeder.seedEnvironment(`${target}-env-trash-${client}`, 0);
          await this.seeder.seedTrashedEnvironmentSecrets(environment, TRASHED_SECRETS);
          return { sub: environment.sub, environmentId: environment.environmentId };
        }),
      ),
    );
  }

  /**
   * Trashed secrets to restore or purge (`use` names the pool), `count` in all, one user and
   * pile per connection: the trash is per user, so a connection's calls stay in one tenant.
   */
  trashedSecrets(target: Target, connections: number, count: number, use: 'restore' | 'purge'): Promise<SecretRef[][]> {
    return topUp(
      Array.from({ length: connections }, () => []),
      count,
      (client, n) => this.seeder.seedTrashedSecrets(`${target}-${use}-pool-${client}`, n),
    );
  }

  /** Environment secrets to delete, one pile per connection: what the create runs made, topped up with seeded ones to `count`. */
  deletableEnvironmentSecrets(target: Target, connections: number, count: number): Promise<EnvironmentSecretRef[][]> {
    return topUp(this.createdEnvironmentSecrets.take(target, connections), count, async (client, n) => {
      const { sub, environmentId, keys } = await this.seeder.seedEnvironment(`${target}-env-secret-pool-${client}`, n);
      return keys.map((key) => ({ sub, environmentId, key }));
    });
  }

  /** Trashed environment secrets to restore or purge, `count` in all, one environment and pile per connection. */
  trashedEnvironmentSecrets(
    target: Target,
    connections: number,
    count: number,
    use: 'restore' | 'purge',
  ): Promise<EnvironmentSecretRef[][]> {
    return topUp(
      Array.from({ length: connections }, () => []),
      count,
      async (client, n) =>
        this.seeder.seedTrashedEnvironmentSecrets(
          await this.seeder.seedEnvironment(`${target}-env-${use}-pool-${client}`, 0),
          n,
        ),
    );
  }

  /** Has the service load these tenants' data keys, as a warm function would hold them. */
  async warmTenants(subs: string[]): Promise<void> {
    if (subs.length > this.maxWarmTenants) throw new Error(`At most ${this.maxWarmTenants} tenants can be held warm`);
    await this.service.warm(subs);
  }

  /** Makes a fixture on first use; later uses share it. */
  private once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let fixture = this.made.get(key) as Promise<T> | undefined;
    if (!fixture) {
      fixture = make();
      this.made.set(key, fixture);
    }
    return fixture;
  }
}

/** Tops the piles up to `count` items in all, each connection's share seeded by `seed(client, n)`. */
async function topUp<T>(
  piles: T[][],
  count: number,
  seed: (client: number, n: number) => Promise<T[]>,
): Promise<T[][]> {
  const missing = count - piles.reduce((sum, pile) => sum + pile.length, 0);
  if (missing > 0) {
    const perClient = Math.ceil(missing / piles.length);
    await Promise.all(piles.map(async (pile, client) => pile.push(...(await seed(client, perClient)))));
  }
  return piles;
}
