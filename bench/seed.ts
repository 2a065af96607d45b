import { BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../lib/config.js';
import { createKeyring } from '../lib/crypto/keyring.js';
import { createKmsClient } from '../lib/crypto/kms.js';
import { newUserSecret, type ValueDeps } from '../lib/secrets/user-secrets.js';
import { totalUpdate } from '../lib/store/counted-page.js';
import { userTenant } from '../lib/store/keys.js';
import { createDocumentClient } from '../lib/store/dynamodb.js';
import type { SecretRef } from './fixtures.js';
import { BENCH_VALUE } from './routes.js';

/**
 * Seeds secrets fast: the items createUserSecret would write (same builder, real data key,
 * real ciphertext), stored with parallel BatchWriteItem calls instead of one transaction per
 * secret — DynamoDB Local manages a few hundred transactions a second at best.
 */
export interface Seeder {
  deps: ValueDeps;
  seedSecrets(sub: string, count: number): Promise<SecretRef[]>;
}

/** BatchWriteItem takes 25 items; a secret is two. */
const SECRETS_PER_BATCH = 12;
/** Batches in flight across all seeding; more only queues inside DynamoDB Local. */
const BATCHES_IN_FLIGHT = 4;
const BATCH_ATTEMPTS = 8;

export function createSeeder(config: Config): Seeder {
  const ddb = createDocumentClient(config);
  const deps: ValueDeps = { config, ddb, keyring: createKeyring({ ddb, config, kms: createKmsClient(config) }) };
  const limit = limiter(BATCHES_IN_FLIGHT);
  let seeded = 0;

  const writeBatch = async (items: Record<string, unknown>[]) => {
    let pending = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > BATCH_ATTEMPTS) throw new Error('DynamoDB Local kept items unprocessed while seeding');
      if (attempt > 1) await sleep(20 * attempt);
      const { UnprocessedItems } = await ddb.send(new BatchWriteCommand({ RequestItems: { [config.tableName]: pending } }));
      pending = (UnprocessedItems?.[config.tableName] ?? []) as typeof pending;
    }
  };

  return {
    deps,
    async seedSecrets(sub, count) {
      const tenant = userTenant(sub);
      const dataKey = await deps.keyring.active(tenant);
      const secrets = Array.from({ length: count }, () =>
        newUserSecret(tenant, { name: `SEEDED_${seeded++}`, provider: 'custom', value: BENCH_VALUE }, dataKey),
      );
      const batches: Record<string, unknown>[][] = [];
      for (let start = 0; start < secrets.length; start += SECRETS_PER_BATCH) {
        batches.push(secrets.slice(start, start + SECRETS_PER_BATCH).flatMap((secret) => [secret.nameItem, secret.secretItem]));
      }
      await Promise.all(batches.map((batch) => limit(() => writeBatch(batch))));
      await ddb.send(new UpdateCommand(totalUpdate(config.tableName, tenant, count)));
      return secrets.map(({ metadata }) => ({ sub, id: metadata.id, name: metadata.name }));
    },
  };
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
