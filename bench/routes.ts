import { randomBytes, randomUUID } from 'node:crypto';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { auditChange, recordAccess } from '../lib/audit/audit.js';
import { INJECT_SCOPE } from '../lib/auth/claims.js';
import { systemClock } from '../lib/clock.js';
import { newSecretRecord } from '../lib/environments/secrets.js';
import { valueBytes } from '../lib/quota/quota.js';
import { MASK } from '../lib/secrets/masking.js';
import { PRESET_NAMES, PRESET_PROVIDERS } from '../lib/secrets/presets.js';
import { projection } from '../lib/store/expressions.js';
import * as environmentHeaderItem from '../lib/store/items/environment-header.js';
import { ENVIRONMENT_HEADER_ATTRIBUTES, type EnvironmentHeaderRecord } from '../lib/store/items/environment-header.js';
import * as environmentSecretItem from '../lib/store/items/environment-secret.js';
import {
  ENVIRONMENT_SECRET_LIST_ATTRIBUTES,
  type EnvironmentSecretRecord,
  environmentSecretValueAttributes,
  ENVIRONMENT_SECRET_METADATA_ATTRIBUTES as SECRET_METADATA_ATTRIBUTES,
  trashedEnvironmentSecretItem,
} from '../lib/store/items/environment-secret.js';
import { MEMBER_ATTRIBUTES, MEMBERSHIP_ATTRIBUTES } from '../lib/store/items/member.js';
import * as secretVersionItem from '../lib/store/items/secret-version.js';
import {
  keptVersionsOf,
  type SecretVersionRecord,
  secretVersionAttributes,
} from '../lib/store/items/secret-version.js';
import * as serviceTokenItem from '../lib/store/items/service-token.js';
import { ServiceTokenRecord } from '../lib/store/items/service-token.js';
import * as serviceTokenLookupItem from '../lib/store/items/service-token-lookup.js';
import { ServiceTokenLookupRecord } from '../lib/store/items/service-token-lookup.js';
import * as tenantHeaderItem from '../lib/store/items/tenant-header.js';
import * as trashedNameItem from '../lib/store/items/trashed-name.js';
import { TrashFields } from '../lib/store/items/trashed-secret.js';
import * as userSecretItem from '../lib/store/items/user-secret.js';
import {
  USER_SECRET_METADATA_ATTRIBUTES as METADATA_ATTRIBUTES,
  trashedUserSecretItem,
  UserSecretMetadataRecord,
  type UserSecretRecord,
} from '../lib/store/items/user-secret.js';
import * as userSecretNameItem from '../lib/store/items/user-secret-name.js';
import type { SealedValue } from '../lib/store/items/value-item.js';
import {
  ENVIRONMENT_TENANT_PREFIX,
  environmentTenant,
  itemKeys,
  type Key,
  prefixEnd,
  SK_META,
  SK_PREFIX,
  userTenant,
} from '../lib/store/keys.js';
import { PageQuery } from '../lib/store/page-query.js';
import { TABLE_DEFINITION } from '../lib/store/table.js';
import type { TransactItem } from '../lib/store/transactions.js';
import type { CreateServiceTokenBody } from '../lib/tokens/schemas.js';
import { type KeptVersion, type Lineage, slotOf, supersede, versionsPage } from '../lib/versions/history.js';
import type { Caller, EnvironmentRef, Fixtures, SecretRef, VersionedHolder, VersionedSecret } from './fixtures.js';

/**
 * The routes the bench drives, one entry each: how to make the calls of a run (`prepare`)
 * and the floor — the route's own storage calls, in the route's order, run behind a bare HTTP
 * handler with no middleware, validation or crypto. A new route is one more entry here.
 *
 * So the ratio to the floor is what the service's code adds. What the storage design itself
 * costs is visible beside it: every environment route but the lists first reads the caller's
 * member item and the environment's header together (its access check); updates and deletes
 * read the record they change; inject and reveal write their audit item before plaintext
 * leaves (see BENCHMARKS.md).
 */

/** Who runs a call: the gateway with the real handlers, the floor server, or a fresh process importing a bundle. */
export type Target = 'gateway' | 'floor' | 'cold';

/** One request, independent of how it is sent. */
export interface BenchCall {
  sub: string;
  /** A service token, sent instead of the JWT signed for `sub`, on the route that takes one. */
  bearer?: string;
  /** Values of the route's `{param}` segments, plus anything the floor op needs to name the same items. */
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: Record<string, unknown>;
}

/** The calls of one run. */
export interface CallSource {
  /** Every caller the calls may come from, so their tokens are signed before the run. */
  subs: string[];
  /** The next call of connection `client`; `undefined` when a prepared pool is used up. */
  next(client: number): BenchCall | undefined;
  /** Sees every 2xx answer, e.g. to remember what a create made. */
  answered?(client: number, call: BenchCall, body: string): void;
}

export interface RunPlan {
  target: Target;
  connections: number;
  /** The most calls the run can make; pools are sized from it. */
  calls: number;
}

export interface FloorStore {
  ddb: DynamoDBDocumentClient;
  tableName: string;
  /** The service's MAX_VERSIONS: how many value versions a value write keeps. */
  maxVersions: number;
}

export type FloorOp = (store: FloorStore, call: BenchCall) => Promise<unknown>;

export interface RouteBench {
  /** Route key as in infra/routes.ts, e.g. `GET /api/v1/user/secrets`. */
  route: string;
  /** Token scope the route needs. */
  scope?: string;
  prepare(fixtures: Fixtures, plan: RunPlan): Promise<CallSource>;
  floor: FloorOp;
}

/** A typical API key: long enough to be masked as head••••tail. */
export const BENCH_VALUE = 'sk-bench-0123456789abcdefghijklmnopqrstuvwxyz';

/** The service token the bench makes, by the route and by the seeder alike. */
export const BENCH_TOKEN: CreateServiceTokenBody = { name: 'bench', expiresInDays: 90 };

/**
 * The bench's per-tenant quota (bench/run.ts sets it for the service too): a create run writes
 * thousands of secrets for one user, far past the default of 1,000.
 */
export const BENCH_QUOTA = { maxSecrets: 10_000_000, maxValueBytes: 1024 ** 4 };

/** Sealed size of a value: IV(12) + ciphertext + tag(16), so floor items are as large as real ones. */
const sealedBytes = (value: string) => 12 + Buffer.byteLength(value) + 16;

const V1 = '/api/v1/user/secrets';
const ENVIRONMENTS = '/api/environments';
const ENVIRONMENT_SECRETS = `${ENVIRONMENTS}/{id}/secrets`;
const SERVICE_TOKENS = `${ENVIRONMENTS}/{id}/tokens`;
/** The data key version of a seeded tenant (a user or an environment): its first and only one. */
const SEEDED_KEY_VERSION = 1;
const DAY_MS = 86_400_000;
/** When a floor-deleted environment is due for purging: the service's default window (restore runs need it ahead). */
const FLOOR_RECOVERY_MS = 7 * DAY_MS;
const SERVICE_TOKEN_ATTRIBUTES = Object.keys(ServiceTokenRecord.shape);
const SERVICE_TOKEN_LOOKUP_ATTRIBUTES = Object.keys(ServiceTokenLookupRecord.shape);
const SECRET_VERSION_ATTRIBUTES = secretVersionAttributes();
/** A kept version with its value: what a rename reads of each, to seal it anew. */
const SECRET_VERSION_VALUE_ATTRIBUTES = [...SECRET_VERSION_ATTRIBUTES, 'kv', 'ct'];
const USER_SECRET_NAME_ATTRIBUTES = Object.keys(UserSecretMetadataRecord.shape);
/** What a list of the trash reads of each trashed secret: its record and when it goes, never its value. */
const TRASHED_USER_SECRET_ATTRIBUTES = [...METADATA_ATTRIBUTES, ...Object.keys(TrashFields)];
const TRASHED_ENVIRONMENT_SECRET_ATTRIBUTES = [...SECRET_METADATA_ATTRIBUTES, ...Object.keys(TrashFields)];
/** The page a list call without `limit` gets. */
const DEFAULT_PAGE_LIMIT = PageQuery.parse({}).limit;

export const ROUTE_BENCHES: readonly RouteBench[] = [
  {
    route: `POST ${V1}`,
    async prepare(fixtures, plan) {
      const users = clientUsers(plan, 'create');
      const counts = users.map(() => 0);
      return {
        subs: users,
        next: (client) => ({
          sub: users[client]!,
          body: { name: `BENCH_${client}_${counts[client]!++}`, value: BENCH_VALUE },
        }),
        answered: (client, call, body) =>
          fixtures.createdSecrets.record(plan.target, client, createdRef(call, String(call.body!.name), body)),
      };
    },
    floor: (store, { sub, body }) => floorCreate(store, sub, String(body!.name), 'custom', String(body!.value)),
  },
  {
    route: `POST ${V1}/preset`,
    async prepare(fixtures, plan) {
      // A user has one secret per preset, so each user takes as many calls as there are presets;
      // the gateway's users are held warm, as the create run's are, which bounds how many there can be.
      const wanted = Math.ceil(plan.calls / PRESET_PROVIDERS.length / plan.connections);
      const usersPerClient =
        plan.target === 'gateway' ? Math.min(wanted, Math.floor(fixtures.maxWarmTenants / plan.connections)) : wanted;
      const users = Array.from({ length: plan.connections }, (_, client) =>
        Array.from({ length: usersPerClient }, (_, k) => `${plan.target}-preset-${client}-${k}`),
      );
      if (plan.target === 'gateway') await fixtures.warmTenants(users.flat());
      const counts = users.map(() => 0);
      return {
        subs: users.flat(),
        next: (client) => {
          const n = counts[client]!++;
          const sub = users[client]![Math.floor(n / PRESET_PROVIDERS.length)];
          return sub === undefined
            ? undefined
            : { sub, body: { provider: PRESET_PROVIDERS[n % PRESET_PROVIDERS.length]!, value: BENCH_VALUE } };
        },
        answered: (client, call, body) =>
          fixtures.createdSecrets.record(
            plan.target,
            client,
            createdRef(call, PRESET_NAMES[String(call.body!.provider)]!, body),
          ),
      };
    },
    floor: (store, { sub, body }) => {
      const provider = String(body!.provider);
      return floorCreate(store, sub, PRESET_NAMES[provider]!, provider, String(body!.value));
    },
  },
  {
    route: `GET ${V1}`,
    async prepare(fixtures, plan) {
      return eachConnection(await fixtures.readers(plan.target, plan.connections), ({ sub }) => ({ sub }));
    },
    // The first page as the service reads it: META (for `total`) and the page of names in one Query.
    floor: async ({ ddb, tableName }, { sub, query }) => {
      const { Items = [] } = await ddb.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :meta AND :end',
          ExpressionAttributeValues: {
            ':pk': userTenant(sub),
            ':meta': SK_META,
            ':end': prefixEnd(SK_PREFIX.userSecretName),
          },
          Limit: pageLimit(query) + 2,
          ConsistentRead: true,
        }),
      );
      return Items;
    },
  },
  {
    route: `GET ${V1}/{id}`,
    async prepare(fixtures, plan) {
      const readers = await fixtures.readers(plan.target, plan.connections);
      return { subs: readers.map((r) => r.sub), next: cycleSecrets(readers, () => undefined) };
    },
    floor: (store, { sub, params }) => floorReadUserSecret(store, userTenant(sub), params!.id!),
  },
  {
    route: `PUT ${V1}/{id}`,
    async prepare(fixtures, plan) {
      const readers = await fixtures.readers(plan.target, plan.connections);
      return { subs: readers.map((r) => r.sub), next: cycleSecrets(readers, () => ({ value: BENCH_VALUE })) };
    },
    // The record with its current value (which becomes a value version), then the transaction
    // writing the new value, the previous one's VERSION# item and the removal of the oldest one
    // past MAX_VERSIONS (once a secret has that many: the readers' secrets get there within a run).
    floor: async (store, { sub, params, body }) => {
      const current = await floorUserSecret(store, userTenant(sub), params!.id!);
      return floorWriteUserValue(store, sub, current, String(body!.value));
    },
  },
  {
    route: `DELETE ${V1}/{id}`,
    async prepare(fixtures, plan) {
      // Each secret once: deleted, it is in the trash with its name reserved, so none is made again.
      return poolCalls(await fixtures.deletableSecrets(plan.target, plan.connections, plan.calls), (secret) => ({
        sub: secret.sub,
        params: { id: secret.id, name: secret.name },
      }));
    },
    // The record with its value, then the transaction moving it to the trash: the secret and its
    // name entry out, the TRASH# item (record and sealed value) and the TRASHNAME# reservation in,
    // usage and audit; plus the expiry of each kept version (the pool's secrets keep none).
    floor: async (store, { sub, params }) => {
      const tenant = userTenant(sub);
      const current = await floorUserSecret(store, tenant, params!.id!);
      const window = floorTrashWindow();
      const t = tableOf(store);
      await floorTransact(
        store,
        userSecretItem.deleteIfVersion(t, tenant, current.id, current.version),
        userSecretNameItem.deleteIfOwnedBy(t, tenant, current.name, current.id),
        trashedUserSecretItem.put(t, tenant, current.id, { ...current, ...window, deleted_by: sub }),
        trashedNameItem.put(t, tenant, current.name, current.id, window.expires_at),
        tenantHeaderItem.changeUsage(t, tenant, { secrets: -1, bytes: -(current.value_bytes ?? 0) })!,
        floorChangeAudit(store, tenant, sub, [current.name]),
        ...current.history.map(
          ({ slot }) => secretVersionItem.expireAt(t, tenant, current.id, slot, window.expires_at).transactItem,
        ),
      );
      return undefined;
    },
  },
  {
    route: `GET ${V1}/env`,
    scope: INJECT_SCOPE,
    async prepare(fixtures, plan) {
      return eachConnection(await fixtures.readers(plan.target, plan.connections), ({ sub }) => ({ sub }));
    },
    floor: async (store, { sub }) => {
      const { Items = [] } = await store.ddb.send(
        new QueryCommand({
          TableName: store.tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': userTenant(sub), ':prefix': SK_PREFIX.secret },
          ProjectionExpression: 'id, #name, value_version, kv, ct',
          ExpressionAttributeNames: { '#name': 'name' },
          ConsistentRead: true,
        }),
      );
      await floorAudit(
        store,
        userTenant(sub),
        sub,
        Items.map((item) => String(item.name)),
      );
      // The env map the route answers with, still sealed: the floor does no crypto.
      return Object.fromEntries(
        Items.map((item) => [item.name, Buffer.from(item.ct as Uint8Array).toString('base64')]),
      );
    },
  },
  {
    route: 'GET /api/v1/user/audit',
    async prepare(fixtures, plan) {
      return eachConnection(await fixtures.auditedUsers(plan.target, plan.connections), ({ sub }) => ({ sub }));
    },
    // One page of the user's audit events, newest first.
    floor: async ({ ddb, tableName }, { sub, query }) => {
      const { Items = [] } = await ddb.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': userTenant(sub), ':prefix': SK_PREFIX.audit },
          ScanIndexForward: false,
          Limit: pageLimit(query) + 1,
          ConsistentRead: true,
        }),
      );
      return Items;
    },
  },
  {
    route: `GET ${V1}/{id}/versions`,
    async prepare(fixtures, plan) {
      return versionCalls(await fixtures.versionedReaders(plan.target, plan.connections), 'list');
    },
    // The record (its `history` names the kept versions), then the page's VERSION# items in one BatchGetItem.
    floor: async (store, { sub, params, query }) => {
      const tenant = userTenant(sub);
      const record = (await floorGet(store, itemKeys.userSecret(tenant, params!.id!), METADATA_ATTRIBUTES)) as
        | UserSecretRecord
        | undefined;
      if (!record) throw new Error('No such secret');
      return { record, versions: await floorVersionPage(store, tenant, record.id, record, query) };
    },
  },
  {
    route: `POST ${V1}/{id}/versions/{version}/restore`,
    async prepare(fixtures, plan) {
      return versionCalls(await fixtures.versionedReaders(plan.target, plan.connections), 'restore');
    },
    // The record with its value, the kept version's item, then the value write of an update.
    floor: async (store, { sub, params }) => {
      const current = await floorUserSecret(store, userTenant(sub), params!.id!);
      await floorKeptVersion(store, userTenant(sub), current.id, current, Number(params!.version));
      return floorWriteUserValue(store, sub, current, BENCH_VALUE);
    },
  },
  {
    route: `GET ${V1}/deleted`,
    async prepare(fixtures, plan) {
      return eachConnection(await fixtures.userTrash(plan.target, plan.connections), ({ sub }) => ({ sub }));
    },
    // One page of TRASH# items without values, leaving out what is past its window.
    floor: (store, { sub, query }) =>
      floorTrashPage(store, userTenant(sub), pageLimit(query), TRASHED_USER_SECRET_ATTRIBUTES),
  },
  {
    route: `POST ${V1}/deleted/{id}/restore`,
    async prepare(fixtures, plan) {
      const piles = await fixtures.trashedSecrets(plan.target, plan.connections, plan.calls, 'restore');
      return poolCalls(piles, ({ sub, id }) => ({ sub, params: { id } }));
    },
    // The TRASH# item, then one transaction: it and the name's reservation out, the secret and
    // its name entry back (a new record version), usage within the quota, audit; plus keeping
    // each version for good again (the pool's secrets keep none).
    floor: async (store, { sub, params }) => {
      const tenant = userTenant(sub);
      const trashed = await floorTrashed<UserSecretRecord>(store, tenant, params!.id!);
      const { deleted_at: _, deleted_by: __, purge_at: ___, expires_at: ____, kv, ct, ...kept } = trashed;
      const record: UserSecretRecord = { ...kept, version: trashed.version + 1, updated_at: new Date().toISOString() };
      const t = tableOf(store);
      await floorTransact(
        store,
        trashedUserSecretItem.removeIfVersion(t, tenant, record.id, trashed.version, nowSeconds()),
        trashedNameItem.deleteIfHeldBy(t, tenant, record.name, record.id),
        userSecretItem.putNew(t, userSecretItem.build(tenant, record, { kv, ct })),
        userSecretNameItem.putNew(t, userSecretNameItem.build(tenant, pick(record, USER_SECRET_NAME_ATTRIBUTES))),
        tenantHeaderItem.changeUsage(t, tenant, {
          secrets: 1,
          bytes: record.value_bytes ?? 0,
          sealedUnder: kv,
          quota: BENCH_QUOTA,
        })!,
        floorChangeAudit(store, tenant, sub, [record.name]),
        ...record.history.map(({ slot }) => secretVersionItem.keep(t, tenant, record.id, slot).transactItem),
      );
      return pick(record, USER_SECRET_NAME_ATTRIBUTES);
    },
  },
  {
    route: `DELETE ${V1}/deleted/{id}`,
    async prepare(fixtures, plan) {
      const piles = await fixtures.trashedSecrets(plan.target, plan.connections, plan.calls, 'purge');
      return poolCalls(piles, ({ sub, id }) => ({ sub, params: { id } }));
    },
    // The TRASH# item, then one transaction: it and the name's reservation out, audit; plus the
    // removal of each kept version (the pool's secrets keep none).
    floor: async (store, { sub, params }) => {
      const tenant = userTenant(sub);
      const trashed = await floorTrashed<UserSecretRecord>(store, tenant, params!.id!);
      const t = tableOf(store);
      await floorTransact(
        store,
        trashedUserSecretItem.removeIfVersion(t, tenant, trashed.id, trashed.version, nowSeconds()),
        trashedNameItem.deleteIfHeldBy(t, tenant, trashed.name, trashed.id),
        floorChangeAudit(store, tenant, sub, [trashed.name]),
        ...trashed.history.map(({ slot }) => secretVersionItem.remove(t, tenant, trashed.id, slot).transactItem),
      );
      return undefined;
    },
  },
  {
    route: `POST ${V1}/{id}/compare`,
    async prepare(fixtures, plan) {
      const readers = await fixtures.readers(plan.target, plan.connections);
      return { subs: readers.map((r) => r.sub), next: cycleSecrets(readers, () => ({ value: BENCH_VALUE })) };
    },
    // As a reveal: the record with its value (the whole item, as the service reads it), then the
    // audit written before the answer leaves.
    floor: async (store, { sub, params }) => {
      const tenant = userTenant(sub);
      const current = await floorUserSecret(store, tenant, params!.id!);
      await floorAudit(store, tenant, sub, [current.name]);
      // The floor does no crypto, so it compares nothing.
      return { matches: false };
    },
  },
  {
    route: `POST ${V1}/{id}/rename`,
    async prepare(fixtures, plan) {
      // Every call a fresh name, so each renames its secret (a rename to the same name writes nothing).
      const holders = await fixtures.renamableSecrets(plan.target, plan.connections);
      const counts = holders.map(() => 0);
      return eachConnection(holders, ({ sub, secrets }, client) => {
        const n = counts[client]!++;
        return { sub, params: { id: secrets[n % secrets.length]!.id }, body: { name: `RENAMED_${client}_${n}` } };
      });
    },
    // The record with its value, its kept versions with theirs in one BatchGetItem (each is sealed
    // anew for the new name), then one transaction: the record renamed (on condition of its
    // version), the old NAME# entry out and the new one in, the check that no trashed secret
    // holds the name, the active-key check, audit and each kept version rewritten.
    floor: async (store, { sub, params, body }) => {
      const tenant = userTenant(sub);
      const current = await floorUserSecret(store, tenant, params!.id!);
      const name = String(body!.name);
      const versions = (await floorBatchGet(
        store,
        current.history.map(({ slot }) => itemKeys.secretVersion(tenant, current.id, slot)),
        SECRET_VERSION_VALUE_ATTRIBUTES,
      )) as unknown as (SecretVersionRecord & SealedValue & Key)[];
      const updated_at = new Date().toISOString();
      const metadata = { ...pick(current, USER_SECRET_NAME_ATTRIBUTES), name, updated_at };
      const t = tableOf(store);
      // The values keep their sealed bytes: the floor seals nothing anew.
      await floorTransact(
        store,
        userSecretItem.rename(t, tenant, {
          id: current.id,
          readVersion: current.version,
          name,
          sealed: { kv: SEEDED_KEY_VERSION, ct: current.ct },
          updated_at,
        }),
        userSecretNameItem.deleteIfOwnedBy(t, tenant, current.name, current.id),
        userSecretNameItem.putNew(t, userSecretNameItem.build(tenant, metadata)),
        trashedNameItem.free(t, tenant, name, nowSeconds()),
        tenantHeaderItem.changeUsage(t, tenant, { secrets: 0, bytes: 0, sealedUnder: SEEDED_KEY_VERSION })!,
        floorChangeAudit(store, tenant, sub, [current.name, name]),
        ...versions.map(
          ({ PK: _, SK: __, ...version }) =>
            secretVersionItem.rebind(
              t,
              tenant,
              { recordId: current.id, slot: slotOf(current, version.value_version)! },
              { ...version, name },
            ).transactItem,
        ),
      );
      return metadata;
    },
  },
  {
    route: `POST ${ENVIRONMENT_SECRETS}`,
    async prepare(fixtures, plan) {
      const counts = Array.from({ length: plan.connections }, () => 0);
      return {
        ...eachConnection(
          await fixtures.environments(plan.target, plan.connections, 'writer'),
          ({ sub, environmentId }, client) => ({
            sub,
            params: { id: environmentId },
            body: { key: `BENCH_${client}_${counts[client]!++}`, value: BENCH_VALUE },
          }),
        ),
        // What a create run made, the delete run deletes.
        answered: (client, { sub, params, body }) =>
          fixtures.createdEnvironmentSecrets.record(plan.target, client, {
            sub,
            environmentId: params!.id!,
            key: String(body!.key),
          }),
      };
    },
    floor: async (store, { sub, params, body }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      const value = String(body!.value);
      const record = newSecretRecord(
        sub,
        { key: String(body!.key), value, description: '', neverReveal: false },
        new Date().toISOString(),
      );
      await floorTransact(
        store,
        {
          Put: {
            TableName: store.tableName,
            Item: environmentSecretItem.build(tenant, record, {
              kv: SEEDED_KEY_VERSION,
              ct: Buffer.alloc(sealedBytes(value)),
            }),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        // The key must not be held by a trashed secret either.
        trashedEnvironmentSecretItem.absent(tableOf(store), tenant, record.key, nowSeconds()),
        tenantHeaderItem.changeUsage(tableOf(store), tenant, {
          secrets: 1,
          bytes: valueBytes(value),
          sealedUnder: SEEDED_KEY_VERSION,
          quota: BENCH_QUOTA,
        })!,
        floorChangeAudit(store, tenant, sub, [record.key]),
      );
      return record;
    },
  },
  {
    route: `GET ${ENVIRONMENT_SECRETS}`,
    prepare: readerCalls(false),
    floor: async (store, { sub, params, query }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      // The first page as the service reads it: META (for `total`) and the page in one Query.
      const { Items = [] } = await store.ddb.send(
        new QueryCommand({
          TableName: store.tableName,
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :meta AND :end',
          ExpressionAttributeValues: { ':pk': tenant, ':meta': SK_META, ':end': prefixEnd(SK_PREFIX.secret) },
          Limit: pageLimit(query) + 2,
          ConsistentRead: true,
          ...projection('SK', 'total', ...ENVIRONMENT_SECRET_LIST_ATTRIBUTES),
        }),
      );
      return Items;
    },
  },
  {
    route: `GET ${ENVIRONMENT_SECRETS}/{key}`,
    prepare: readerCalls(true),
    floor: (store, { sub, params }) => floorGetSecret(store, sub, params!, SECRET_METADATA_ATTRIBUTES),
  },
  {
    route: `PATCH ${ENVIRONMENT_SECRETS}/{key}`,
    async prepare(fixtures, plan) {
      return environmentCalls(await fixtures.environments(plan.target, plan.connections, 'reader'), true, () => ({
        value: BENCH_VALUE,
      }));
    },
    // The access check, the record with its current value, then the value write: the record,
    // the previous value's VERSION# item and the removal of the oldest one past MAX_VERSIONS.
    floor: async (store, { sub, params, body }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      const current = await floorEnvironmentSecret(store, tenant, params!.key!);
      return floorWriteEnvironmentValue(store, sub, tenant, current, String(body!.value));
    },
  },
  {
    route: `DELETE ${ENVIRONMENT_SECRETS}/{key}`,
    async prepare(fixtures, plan) {
      const piles = await fixtures.deletableEnvironmentSecrets(plan.target, plan.connections, plan.calls);
      return poolCalls(piles, ({ sub, environmentId, key }) => ({ sub, params: { id: environmentId, key } }));
    },
    // The access check, the record with its value, then one transaction: the secret out, its
    // TRASH# item in, usage and audit; plus the expiry of each kept version (the pool's keep none).
    floor: async (store, { sub, params }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      const current = await floorEnvironmentSecret(store, tenant, params!.key!);
      const window = floorTrashWindow();
      const t = tableOf(store);
      await floorTransact(
        store,
        environmentSecretItem.deleteIfVersion(t, tenant, current.key, current.version),
        trashedEnvironmentSecretItem.put(t, tenant, current.key, { ...current, ...window, deleted_by: sub }),
        tenantHeaderItem.changeUsage(t, tenant, { secrets: -1, bytes: -(current.value_bytes ?? 0) })!,
        floorChangeAudit(store, tenant, sub, [current.key]),
        ...current.history.map(
          ({ slot }) => secretVersionItem.expireAt(t, tenant, current.key, slot, window.expires_at).transactItem,
        ),
      );
      return undefined;
    },
  },
  {
    route: `GET ${ENVIRONMENT_SECRETS}/{key}/value`,
    prepare: readerCalls(true),
    floor: async (store, { sub, params }) => {
      const item = await floorGetSecret(store, sub, params!, environmentSecretValueAttributes());
      await floorAudit(store, environmentTenant(params!.id!), sub, [params!.key!]);
      // The value still sealed: the floor does no crypto.
      return item && { key: item.key, value: Buffer.from(item.ct as Uint8Array).toString('base64') };
    },
  },
  {
    route: `POST ${ENVIRONMENT_SECRETS}/{key}/compare`,
    async prepare(fixtures, plan) {
      return environmentCalls(await fixtures.environments(plan.target, plan.connections, 'reader'), true, () => ({
        value: BENCH_VALUE,
      }));
    },
    // As a reveal: the access check, the value's GetItem, then the audit written before the answer leaves.
    floor: async (store, { sub, params }) => {
      await floorGetSecret(store, sub, params!, environmentSecretValueAttributes());
      await floorAudit(store, environmentTenant(params!.id!), sub, [params!.key!]);
      // The floor does no crypto, so it compares nothing.
      return { matches: false };
    },
  },
  {
    route: `POST ${ENVIRONMENT_SECRETS}/{key}/copy`,
    async prepare(fixtures, plan) {
      // Every call a free key in the target: a copy never overwrites.
      const pairs = await fixtures.copyPairs(plan.target, plan.connections);
      const counts = pairs.map(() => 0);
      return eachConnection(pairs, ({ sub, environmentId, keys, targetEnvironmentId }, client) => {
        const n = counts[client]!++;
        return {
          sub,
          params: { id: environmentId, key: keys[n % keys.length]! },
          body: { toEnvironmentId: targetEnvironmentId, toKey: `COPY_${client}_${n}` },
        };
      });
    },
    // Both access checks together, the source secret with its value (the whole item, as the
    // service reads it: the copy takes its description and neverReveal), then one transaction:
    // the new secret in the target, the check that its key is not in the target's trash, the
    // target's usage within the quota and active-key check, and an audit item in each environment.
    floor: async (store, { sub, params, body }) => {
      const toEnvironmentId = String(body!.toEnvironmentId);
      const toKey = String(body!.toKey);
      const [{ tenant: source }, { tenant: target }] = await Promise.all([
        floorAuthorize(store, sub, params!.id!),
        floorAuthorize(store, sub, toEnvironmentId),
      ]);
      const current = await floorEnvironmentSecret(store, source, params!.key!);
      // The seeded value, which the floor cannot open: it does no crypto.
      const record = newSecretRecord(
        sub,
        { key: toKey, value: BENCH_VALUE, description: current.description, neverReveal: current.never_reveal },
        new Date().toISOString(),
      );
      const t = tableOf(store);
      await floorTransact(
        store,
        environmentSecretItem.putNew(
          t,
          environmentSecretItem.build(target, record, { kv: SEEDED_KEY_VERSION, ct: current.ct }),
        ),
        trashedEnvironmentSecretItem.absent(t, target, toKey, nowSeconds()),
        tenantHeaderItem.changeUsage(t, target, {
          secrets: 1,
          bytes: record.value_bytes ?? 0,
          sealedUnder: SEEDED_KEY_VERSION,
          quota: BENCH_QUOTA,
        })!,
        floorChangeAudit(store, target, sub, [toKey]),
        floorChangeAudit(store, source, sub, [current.key]),
      );
      return { environmentId: toEnvironmentId, secret: record };
    },
  },
  {
    route: `GET ${ENVIRONMENTS}/{id}/env`,
    scope: INJECT_SCOPE,
    prepare: readerCalls(false),
    floor: async (store, { sub, params }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      const items = await floorEnvironmentValues(store, tenant);
      await floorAudit(
        store,
        tenant,
        sub,
        items.map((item) => String(item.key)),
      );
      return { env: sealedEnv(items) };
    },
  },
  {
    route: `GET ${ENVIRONMENT_SECRETS}/{key}/versions`,
    async prepare(fixtures, plan) {
      return versionCalls(await fixtures.versionedEnvironments(plan.target, plan.connections), 'list');
    },
    // The access check, the record, then the page's VERSION# items in one BatchGetItem.
    floor: async (store, { sub, params, query }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      const record = (await floorGet(
        store,
        itemKeys.environmentSecret(tenant, params!.key!),
        SECRET_METADATA_ATTRIBUTES,
      )) as EnvironmentSecretRecord | undefined;
      if (!record) throw new Error('No such secret');
      return { record, versions: await floorVersionPage(store, tenant, record.key, record, query) };
    },
  },
  {
    route: `GET ${ENVIRONMENT_SECRETS}/{key}/versions/{version}/value`,
    async prepare(fixtures, plan) {
      return versionCalls(await fixtures.versionedEnvironments(plan.target, plan.connections), 'reveal');
    },
    // The access check, the record with its value, the kept version's item, then the audit
    // written before the value leaves.
    floor: async (store, { sub, params }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      const current = await floorEnvironmentSecret(store, tenant, params!.key!);
      const version = Number(params!.version);
      const kept = await floorKeptVersion(store, tenant, current.key, current, version);
      await floorAudit(store, tenant, sub, [current.key]);
      // The value still sealed: the floor does no crypto.
      return { key: current.key, version, value: Buffer.from(kept.ct).toString('base64') };
    },
  },
  {
    route: `POST ${ENVIRONMENT_SECRETS}/{key}/versions/{version}/restore`,
    async prepare(fixtures, plan) {
      return versionCalls(await fixtures.versionedEnvironments(plan.target, plan.connections), 'restore');
    },
    // The access check, the record with its value, the kept version's item, then the value write of a PATCH.
    floor: async (store, { sub, params }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      const current = await floorEnvironmentSecret(store, tenant, params!.key!);
      await floorKeptVersion(store, tenant, current.key, current, Number(params!.version));
      return floorWriteEnvironmentValue(store, sub, tenant, current, BENCH_VALUE);
    },
  },
  {
    route: `GET ${ENVIRONMENTS}/{id}/deleted-secrets`,
    async prepare(fixtures, plan) {
      return eachConnection(
        await fixtures.environmentTrash(plan.target, plan.connections),
        ({ sub, environmentId }) => ({ sub, params: { id: environmentId } }),
      );
    },
    // The access check, then one page of TRASH# items without values, leaving out what is past its window.
    floor: async (store, { sub, params, query }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      return floorTrashPage(store, tenant, pageLimit(query), TRASHED_ENVIRONMENT_SECRET_ATTRIBUTES);
    },
  },
  {
    route: `POST ${ENVIRONMENTS}/{id}/deleted-secrets/{key}/restore`,
    async prepare(fixtures, plan) {
      const piles = await fixtures.trashedEnvironmentSecrets(plan.target, plan.connections, plan.calls, 'restore');
      return poolCalls(piles, ({ sub, environmentId, key }) => ({ sub, params: { id: environmentId, key } }));
    },
    // The access check, the TRASH# item, then one transaction: it out, the secret back (a new
    // record version), usage within the quota, audit; plus keeping each version for good again.
    floor: async (store, { sub, params }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      const trashed = await floorTrashed<EnvironmentSecretRecord>(store, tenant, params!.key!);
      const { deleted_at: _, deleted_by: __, purge_at: ___, expires_at: ____, kv, ct, ...kept } = trashed;
      const record: EnvironmentSecretRecord = {
        ...kept,
        version: trashed.version + 1,
        updated_at: new Date().toISOString(),
        updated_by: sub,
      };
      const t = tableOf(store);
      await floorTransact(
        store,
        trashedEnvironmentSecretItem.removeIfVersion(t, tenant, record.key, trashed.version, nowSeconds()),
        environmentSecretItem.putNew(t, environmentSecretItem.build(tenant, record, { kv, ct })),
        tenantHeaderItem.changeUsage(t, tenant, {
          secrets: 1,
          bytes: record.value_bytes ?? 0,
          sealedUnder: kv,
          quota: BENCH_QUOTA,
        })!,
        floorChangeAudit(store, tenant, sub, [record.key]),
        ...record.history.map(({ slot }) => secretVersionItem.keep(t, tenant, record.key, slot).transactItem),
      );
      return record;
    },
  },
  {
    route: `DELETE ${ENVIRONMENTS}/{id}/deleted-secrets/{key}`,
    async prepare(fixtures, plan) {
      const piles = await fixtures.trashedEnvironmentSecrets(plan.target, plan.connections, plan.calls, 'purge');
      return poolCalls(piles, ({ sub, environmentId, key }) => ({ sub, params: { id: environmentId, key } }));
    },
    // The access check, the TRASH# item, then one transaction: it out, audit; plus the removal of each kept version.
    floor: async (store, { sub, params }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      const trashed = await floorTrashed<EnvironmentSecretRecord>(store, tenant, params!.key!);
      const t = tableOf(store);
      await floorTransact(
        store,
        trashedEnvironmentSecretItem.removeIfVersion(t, tenant, trashed.key, trashed.version, nowSeconds()),
        floorChangeAudit(store, tenant, sub, [trashed.key]),
        ...trashed.history.map(({ slot }) => secretVersionItem.remove(t, tenant, trashed.key, slot).transactItem),
      );
      return undefined;
    },
  },
  {
    route: `GET ${ENVIRONMENTS}/{id}`,
    prepare: readerCalls(false),
    // The access check reads the header, which is all the route answers with.
    floor: async (store, { sub, params }) => (await floorAuthorize(store, sub, params!.id!)).environment,
  },
  {
    route: `PATCH ${ENVIRONMENTS}/{id}`,
    async prepare(fixtures, plan) {
      const counts = Array.from({ length: plan.connections }, () => 0);
      return eachConnection(
        await fixtures.environments(plan.target, plan.connections, 'writer'),
        ({ sub, environmentId }, client) => ({
          sub,
          params: { id: environmentId },
          body: { name: `bench ${client} ${counts[client]!++}` },
        }),
      );
    },
    // The access check, then the header's rename (on condition it is still as read) and the audit.
    floor: async (store, { sub, params, body }) => {
      const { tenant, environment } = await floorAuthorize(store, sub, params!.id!);
      const next = { ...environment, name: String(body!.name), updated_at: new Date().toISOString() };
      await floorTransact(
        store,
        environmentHeaderItem.rename(tableOf(store), tenant, next, environment),
        floorChangeAudit(store, tenant, sub, []),
      );
      return next;
    },
  },
  {
    route: `DELETE ${ENVIRONMENTS}/{id}`,
    async prepare(fixtures, plan) {
      const piles = await fixtures.deletableEnvironments(plan.target, plan.connections, plan.calls);
      return {
        ...poolCalls(piles, ({ sub, environmentId }) => ({ sub, params: { id: environmentId } })),
        // What a delete run deleted, the restore run brings back.
        answered: (client, { sub, params }) =>
          fixtures.deletedEnvironments.record(plan.target, client, { sub, environmentId: params!.id! }),
      };
    },
    floor: async (store, { sub, params }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      const now = Date.now();
      await floorTransact(
        store,
        environmentHeaderItem.markDeleted(tableOf(store), tenant, {
          deleted_at: new Date(now).toISOString(),
          deleted_by: sub,
          purge_at: new Date(now + FLOOR_RECOVERY_MS).toISOString(),
        }),
        floorChangeAudit(store, tenant, sub, []),
      );
      return undefined;
    },
  },
  {
    route: `POST ${ENVIRONMENTS}/{id}/restore`,
    async prepare(fixtures, plan) {
      const piles = await fixtures.restorableEnvironments(plan.target, plan.connections, plan.calls);
      return poolCalls(piles, ({ sub, environmentId }) => ({ sub, params: { id: environmentId } }));
    },
    floor: async (store, { sub, params }) => {
      // The access check's two reads, wanting the environment deleted rather than live.
      const { tenant, member, environment } = await floorReadAccess(store, sub, params!.id!);
      if (!member || environment?.deleted_at === undefined) throw new Error('Not a deleted environment of the caller');
      const now = new Date().toISOString();
      await floorTransact(
        store,
        environmentHeaderItem.restore(tableOf(store), tenant, now),
        floorChangeAudit(store, tenant, sub, []),
      );
      const { deleted_at: _, deleted_by: __, purge_at: ___, ...restored } = environment;
      return { ...restored, updated_at: now };
    },
  },
  {
    route: `GET ${ENVIRONMENTS}/{id}/members`,
    prepare: readerCalls(false),
    // The access check, then one page of member items.
    floor: async (store, { sub, params, query }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      return floorPage(store, tenant, SK_PREFIX.member, pageLimit(query), MEMBER_ATTRIBUTES);
    },
  },
  {
    route: `GET ${ENVIRONMENTS}`,
    async prepare(fixtures, plan) {
      return eachConnection(await fixtures.environments(plan.target, plan.connections, 'reader'), ({ sub }) => ({
        sub,
      }));
    },
    // The caller's memberships from GSI1, then the page's headers: the list needs no access check beyond the token.
    floor: async (store, { sub, query }) => floorHeaders(store, await floorMemberships(store, sub, pageLimit(query))),
  },
  {
    route: `GET ${ENVIRONMENTS}/deleted`,
    async prepare(fixtures, plan) {
      return eachConnection(await fixtures.ownersOfDeleted(plan.target, plan.connections), ({ sub }) => ({ sub }));
    },
    // As the list of environments, for the owned ones only. The caller's memberships fit one page
    // holding deleted environments, so the route reads no further page.
    floor: async (store, { sub, query }) => {
      const memberships = await floorMemberships(store, sub, pageLimit(query));
      const headers = await floorHeaders(
        store,
        memberships.filter((membership) => membership.role === 'owner'),
      );
      const now = new Date().toISOString();
      return headers.filter((header) => header.purge_at !== undefined && header.purge_at > now);
    },
  },
  {
    route: `POST ${SERVICE_TOKENS}`,
    async prepare(fixtures, plan) {
      return {
        ...eachConnection(
          await fixtures.environments(plan.target, plan.connections, 'writer'),
          ({ sub, environmentId }) => ({ sub, params: { id: environmentId }, body: { ...BENCH_TOKEN } }),
        ),
        // What a create run made, the revoke run revokes.
        answered: (client, { sub, params }, body) =>
          fixtures.createdTokens.record(plan.target, client, {
            sub,
            environmentId: params!.id!,
            tokenId: (JSON.parse(body) as { id: string }).id,
          }),
      };
    },
    floor: async (store, { sub, params, body }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      const now = Date.now();
      const record: ServiceTokenRecord = {
        id: randomUUID(),
        name: String(body!.name),
        created_at: new Date(now).toISOString(),
        created_by: sub,
        expiry: new Date(now + Number(body!.expiresInDays) * DAY_MS).toISOString(),
        // As long as a SHA-256 in hex: the floor makes no token and hashes nothing.
        token_hash: randomBytes(32).toString('hex'),
      };
      const lookup = { environment_id: params!.id!, token_id: record.id, expiry: record.expiry };
      await floorTransact(
        store,
        serviceTokenItem.putNew(tableOf(store), serviceTokenItem.build(tenant, record)),
        serviceTokenLookupItem.putNew(tableOf(store), serviceTokenLookupItem.build(record.token_hash, lookup)),
        floorChangeAudit(store, tenant, sub, []),
      );
      return record;
    },
  },
  {
    route: `GET ${SERVICE_TOKENS}`,
    async prepare(fixtures, plan) {
      // The readers' environments, each holding the token the service-token inject uses.
      return eachConnection(await fixtures.heldTokens(plan.target, plan.connections), ({ sub, environmentId }) => ({
        sub,
        params: { id: environmentId },
      }));
    },
    // The access check, then one page of token items.
    floor: async (store, { sub, params, query }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      return floorPage(store, tenant, SK_PREFIX.serviceToken, pageLimit(query), SERVICE_TOKEN_ATTRIBUTES);
    },
  },
  {
    route: `DELETE ${SERVICE_TOKENS}/{tokenId}`,
    async prepare(fixtures, plan) {
      const piles = await fixtures.revocableTokens(plan.target, plan.connections, plan.calls);
      return poolCalls(piles, ({ sub, environmentId, tokenId }) => ({ sub, params: { id: environmentId, tokenId } }));
    },
    // The access check, the token item (its hash names the lookup item), then the transaction deleting both.
    floor: async (store, { sub, params }) => {
      const { tenant } = await floorAuthorize(store, sub, params!.id!);
      const token = await floorGet(store, itemKeys.serviceToken(tenant, params!.tokenId!), SERVICE_TOKEN_ATTRIBUTES);
      if (!token) throw new Error('No such token');
      await floorTransact(
        store,
        serviceTokenItem.delete(tableOf(store), tenant, params!.tokenId!),
        serviceTokenLookupItem.delete(tableOf(store), String(token.token_hash)),
        floorChangeAudit(store, tenant, sub, []),
      );
      return undefined;
    },
  },
  {
    route: 'GET /api/service/env',
    async prepare(fixtures, plan) {
      return eachConnection(await fixtures.heldTokens(plan.target, plan.connections), ({ sub, token, tokenHash }) => ({
        sub,
        bearer: token,
        params: { tokenHash },
      }));
    },
    // The token's lookup item; then the environment's header and its values together; then the
    // audit. Left out: the 2-item transaction noting the token's last use, which the route
    // makes at most once a minute per token.
    floor: async (store, { params }) => {
      const lookup = await floorGet(
        store,
        itemKeys.serviceTokenLookup(params!.tokenHash!),
        SERVICE_TOKEN_LOOKUP_ATTRIBUTES,
      );
      if (!lookup) throw new Error('Unknown token');
      const tenant = environmentTenant(String(lookup.environment_id));
      const [environment, items] = await Promise.all([
        floorGet(store, itemKeys.tenantMeta(tenant), ENVIRONMENT_HEADER_ATTRIBUTES),
        floorEnvironmentValues(store, tenant),
      ]);
      if (!environment || environment.deleted_at !== undefined) throw new Error('A deleted environment');
      await floorAudit(
        store,
        tenant,
        `token:${String(lookup.token_id)}`,
        items.map((item) => String(item.key)),
      );
      return { env: sealedEnv(items) };
    },
  },
];

export function routeBench(route: string): RouteBench | undefined {
  return ROUTE_BENCHES.find((entry) => entry.route === route);
}

/** One user per connection, named for the run, so concurrent writes never contend on one tenant. */
function clientUsers(plan: RunPlan, role: string): string[] {
  return Array.from({ length: plan.connections }, (_, client) => `${plan.target}-${role}-${client}`);
}

/** The page size a list call asks for: its `limit`, else the service's default. */
function pageLimit(query: BenchCall['query']): number {
  return Number(query?.limit ?? DEFAULT_PAGE_LIMIT);
}

/** Calls by one caller per connection, each connection with its own fixture (a user, an environment). */
function eachConnection<T extends Caller>(
  fixtures: readonly T[],
  call: (fixture: T, client: number) => BenchCall,
): CallSource {
  return { subs: fixtures.map((fixture) => fixture.sub), next: (client) => call(fixtures[client]!, client) };
}

/**
 * Calls that use up prepared piles, one per connection: a connection takes from its own pile
 * (what it made), then helps itself to the largest other one.
 */
function poolCalls<T extends Caller>(piles: T[][], call: (item: T) => BenchCall): CallSource {
  return {
    subs: [...new Set(piles.flat().map((item) => item.sub))],
    next: (client) => {
      const own = piles[client]!;
      const from = own.length ? own : piles.reduce((largest, pile) => (pile.length > largest.length ? pile : largest));
      const item = from.pop();
      return item && call(item);
    },
  };
}

/** Each connection walks through its own reader's secrets. */
function cycleSecrets(
  readers: { sub: string; secrets: SecretRef[] }[],
  body: () => Record<string, unknown> | undefined,
) {
  const counts = readers.map(() => 0);
  return (client: number): BenchCall => {
    const reader = readers[client]!;
    const secret = reader.secrets[counts[client]!++ % reader.secrets.length]!;
    return { sub: reader.sub, params: { id: secret.id, name: secret.name }, body: body() };
  };
}

/** Calls by the seeded readers of environments, one environment per connection; per secret when asked. */
function readerCalls(perSecret: boolean): RouteBench['prepare'] {
  return async (fixtures, plan) =>
    environmentCalls(await fixtures.environments(plan.target, plan.connections, 'reader'), perSecret);
}

/** Each connection calls its own environment; with `perSecret`, walking through its secrets (the `{key}` routes). */
function environmentCalls(
  environments: EnvironmentRef[],
  perSecret: boolean,
  body?: () => Record<string, unknown>,
): CallSource {
  const counts = environments.map(() => 0);
  return eachConnection(environments, ({ sub, environmentId, keys: secretKeys }, client) => {
    const params: Record<string, string> = { id: environmentId };
    if (perSecret) params.key = secretKeys[counts[client]!++ % secretKeys.length]!;
    return { sub, params, body: body?.() };
  });
}

/** A strongly consistent GetItem of these attributes, as the service's item modules read one item. */
async function floorGet({ ddb, tableName }: FloorStore, key: Key, attributes: readonly string[]) {
  const { Item } = await ddb.send(
    new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true, ...projection(...attributes) }),
  );
  return withKeptVersions(Item);
}

/** A raw item read as the service reads it: a secret's history from its stored string to the versions it names. */
function withKeptVersions<T extends Record<string, unknown> | undefined>(item: T): T {
  return typeof item?.history === 'string' ? { ...item, history: keptVersionsOf(item.history) } : item;
}

async function floorTransact({ ddb }: FloorStore, ...items: TransactItem[]): Promise<void> {
  await ddb.send(new TransactWriteCommand({ TransactItems: items }));
}

/** The caller's member item and the environment's header, read together as every environment route starts. */
async function floorReadAccess(store: FloorStore, sub: string, environmentId: string) {
  const tenant = environmentTenant(environmentId);
  const [member, environment] = await Promise.all([
    floorGet(store, itemKeys.member(tenant, sub), MEMBER_ATTRIBUTES),
    floorGet(store, itemKeys.tenantMeta(tenant), ENVIRONMENT_HEADER_ATTRIBUTES),
  ]);
  return { tenant, member, environment: environment as EnvironmentHeaderRecord | undefined };
}

/** The access check: a member, of a live environment; the floor's 403/404 is a 500. */
async function floorAuthorize(
  store: FloorStore,
  sub: string,
  environmentId: string,
): Promise<{ tenant: string; environment: EnvironmentHeaderRecord }> {
  const { tenant, member, environment } = await floorReadAccess(store, sub, environmentId);
  if (!member || !environment || environment.deleted_at !== undefined) throw new Error('Not a live environment');
  return { tenant, environment };
}

async function floorGetSecret(
  store: FloorStore,
  sub: string,
  params: Record<string, string>,
  attributes: readonly string[],
) {
  const { tenant } = await floorAuthorize(store, sub, params.id!);
  return floorGet(store, itemKeys.environmentSecret(tenant, params.key!), attributes);
}

/** Every value of an environment, still sealed: an inject's Query. */
async function floorEnvironmentValues({ ddb, tableName }: FloorStore, tenant: string) {
  const { Items = [] } = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': tenant, ':prefix': SK_PREFIX.secret },
      ConsistentRead: true,
      ...projection(...environmentSecretValueAttributes()),
    }),
  );
  return Items;
}

/** The env map an inject answers with, still sealed: the floor does no crypto. */
function sealedEnv(items: Record<string, unknown>[]): Record<string, string> {
  return Object.fromEntries(
    items.map((item) => [String(item.key), Buffer.from(item.ct as Uint8Array).toString('base64')]),
  );
}

/** One page of the caller's memberships from GSI1; the one item past it only tells whether more follow. */
async function floorMemberships({ ddb, tableName }: FloorStore, sub: string, limit: number) {
  const { Items = [] } = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: TABLE_DEFINITION.indexes[0].name,
      KeyConditionExpression: 'GSI1PK = :user AND begins_with(GSI1SK, :prefix)',
      ExpressionAttributeValues: { ':user': userTenant(sub), ':prefix': ENVIRONMENT_TENANT_PREFIX },
      Limit: limit + 1,
      ...projection(...MEMBERSHIP_ATTRIBUTES, 'GSI1SK'),
    }),
  );
  return Items.slice(0, limit);
}

/** The headers of these memberships' environments in one BatchGetItem (none for none), as the lists read them. */
async function floorHeaders(
  store: FloorStore,
  memberships: Record<string, unknown>[],
): Promise<EnvironmentHeaderRecord[]> {
  return (await floorBatchGet(
    store,
    memberships.map((membership) => itemKeys.tenantMeta(environmentTenant(String(membership.environment_id)))),
    ENVIRONMENT_HEADER_ATTRIBUTES,
  )) as EnvironmentHeaderRecord[];
}

/** Items by key in one strongly consistent BatchGetItem (none for none), as the service reads a page of them. */
async function floorBatchGet(
  { ddb, tableName }: FloorStore,
  keys: Key[],
  attributes: readonly string[],
): Promise<Record<string, unknown>[]> {
  if (keys.length === 0) return [];
  const { Responses, UnprocessedKeys } = await ddb.send(
    new BatchGetCommand({
      RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true, ...projection('PK', 'SK', ...attributes) } },
    }),
  );
  // The service asks again for what is left unprocessed; a floor that did not would answer with less.
  if (UnprocessedKeys?.[tableName]?.Keys?.length) throw new Error('DynamoDB left keys unprocessed');
  return Responses?.[tableName] ?? [];
}

/** The read an update or delete makes first: the record's metadata and version. */
function floorReadUserSecret(store: FloorStore, tenant: string, id: string) {
  return floorGet(store, itemKeys.userSecret(tenant, id), METADATA_ATTRIBUTES);
}

/**
 * The tenant header's part in a value update: the bench writes values of one length, so the
 * usage check is the active-key check alone.
 */
function sameSizeValueCheck(store: FloorStore, tenant: string): TransactItem {
  return tenantHeaderItem.changeUsage(tableOf(store), tenant, {
    secrets: 0,
    bytes: 0,
    sealedUnder: SEEDED_KEY_VERSION,
    quota: BENCH_QUOTA,
  })!;
}

/** The audit item inject and reveal write before any plaintext leaves: the service's own write. */
function floorAudit({ ddb, tableName }: FloorStore, tenant: string, actor: string, names: string[]) {
  return recordAccess({ ddb, config: { tableName, auditRetentionDays: 90 }, clock: systemClock }, tenant, {
    action: 'inject',
    actor,
    requestId: 'bench',
    keys: names,
  });
}

/** The audit item every change writes in its own transaction: part of the storage design, so part of the floor. */
function floorChangeAudit({ ddb, tableName }: FloorStore, tenant: string, sub: string, keys: string[]) {
  return auditChange({ ddb, config: { tableName, auditRetentionDays: 90 }, clock: systemClock }, tenant, {
    action: 'update',
    actor: sub,
    requestId: 'bench',
    keys,
    version: 1,
  });
}

/** The store as the service's item modules take it. */
function tableOf({ ddb, tableName }: FloorStore) {
  return { ddb, config: { tableName } };
}

function createdRef(call: BenchCall, name: string, body: string): SecretRef {
  return { sub: call.sub, id: (JSON.parse(body) as { id: string }).id, name };
}

async function floorCreate(store: FloorStore, sub: string, name: string, provider: string, value: string) {
  const tenant = userTenant(sub);
  const id = randomUUID();
  const now = new Date().toISOString();
  const metadata = { id, name, provider, masked_value: MASK, created_at: now, updated_at: now };
  await floorTransact(
    store,
    {
      Put: {
        TableName: store.tableName,
        Item: { ...itemKeys.userSecretName(tenant, name), ...metadata },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
    // The name must not be held by a trashed secret either.
    trashedNameItem.free(tableOf(store), tenant, name, nowSeconds()),
    {
      Put: {
        TableName: store.tableName,
        Item: {
          ...itemKeys.userSecret(tenant, id),
          ...metadata,
          version: 1,
          value_bytes: valueBytes(value),
          value_version: 1,
          value_at: now,
          value_by: sub,
          history: '',
          kv: 1,
          ct: Buffer.alloc(sealedBytes(value)),
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
    tenantHeaderItem.changeUsage(tableOf(store), tenant, {
      secrets: 1,
      bytes: valueBytes(value),
      quota: BENCH_QUOTA,
    })!,
    floorChangeAudit(store, tenant, sub, [name]),
  );
  return { id };
}

/** Now in epoch seconds, as the trash's conditions and windows count it. */
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The window of a secret trashed now: the service's default, stamped as the service stamps it. */
function floorTrashWindow() {
  const now = Date.now();
  const expires_at = Math.floor((now + FLOOR_RECOVERY_MS) / 1000);
  return {
    deleted_at: new Date(now).toISOString(),
    purge_at: new Date(expires_at * 1000).toISOString(),
    expires_at,
  };
}

/** These attributes of a record: the name entry's copy of a user secret's metadata. */
function pick<T extends object>(record: T, attributes: readonly string[]): T {
  return Object.fromEntries(
    attributes.filter((attribute) => attribute in record).map((a) => [a, (record as Record<string, unknown>)[a]]),
  ) as T;
}

/**
 * A whole item, strongly consistent, without its keys: what a write that keeps or moves a
 * sealed value reads (the record with its value, a kept version, a trashed secret).
 */
async function floorGetWhole<T>({ ddb, tableName }: FloorStore, key: Key): Promise<T | undefined> {
  const { Item } = await ddb.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
  if (!Item) return undefined;
  const { PK: _, SK: __, ...record } = Item;
  return withKeptVersions(record) as T;
}

async function floorUserSecret(store: FloorStore, tenant: string, id: string) {
  const current = await floorGetWhole<UserSecretRecord & SealedValue>(store, itemKeys.userSecret(tenant, id));
  if (!current) throw new Error('No such secret');
  return current;
}

async function floorEnvironmentSecret(store: FloorStore, tenant: string, key: string) {
  const current = await floorGetWhole<EnvironmentSecretRecord & SealedValue>(
    store,
    itemKeys.environmentSecret(tenant, key),
  );
  if (!current) throw new Error('No such secret');
  return current;
}

/** A trashed secret within its window, with its value. */
async function floorTrashed<R>(store: FloorStore, tenant: string, recordId: string) {
  const trashed = await floorGetWhole<
    R &
      Lineage & { version: number } & SealedValue & {
        deleted_at: string;
        deleted_by: string;
        purge_at: string;
        expires_at: number;
      }
  >(store, itemKeys.trashedSecret(tenant, recordId));
  if (!trashed || trashed.expires_at <= nowSeconds()) throw new Error('Not in the trash');
  return trashed;
}

/** The value of version `valueVersion`: the current one as read, else its VERSION# item. */
async function floorKeptVersion(
  store: FloorStore,
  tenant: string,
  recordId: string,
  current: Lineage & SealedValue,
  valueVersion: number,
): Promise<SealedValue> {
  if (valueVersion === current.value_version) return current;
  const slot = slotOf(current, valueVersion);
  if (slot === undefined) throw new Error('No such version');
  const kept = await floorGetWhole<SealedValue>(store, itemKeys.secretVersion(tenant, recordId, slot));
  if (!kept) throw new Error('No such version');
  return kept;
}

/** One page of a secret's versions: the kept ones on it in one BatchGetItem, never a value. */
function floorVersionPage(
  store: FloorStore,
  tenant: string,
  recordId: string,
  lineage: Lineage,
  query: BenchCall['query'],
) {
  const { versions } = versionsPage(recordId, lineage, { limit: pageLimit(query) });
  return floorBatchGet(
    store,
    versions.flatMap((n) => slotOf(lineage, n) ?? []).map((slot) => itemKeys.secretVersion(tenant, recordId, slot)),
    SECRET_VERSION_ATTRIBUTES,
  );
}

/** One page of a tenant's items under a sort-key prefix, and one more that tells whether another page exists. */
async function floorPage(
  { ddb, tableName }: FloorStore,
  tenant: string,
  prefix: string,
  limit: number,
  attributes: readonly string[],
) {
  const { Items = [] } = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': tenant, ':prefix': prefix },
      Limit: limit + 1,
      ConsistentRead: true,
      ...projection('SK', ...attributes),
    }),
  );
  return Items;
}

/** One page of a tenant's trash, without values, leaving out what is past its window. */
async function floorTrashPage({ ddb, tableName }: FloorStore, tenant: string, limit: number, attributes: string[]) {
  const { Items = [] } = await ddb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      FilterExpression: 'expires_at > :now',
      ExpressionAttributeValues: { ':pk': tenant, ':prefix': SK_PREFIX.trashedSecret, ':now': nowSeconds() },
      Limit: limit + 1,
      ConsistentRead: true,
      ...projection('SK', ...attributes),
    }),
  );
  return Items.slice(0, limit);
}

/** What a value write does to a secret's versions: the previous value kept in a VERSION# slot (the oldest one's at MAX_VERSIONS). */
function floorVersionWrites(
  store: FloorStore,
  tenant: string,
  recordId: string,
  current: Lineage & SealedValue & { masked_value: string; value_bytes?: number; value_at: string; value_by: string },
  name: string,
): { history: KeptVersion[]; items: TransactItem[] } {
  const t = tableOf(store);
  const versions = supersede(current, store.maxVersions);
  return {
    history: versions.history,
    items: [
      ...(versions.superseded
        ? [secretVersionItem.putSuperseded(t, tenant, { recordId, name, slot: versions.superseded.slot }, current)]
        : []),
      ...versions.pruned.map((slot) => secretVersionItem.delete(t, tenant, recordId, slot)),
    ],
  };
}

/** A user secret's value write (update, restore of a version): one transaction, as the service writes it. */
async function floorWriteUserValue(
  store: FloorStore,
  sub: string,
  current: UserSecretRecord & SealedValue,
  value: string,
) {
  const tenant = userTenant(sub);
  const now = new Date().toISOString();
  const next = current.version + 1;
  const versions = floorVersionWrites(store, tenant, current.id, current, current.name);
  await floorTransact(
    store,
    userSecretItem.updateValue(tableOf(store), tenant, {
      id: current.id,
      readVersion: current.version,
      sealed: { kv: SEEDED_KEY_VERSION, ct: Buffer.alloc(sealedBytes(value)) },
      value_bytes: valueBytes(value),
      masked_value: MASK,
      updated_at: now,
      value_version: next,
      value_at: now,
      value_by: sub,
      history: versions.history,
    }),
    ...versions.items,
    userSecretNameItem.updateMask(tableOf(store), tenant, {
      name: current.name,
      id: current.id,
      masked_value: MASK,
      updated_at: now,
    }),
    sameSizeValueCheck(store, tenant),
    floorChangeAudit(store, tenant, sub, [current.name]),
  );
  return { id: current.id };
}

/** An environment secret's value write (PATCH of the value, restore of a version): one transaction, as the service writes it. */
async function floorWriteEnvironmentValue(
  store: FloorStore,
  sub: string,
  tenant: string,
  { kv, ct, ...current }: EnvironmentSecretRecord & SealedValue,
  value: string,
) {
  const now = new Date().toISOString();
  const version = current.version + 1;
  const versions = floorVersionWrites(store, tenant, current.key, { ...current, kv, ct }, current.key);
  const next: EnvironmentSecretRecord = {
    ...current,
    masked_value: MASK,
    version,
    updated_at: now,
    updated_by: sub,
    value_bytes: valueBytes(value),
    value_version: version,
    value_at: now,
    value_by: sub,
    history: versions.history,
  };
  await floorTransact(
    store,
    environmentSecretItem.updateIfVersion(
      tableOf(store),
      tenant,
      next,
      { kv: SEEDED_KEY_VERSION, ct: Buffer.alloc(sealedBytes(value)) },
      current.version,
    ),
    ...versions.items,
    sameSizeValueCheck(store, tenant),
    floorChangeAudit(store, tenant, sub, [current.key]),
  );
  return next;
}

/**
 * Calls on secrets with kept versions, each connection walking through its own holder's
 * secrets: a list of the versions, or a reveal or restore of the one before the current
 * value. A restore makes a new current version; its answer moves the secret on, so the next
 * call names a version the secret still keeps (≥ 2 of MAX_VERSIONS are kept at all times).
 */
function versionCalls(holders: VersionedHolder[], use: 'list' | 'reveal' | 'restore'): CallSource {
  const counts = holders.map(() => 0);
  const sent = new WeakMap<BenchCall, { secret: VersionedSecret; current: number }>();
  return {
    subs: holders.map((holder) => holder.sub),
    next: (client) => {
      const holder = holders[client]!;
      const secret = holder.secrets[counts[client]!++ % holder.secrets.length]!;
      const params: Record<string, string> =
        holder.environmentId === undefined
          ? { id: secret.id, name: secret.name }
          : { id: holder.environmentId, key: secret.id };
      if (use !== 'list') params.version = String(secret.current - 1);
      const call: BenchCall = { sub: holder.sub, params };
      sent.set(call, { secret, current: secret.current });
      return call;
    },
    answered:
      use === 'restore'
        ? (_client, call) => {
            const restored = sent.get(call);
            if (restored) restored.secret.current = Math.max(restored.secret.current, restored.current + 1);
          }
        : undefined,
  };
}
