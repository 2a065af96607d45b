import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ValueDeps } from '../lib/app/deps.js';
import { auditChange } from '../lib/audit/audit.js';
import { systemClock, timestampOf } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { sealValue } from '../lib/crypto/envelope.js';
import type { DataKey } from '../lib/crypto/keyring.js';
import { createKeyring } from '../lib/crypto/keyring.js';
import { createKmsClient } from '../lib/crypto/kms.js';
import { createEnvironment } from '../lib/environments/environments.js';
import { newSecretRecord, sealUnder } from '../lib/environments/secrets.js';
import { valueBytes } from '../lib/quota/quota.js';
import { type NewUserSecret, newUserSecret } from '../lib/secrets/user-secrets.js';
import { createDocumentClient } from '../lib/store/dynamodb.js';
import type { EnvironmentHeaderRecord } from '../lib/store/items/environment-header.js';
import * as environmentHeaderItem from '../lib/store/items/environment-header.js';
import * as environmentSecretItem from '../lib/store/items/environment-secret.js';
import { type EnvironmentSecretRecord, trashedEnvironmentSecretItem } from '../lib/store/items/environment-secret.js';
import * as memberItem from '../lib/store/items/member.js';
import * as secretVersionItem from '../lib/store/items/secret-version.js';
import type { ServiceTokenRecord } from '../lib/store/items/service-token.js';
import * as serviceTokenItem from '../lib/store/items/service-token.js';
import * as serviceTokenLookupItem from '../lib/store/items/service-token-lookup.js';
import * as tenantHeaderItem from '../lib/store/items/tenant-header.js';
import * as trashedNameItem from '../lib/store/items/trashed-name.js';
import * as userSecretItem from '../lib/store/items/user-secret.js';
import { trashedUserSecretItem, type UserSecretRecord } from '../lib/store/items/user-secret.js';
import type { SealedValue } from '../lib/store/items/value-item.js';
import { environmentTenant, userTenant } from '../lib/store/keys.js';
import type { TransactItem } from '../lib/store/transactions.js';
import { createServiceToken } from '../lib/tokens/tokens.js';
import { type KeptVersion, trashWindow } from '../lib/versions/history.js';
import type {
  EnvironmentRef,
  EnvironmentSecretRef,
  HeldToken,
  OwnedEnvironment,
  SecretRef,
  TokenRef,
} from './fixtures.js';
import { BENCH_TOKEN, BENCH_VALUE } from './routes.js';

/**
 * Seeds secrets fast: the items createUserSecret and createSecret would write (same builders,
 * real data key, real ciphertext), stored with parallel BatchWriteItem calls instead of one
 * transaction per secret — DynamoDB Local manages a few hundred transactions a second at best.
 */
export interface Seeder {
  deps: ValueDeps;
  /**
   * `count` secrets of the user. With `versions` > 1 each is as that many value writes leave it:
   * its current value at record version `versions`, every earlier one kept as a VERSION# item
   * (as the service keeps them, up to MAX_VERSIONS), each value sealed for its own slot.
   */
  seedSecrets(sub: string, count: number, versions?: number): Promise<SecretRef[]>;
  /** An environment made by createEnvironment with `owner` as its owner, holding `count` secrets (`versions` as above). */
  seedEnvironment(owner: string, count: number, versions?: number): Promise<EnvironmentRef>;
  /**
   * `count` secrets of the user in the trash, as deleteUserSecret leaves a secret that was
   * never updated: its TRASH# item (record and sealed value) and the TRASHNAME# item reserving its name.
   */
  seedTrashedSecrets(sub: string, count: number): Promise<SecretRef[]>;
  /** `count` secrets of the environment in its trash, as deleteSecret leaves one never updated: its TRASH# item. */
  seedTrashedEnvironmentSecrets(environment: OwnedEnvironment, count: number): Promise<EnvironmentSecretRef[]>;
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

/** BatchWriteItem's most items per call. */
const ITEMS_PER_BATCH = 25;
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
    async seedSecrets(sub, count, versions = 1) {
      const tenant = userTenant(sub);
      const dataKey = await deps.keyring.active(tenant);
      const now = timestampOf(clock.now());
      const secrets = Array.from({ length: count }, () =>
        newUserSecret(
          tenant,
          { id: randomUUID(), now, sub, name: `SEEDED_${seeded++}`, provider: 'custom', value: BENCH_VALUE },
          dataKey,
        ),
      );
      await writeAll(
        secrets.map((secret) =>
          versions > 1
            ? [secret.nameItem, ...userSecretWithVersions(tenant, sub, dataKey, secret.metadata, versions)]
            : [secret.nameItem, secret.secretItem],
        ),
      );
      await countSeeded(deps, tenant, count);
      return secrets.map(({ metadata }) => ({ sub, id: metadata.id, name: metadata.name }));
    },
    async seedEnvironment(owner, count, versions = 1) {
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
        const record = newSecretRecord(owner, input, now);
        if (versions <= 1)
          return [
            environmentSecretItem.build(tenant, record, sealUnder(dataKey, { key, valueVersion: 1 }, BENCH_VALUE)),
          ];
        const kept = earlierVersions(versions);
        const current: EnvironmentSecretRecord = {
          ...record,
          version: versions,
          value_version: versions,
          history: kept,
        };
        return [
          environmentSecretItem.build(
            tenant,
            current,
            sealUnder(dataKey, { key, valueVersion: versions }, BENCH_VALUE),
          ),
          ...kept.map(({ version, slot }) =>
            itemOf(
              secretVersionItem.put(
                deps,
                tenant,
                { recordId: key, slot },
                versionRecord(version, key, record.masked_value, now, owner),
                sealUnder(dataKey, { key, valueVersion: version }, BENCH_VALUE),
              ),
            ),
          ),
        ];
      });
      await writeAll(items);
      await countSeeded(deps, tenant, count);
      return { sub: owner, environmentId: id, keys: secretKeys };
    },
    async seedTrashedSecrets(sub, count) {
      const tenant = userTenant(sub);
      const dataKey = await deps.keyring.active(tenant);
      const at = clock.now();
      const now = timestampOf(at);
      const window = trashWindow(config, at);
      const secrets = Array.from({ length: count }, () =>
        newUserSecret(
          tenant,
          { id: randomUUID(), now, sub, name: `TRASHED_${seeded++}`, provider: 'custom', value: BENCH_VALUE },
          dataKey,
        ),
      );
      await writeAll(
        secrets.map(({ metadata, secretItem }) => {
          const { PK: _, SK: __, ...stored } = secretItem;
          // The item as stored, with the lineage a new secret has: no kept versions.
          const record = { ...(stored as unknown as UserSecretRecord & SealedValue), history: [] };
          const trashed = { ...record, ...window, deleted_by: sub };
          return [
            itemOf(trashedUserSecretItem.put(deps, tenant, metadata.id, trashed)),
            itemOf(trashedNameItem.put(deps, tenant, metadata.name, metadata.id, window.expires_at)),
          ];
        }),
      );
      return secrets.map(({ metadata }) => ({ sub, id: metadata.id, name: metadata.name }));
    },
    async seedTrashedEnvironmentSecrets({ sub, environmentId }, count) {
      const tenant = environmentTenant(environmentId);
      const dataKey = await deps.keyring.active(tenant);
      const at = clock.now();
      const now = timestampOf(at);
      const window = trashWindow(config, at);
      const secretKeys = Array.from({ length: count }, () => `TRASHED_${seeded++}`);
      await writeAll(
        secretKeys.map((key) => {
          const record = newSecretRecord(sub, { key, value: BENCH_VALUE, description: '', neverReveal: false }, now);
          const sealed = sealUnder(dataKey, { key, valueVersion: 1 }, BENCH_VALUE);
          return [
            itemOf(
              trashedEnvironmentSecretItem.put(deps, tenant, key, { ...record, ...sealed, ...window, deleted_by: sub }),
            ),
          ];
        }),
      );
      return secretKeys.map((key) => ({ sub, environmentId, key }));
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
      await writeAll(events);
    },
  };

  /**
   * Writes each secret's items (or each environment's, token's…), filling batches of 25: a
   * secret's items share a batch unless they are more than one holds (a secret with many versions).
   */
  async function writeAll(groups: Record<string, unknown>[][]) {
    const batches: Record<string, unknown>[][] = [];
    let batch: Record<string, unknown>[] = [];
    for (const group of groups) {
      if (batch.length + group.length > ITEMS_PER_BATCH && batch.length > 0) {
        batches.push(batch);
        batch = [];
      }
      for (let start = 0; start < group.length; start += ITEMS_PER_BATCH) {
        const part = group.slice(start, start + ITEMS_PER_BATCH);
        if (batch.length + part.length > ITEMS_PER_BATCH) {
          batches.push(batch);
          batch = [];
        }
        batch.push(...part);
      }
    }
    if (batch.length > 0) batches.push(batch);
    await Promise.all(batches.map((items) => limit(() => writeBatch(items))));
  }

  /**
   * The secret item and VERSION# items of a user secret after `versions` value writes of
   * BENCH_VALUE: each value sealed under the tenant's key for its own slot (id, name, version).
   */
  function userSecretWithVersions(
    tenant: string,
    sub: string,
    dataKey: DataKey,
    metadata: NewUserSecret['metadata'],
    versions: number,
  ): Record<string, unknown>[] {
    const seal = (valueVersion: number): SealedValue => ({
      kv: dataKey.version,
      ct: sealValue(dataKey.key, BENCH_VALUE, {
        tenant,
        recordId: metadata.id,
        name: metadata.name,
        valueVersion,
        keyVersion: dataKey.version,
      }),
    });
    const kept = earlierVersions(versions);
    const record: UserSecretRecord = {
      ...metadata,
      version: versions,
      value_bytes: valueBytes(BENCH_VALUE),
      value_version: versions,
      value_at: metadata.updated_at,
      value_by: sub,
      history: kept,
    };
    return [
      userSecretItem.build(tenant, record, seal(versions)),
      ...kept.map(({ version, slot }) =>
        itemOf(
          secretVersionItem.put(
            deps,
            tenant,
            { recordId: metadata.id, slot },
            versionRecord(version, metadata.name, metadata.masked_value, metadata.updated_at, sub),
            seal(version),
          ),
        ),
      ),
    ];
  }
}

/** The value versions kept before current version `versions`: every earlier one, oldest first, in slots 0, 1, … */
function earlierVersions(versions: number): KeptVersion[] {
  return Array.from({ length: Math.max(0, versions - 1) }, (_, n) => ({ version: n + 1, slot: n }));
}

/** A kept version of BENCH_VALUE as the service moves a superseded value into its VERSION# item. */
function versionRecord(valueVersion: number, name: string, masked: string, at: string, by: string) {
  return {
    value_version: valueVersion,
    name,
    masked_value: masked,
    value_bytes: valueBytes(BENCH_VALUE),
    created_at: at,
    created_by: by,
  };
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
