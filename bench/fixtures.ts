import type { Target } from './routes.js';
import type { Seeder } from './seed.js';
import type { TargetProcess } from './target-client.js';

/** A stored secret the bench knows about. */
export interface SecretRef {
  sub: string;
  id: string;
  name: string;
}

/** A seeded environment: its owner, id and the keys of its secrets. */
export interface EnvironmentRef {
  sub: string;
  environmentId: string;
  keys: string[];
}

export interface Reader {
  sub: string;
  secrets: SecretRef[];
}

/** Secrets per reader: a typical user's set for the route runs (the scale runs vary it). */
export const READER_SECRETS = 10;

/**
 * Data the route runs share, made on first use and kept apart per target, so that what the
 * floor writes (fake ciphertext) never meets the gateway and each side finds its own items.
 */
export class Fixtures {
  /** Tenants a run may ask the service to hold warm: its key cache keeps 1024 slots, two per tenant. */
  readonly maxWarmTenants = 500;
  private readonly readerSets = new Map<string, Promise<Reader[]>>();
  private readonly environmentSets = new Map<string, Promise<EnvironmentRef[]>>();
  private readonly created = new Map<Target, SecretRef[][]>();

  constructor(
    private readonly seeder: Seeder,
    private readonly service: TargetProcess,
  ) {}

  /** One user per connection, each with READER_SECRETS secrets. */
  readers(target: Target, connections: number): Promise<Reader[]> {
    const key = `${target}/${connections}`;
    let readers = this.readerSets.get(key);
    if (!readers) {
      readers = Promise.all(
        Array.from({ length: connections }, async (_, client) => {
          const sub = `${target}-reader-${client}`;
          return { sub, secrets: await this.seeder.seedSecrets(sub, READER_SECRETS) };
        }),
      );
      this.readerSets.set(key, readers);
    }
    return readers;
  }

  /**
   * One environment per connection, owned by that connection's caller: a reader's holds
   * READER_SECRETS secrets, a writer's starts empty for the create runs.
   */
  environments(target: Target, connections: number, role: 'reader' | 'writer'): Promise<EnvironmentRef[]> {
    const key = `${target}/${connections}/${role}`;
    let environments = this.environmentSets.get(key);
    if (!environments) {
      const secrets = role === 'reader' ? READER_SECRETS : 0;
      environments = Promise.all(
        Array.from({ length: connections }, (_, client) =>
          this.seeder.seedEnvironment(`${target}-env-${role}-${client}`, secrets),
        ),
      );
      this.environmentSets.set(key, environments);
    }
    return environments;
  }

  /** Remembers a secret a create run made, by the connection that made it. */
  recordCreated(target: Target, client: number, secret: SecretRef): void {
    const piles = this.created.get(target) ?? [];
    const pile = piles[client] ?? [];
    pile.push(secret);
    piles[client] = pile;
    this.created.set(target, piles);
  }

  /**
   * Secrets to delete, one pile per connection: what the create runs made, topped up with
   * seeded secrets to `count`. Hands them over: nothing else will use them.
   */
  async deletable(target: Target, connections: number, count: number): Promise<SecretRef[][]> {
    const made = this.created.get(target) ?? [];
    this.created.delete(target);
    const piles = Array.from({ length: connections }, (_, client) => made[client] ?? []);
    for (const extra of made.slice(connections)) piles[0]!.push(...extra);
    const missing = count - piles.reduce((sum, pile) => sum + pile.length, 0);
    if (missing > 0) {
      const perClient = Math.ceil(missing / connections);
      await Promise.all(
        piles.map(async (pile, client) =>
          pile.push(...(await this.seeder.seedSecrets(`${target}-pool-${client}`, perClient))),
        ),
      );
    }
    return piles;
  }

  /** Has the service load these tenants' data keys, as a warm function would hold them. */
  async warmTenants(subs: string[]): Promise<void> {
    if (subs.length > this.maxWarmTenants) throw new Error(`At most ${this.maxWarmTenants} tenants can be held warm`);
    await this.service.warm(subs);
  }
}
