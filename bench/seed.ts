import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ValueDeps } from '../lib/app/deps.js';
import { systemClock, timestampOf } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { createKeyring } from '../lib/crypto/keyring.js';
import { createKmsClient } from '../lib/crypto/kms.js';
import { createEnvironment } from '../lib/environments/environments.js';
import { newSecretRecord, sealUnder } from '../lib/environments/secrets.js';
import { valueBytes } from '../lib/quota/quota.js';
import { newUserSecret } from '../lib/secrets/user-secrets.js';
import { createDocumentClient } from '../lib/store/dynamodb.js';
import { environmentSecretItem } from '../lib/store/items/environment-secret.js';
import { tenantHeaderItem } from '../lib/store/items/tenant-header.js';
import { environmentTenant, userTenant } from '../lib/store/keys.js';
import type { EnvironmentRef, SecretRef } from './fixtures.js';
import { BENCH_VALUE } from './routes.js';

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
}

/** BatchWriteItem takes 25 items; a user secret is two, an environment secret one. */
const SECRETS_PER_BATCH = 12;
const ENVIRONMENT_SECRETS_PER_BATCH = 25;
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
            name: `SEEDED_${seeded++}`,
            provider: 'custom',
            value: BENCH_VALUE,
          },
          dataKey,
        ),
      );
      await writeAll(
        secrets.map((secret) => [secret.nameItem, secret.secretItem]),
        SECRETS_PER_BATCH,
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
          environmentSecretItem.build(tenant, newSecretRecord(owner, input, now), sealUnder(dataKey, key, BENCH_VALUE)),
        ];
      });
      await writeAll(items, ENVIRONMENT_SECRETS_PER_BATCH);
      await countSeeded(deps, tenant, count);
      return { sub: owner, environmentId: id, keys: secretKeys };
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
