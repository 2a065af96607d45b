import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ValueDeps } from '../lib/app/deps.js';
import { auditChange } from '../lib/audit/audit.js';
import { systemClock, timestampOf } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { createKeyring } from '../lib/crypto/keyring.js';
import { createKmsClient } from '../lib/crypto/kms.js';
import { createEnvironment } from '../lib/environments/environments.js';
import { newSecretRecord, sealUnder } from '../lib/environments/secrets.js';
import { valueBytes } from '../lib/quota/quota.js';
import { newUserSecret } from '../lib/secrets/user-secrets.js';
import { createDocumentClient } from '../lib/store/dynamodb.js';
import { type EnvironmentHeaderRecord, environmentHeaderItem } from '../lib/store/items/environment-header.js';
import { environmentSecretItem } from '../lib/store/items/environment-secret.js';
import { memberItem } from '../lib/store/items/member.js';
import { type ServiceTokenRecord, serviceTokenItem } from '../lib/store/items/service-token.js';
import { serviceTokenLookupItem } from '../lib/store/items/service-token-lookup.js';
import { tenantHeaderItem } from '../lib/store/items/tenant-header.js';
import { environmentTenant, userTenant } from '../lib/store/keys.js';
import type { TransactItem } from '../lib/store/transactions.js';
import { createServiceToken } from '../lib/tokens/tokens.js';
import type { EnvironmentRef, HeldToken, OwnedEnvironment, SecretRef, TokenRef } from './fixtures.js';
import { BENCH_TOKEN, BENCH_VALUE } from './routes.js';

/**
 * Seeds secrets fast: the items createUserSecret and createSecret would write (same builders,
 * real data key, real ciphertext), stored with parallel BatchWriteItem calls instead of one
 * transaction per secret — DynamoDB Local manages a few hundred transactions a second at best.
 */
export interface Seeder {
  deps: ValueDeps;
  seedSecrets(sub: string, count: number): Promise<SecretRef[]>;
  /** An environment made by createEnvironment with `owner` as its owner, holding `count` secrets. */
  seedEnvironment(owner: string, count: number): Promise<EnvironmentRef>;
  /**
   * `count` environments of `owner`, holding nothing: the header and owner items
   * createEnvironment writes, marked as deleteEnvironment marks them when `deleted`.
   */
  seedEmptyEnvironments(owner: string, count: number, state: 'live' | 'deleted'): Promise<OwnedEnvironment[]>;
  /** A token of the environment made by createServiceToken, held as a runtime holds it. */
  seedServiceToken(environment: OwnedEnvironment): Promise<HeldToken>;
  /** `count` tokens of the environment as createServiceToken stores them, held by nobody: enough to revoke. */
  seedServiceTokens(environment: OwnedEnvironment, count: number): Promise<TokenRef[]>;
  /** `count` audit events of changes to the user's secrets, as the service writes them. */
  seedAuditEvents(sub: string, count: number): Promise<void>;
}

/** BatchWriteItem takes 25 items; a user secret, an environment or a token is two, an environment secret or an event one. */
const PAIRS_PER_BATCH = 12;
const SINGLES_PER_BATCH = 25;
const DAY_MS = 86_400_000;
/** Batches in flight across all seeding; more only queues inside DynamoDB Local. */
const BATCHES_IN_FLIGHT = 4;
const BATCH_ATTEMPTS = 8;

export function createSeeder(config: Config): Seeder {
  const ddb = createDocumentClient(config);
  const clock = systemClock;
  const deps: ValueDeps = {
    config,
    ddb,
    clock,
    keyring: createKeyring({ ddb, config, clock, kms: createKmsClient(config) }),
  };
  const limit = limiter(BATCHES_IN_FLIGHT);
  let seeded = 0;

  const writeBatch = async (items: Record<string, unknown>[]) => {
    let pending = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > BATCH_ATTEMPTS) throw new Error('DynamoDB Local kept items unprocessed while seeding');
      if (attempt > 1) await sleep(20 * attempt);
      const { UnprocessedItems } = await ddb.send(
        new BatchWriteCommand({ RequestItems: { [config.tableName]: pending } }),
      );
      pending = (UnprocessedItems?.[config.tableName] ?? []) as typeof pending;
    }
  };

  return {
    deps,
    async seedSecrets(sub, count) {
      const tenant = userTenant(sub);
      const dataKey = await deps.keyring.active(tenant);
      const secrets = Array.from({ length: count }, () =>
        newUserSecret(
          tenant,
          {
            id: randomUUID(),
            now: timestampOf(clock.now()),
            sub,
            name: `SEEDED_${seeded++}`,
            provider: 'custom',
            value: BENCH_VALUE,
          },
          dataKey,
        ),
      );
      await writeAll(
        secrets.map((secret) => [secret.nameItem, secret.secretItem]),
        PAIRS_PER_BATCH,
      );
      await countSeeded(deps, tenant, count);
      return secrets.map(({ metadata }) => ({ sub, id: metadata.id, name: metadata.name }));
    },
    async seedEnvironment(owner, count) {
      const { id } = await createEnvironment(deps, {
        requestId: 'req_test',
        sub: owner,
        environment: { name: `bench ${owner}`, description: '' },
      });
      const tenant = environmentTenant(id);
      // Makes the environment's data key, as its first secret write would.
      const dataKey = await deps.keyring.active(tenant);
      const now = timestampOf(clock.now());
      const secretKeys = Array.from({ length: count }, (_, n) => `SEEDED_${n}`);
      const items = secretKeys.map((key) => {
        const input = { key, value: BENCH_VALUE, description: '', neverReveal: false };
        return [
          environmentSecretItem.build(
            tenant,
            newSecretRecord(owner, input, now),
            sealUnder(dataKey, { key, valueVersion: 1 }, BENCH_VALUE),
          ),
        ];
      });
      await writeAll(items, SINGLES_PER_BATCH);
      await countSeeded(deps, tenant, count);
      return { sub: owner, environmentId: id, keys: secretKeys };
    },
    async seedEmptyEnvironments(owner, count, state) {
      const now = clock.now();
      const at = timestampOf(now);
      const deletion =
        state === 'deleted'
          ? {
              deleted_at: at,
              deleted_by: owner,
              purge_at: timestampOf(new Date(now.getTime() + config.recoveryWindowDays * DAY_MS)),
            }
          : {};
      const environments = Array.from({ length: count }, () => ({ sub: owner, environmentId: randomUUID() }));
      await writeAll(
        environments.map(({ environmentId }) => {
          const header: EnvironmentHeaderRecord = {
            name: `bench ${owner}`,
            description: '',
            created_at: at,
            updated_at: at,
            ...deletion,
          };
          const member = { user_id: owner, role: 'owner' as const, created_at: at, updated_at: at, updated_by: owner };
          return [
            itemOf(environmentHeaderItem.putNew(deps, environmentTenant(environmentId), header, owner)),
            memberItem.build(environmentId, member),
          ];
        }),
        PAIRS_PER_BATCH,
      );
      return environments;
    },
    async seedServiceToken({ sub, environmentId }) {
      const { id, token } = await createServiceToken(deps, {
        sub,
        requestId: 'req_test',
        environmentId,
        token: BENCH_TOKEN,
      });
      // The table keeps only the token's hash; the floor, which hashes nothing, finds the lookup item by it.
      const record = await serviceTokenItem.get(deps, environmentTenant(environmentId), id);
      return { sub, environmentId, tokenId: id, token, tokenHash: record!.token_hash };
    },
    async seedServiceTokens({ sub, environmentId }, count) {
      const tenant = environmentTenant(environmentId);
      const now = clock.now();
      const tokens = Array.from({ length: count }, () => ({ sub, environmentId, tokenId: randomUUID() }));
      await writeAll(
        tokens.map(({ tokenId }) => {
          const record: ServiceTokenRecord = {
            id: tokenId,
            name: BENCH_TOKEN.name,
            created_at: timestampOf(now),
            created_by: sub,
            expiry: timestampOf(new Date(now.getTime() + BENCH_TOKEN.expiresInDays * DAY_MS)),
            // The hash of a token nobody holds: revoking needs none.
            token_hash: randomBytes(32).toString('hex'),
          };
          const lookup = { environment_id: environmentId, token_id: tokenId, expiry: record.expiry };
          return [serviceTokenItem.build(tenant, record), serviceTokenLookupItem.build(record.token_hash, lookup)];
        }),
        PAIRS_PER_BATCH,
      );
      return tokens;
    },
    async seedAuditEvents(sub, count) {
      const tenant = userTenant(sub);
      const events = Array.from({ length: count }, (_, n) => [
        itemOf(
          auditChange(deps, tenant, {
            action: 'update',
            actor: sub,
            requestId: 'req_test',
            keys: [`SEEDED_${n}`],
            secretId: randomUUID(),
            version: 2,
          }),
        ),
      ]);
      await writeAll(events, SINGLES_PER_BATCH);
    },
  };

  /** Writes each secret's items (never split across batches), `perBatch` secrets a batch. */
  async function writeAll(secrets: Record<string, unknown>[][], perBatch: number) {
    const batches: Record<string, unknown>[][] = [];
    for (let start = 0; start < secrets.length; start += perBatch)
      batches.push(secrets.slice(start, start + perBatch).flat());
    await Promise.all(batches.map((batch) => limit(() => writeBatch(batch))));
  }
}

/** The item a transaction's Put writes: the service's builders make transaction items. */
function itemOf(put: TransactItem): Record<string, unknown> {
  if (!put.Put?.Item) throw new Error('Not a Put');
  return put.Put.Item;
}

/** Runs at most `size` tasks at a time; a finishing task hands its slot to the next one waiting. */
function limiter(size: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < size) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/** Counts seeded secrets (all of BENCH_VALUE) on the tenant header, as the service's writes do. */
async function countSeeded(deps: ValueDeps, tenant: string, count: number): Promise<void> {
  const usage = tenantHeaderItem.changeUsage(deps, tenant, { secrets: count, bytes: count * valueBytes(BENCH_VALUE) });
  if (usage?.Update) await deps.ddb.send(new UpdateCommand(usage.Update));
}
