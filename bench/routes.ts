import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { auditChange, recordAccess } from '../lib/audit/audit.js';
import { INJECT_SCOPE } from '../lib/auth/claims.js';
import { systemClock } from '../lib/clock.js';
import { newSecretRecord } from '../lib/environments/secrets.js';
import { valueBytes } from '../lib/quota/quota.js';
import { MASK } from '../lib/secrets/masking.js';
import { PRESET_NAMES, PRESET_PROVIDERS } from '../lib/secrets/presets.js';
import { projection } from '../lib/store/expressions.js';
import {
  environmentSecretItem,
  ENVIRONMENT_SECRET_METADATA_ATTRIBUTES as SECRET_METADATA_ATTRIBUTES,
  ENVIRONMENT_SECRET_VALUE_ATTRIBUTES as SECRET_VALUE_ATTRIBUTES,
} from '../lib/store/items/environment-secret.js';
import { MEMBER_ATTRIBUTES, MEMBERSHIP_ATTRIBUTES } from '../lib/store/items/member.js';
import { tenantHeaderItem } from '../lib/store/items/tenant-header.js';
import { USER_SECRET_METADATA_ATTRIBUTES as METADATA_ATTRIBUTES } from '../lib/store/items/user-secret.js';
import {
  ENVIRONMENT_TENANT_PREFIX,
  environmentTenant,
  itemKeys,
  prefixEnd,
  SK_META,
  SK_PREFIX,
  userTenant,
} from '../lib/store/keys.js';
import { TABLE_DEFINITION } from '../lib/store/table.js';
import type { EnvironmentRef, Fixtures, SecretRef } from './fixtures.js';

/**
 * The routes the bench drives, one entry each: how to make the calls of a run (`prepare`)
 * and the floor — the route's own storage calls, in the route's order, run behind a bare HTTP
 * handler with no middleware, validation or crypto. A new route is one more entry here.
 *
 * So the ratio to the floor is what the service's code adds. What the storage design itself
 * costs is visible beside it: every environment route but the list of environments first reads
 * the caller's member item (its access check); updates and deletes read the record they
 * change; inject and reveal write their audit item before plaintext leaves (see BENCHMARKS.md).
 */

/** Who runs a call: the gateway with the real handlers, the floor server, or a fresh process importing a bundle. */
export type Target = 'gateway' | 'floor' | 'cold';

/** One request, independent of how it is sent. */
export interface BenchCall {
  sub: string;
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
/** The data key version of a seeded environment: its first and only one. */
const SEEDED_KEY_VERSION = 1;

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
          fixtures.recordCreated(plan.target, client, createdRef(call, String(call.body!.name), body)),
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
          fixtures.recordCreated(
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
      const readers = await fixtures.readers(plan.target, plan.connections);
      return { subs: readers.map((r) => r.sub), next: (client) => ({ sub: readers[client]!.sub }) };
    },
    floor: async ({ ddb, tableName }, { sub, query }) => {
      const { Items = [] } = await ddb.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': userTenant(sub), ':prefix': SK_PREFIX.userSecretName },
          Limit: Number(query?.limit ?? 50) + 1,
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
    floor: async ({ ddb, tableName }, { sub, params }) => {
      const { Item } = await ddb.send(
        new GetCommand({
          TableName: tableName,
          Key: itemKeys.userSecret(userTenant(sub), params!.id!),
          ConsistentRead: true,
          ...projection(...METADATA_ATTRIBUTES),
        }),
      );
      return Item;
    },
  },
  {
    route: `PUT ${V1}/{id}`,
    async prepare(fixtures, plan) {
      const readers = await fixtures.readers(plan.target, plan.connections);
      return { subs: readers.map((r) => r.sub), next: cycleSecrets(readers, () => ({ value: BENCH_VALUE })) };
    },
    floor: async ({ ddb, tableName }, { sub, params, body }) => {
      const tenant = userTenant(sub);
      const now = new Date().toISOString();
      await floorReadUserSecret({ ddb, tableName }, tenant, params!.id!);
      await ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: itemKeys.userSecret(tenant, params!.id!),
                UpdateExpression: 'SET ct = :ct, kv = :kv, masked_value = :masked, updated_at = :now ADD version :one',
                ExpressionAttributeValues: {
                  ':ct': Buffer.alloc(sealedBytes(String(body!.value))),
                  ':kv': 1,
                  ':masked': MASK,
                  ':now': now,
                  ':one': 1,
                },
              },
            },
            {
              Update: {
                TableName: tableName,
                Key: itemKeys.userSecretName(tenant, params!.name!),
                UpdateExpression: 'SET masked_value = :masked, updated_at = :now',
                ExpressionAttributeValues: { ':masked': MASK, ':now': now },
              },
            },
            floorChangeAudit({ ddb, tableName }, tenant, sub, [params!.name!]),
          ],
        }),
      );
      return { id: params!.id };
    },
  },
  {
    route: `DELETE ${V1}/{id}`,
    async prepare(fixtures, plan) {
      const pool = await fixtures.deletable(plan.target, plan.connections, plan.calls);
      return {
        subs: [...new Set(pool.flat().map((secret) => secret.sub))],
        next: (client) => {
          // A connection deletes what it created; once that is gone it helps itself to the largest other pile.
          const own = pool[client]!;
          const from = own.length
            ? own
            : pool.reduce((largest, pile) => (pile.length > largest.length ? pile : largest));
          const secret = from.pop();
          return secret && { sub: secret.sub, params: { id: secret.id, name: secret.name } };
        },
      };
    },
    floor: async ({ ddb, tableName }, { sub, params }) => {
      const tenant = userTenant(sub);
      await floorReadUserSecret({ ddb, tableName }, tenant, params!.id!);
      await ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: tableName, Key: itemKeys.userSecret(tenant, params!.id!) } },
            { Delete: { TableName: tableName, Key: itemKeys.userSecretName(tenant, params!.name!) } },
            tenantHeaderItem.changeUsage(tableOf({ ddb, tableName }), tenant, {
              secrets: -1,
              bytes: -valueBytes(BENCH_VALUE),
            })!,
            floorChangeAudit({ ddb, tableName }, tenant, sub, [params!.name!]),
          ],
        }),
      );
      return undefined;
    },
  },
  {
    route: `GET ${V1}/env`,
    scope: INJECT_SCOPE,
    async prepare(fixtures, plan) {
      const readers = await fixtures.readers(plan.target, plan.connections);
      return { subs: readers.map((r) => r.sub), next: (client) => ({ sub: readers[client]!.sub }) };
    },
    floor: async ({ ddb, tableName }, { sub }) => {
      const { Items = [] } = await ddb.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': userTenant(sub), ':prefix': SK_PREFIX.secret },
          ProjectionExpression: 'id, #name, kv, ct',
          ExpressionAttributeNames: { '#name': 'name' },
          ConsistentRead: true,
        }),
      );
      await floorAudit(
        { ddb, tableName },
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
    route: `POST ${ENVIRONMENT_SECRETS}`,
    async prepare(fixtures, plan) {
      const environments = await fixtures.environments(plan.target, plan.connections, 'writer');
      const counts = environments.map(() => 0);
      return {
        subs: environments.map((environment) => environment.sub),
        next: (client) => {
          const { sub, environmentId } = environments[client]!;
          return {
            sub,
            params: { id: environmentId },
            body: { key: `BENCH_${client}_${counts[client]!++}`, value: BENCH_VALUE },
          };
        },
      };
    },
    floor: async (store, { sub, params, body }) => {
      const tenant = await floorAuthorize(store, sub, params!.id!);
      const value = String(body!.value);
      const record = newSecretRecord(
        sub,
        { key: String(body!.key), value, description: '', neverReveal: false },
        new Date().toISOString(),
      );
      await store.ddb.send(
        new TransactWriteCommand({
          TransactItems: [
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
            tenantHeaderItem.changeUsage(tableOf(store), tenant, {
              secrets: 1,
              bytes: valueBytes(value),
              sealedUnder: SEEDED_KEY_VERSION,
              quota: BENCH_QUOTA,
            })!,
            floorChangeAudit(store, tenant, sub, [record.key]),
          ],
        }),
      );
      return record;
    },
  },
  {
    route: `GET ${ENVIRONMENT_SECRETS}`,
    prepare: readerCalls(false),
    floor: async (store, { sub, params, query }) => {
      const tenant = await floorAuthorize(store, sub, params!.id!);
      // The first page as the service reads it: META (for `total`) and the page in one Query.
      const { Items = [] } = await store.ddb.send(
        new QueryCommand({
          TableName: store.tableName,
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :meta AND :end',
          ExpressionAttributeValues: { ':pk': tenant, ':meta': SK_META, ':end': prefixEnd(SK_PREFIX.secret) },
          Limit: Number(query?.limit ?? 50) + 2,
          ConsistentRead: true,
          ...projection('SK', 'total', ...SECRET_METADATA_ATTRIBUTES),
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
    floor: async (store, { sub, params, body }) => {
      const tenant = environmentTenant(params!.id!);
      await floorGetSecret(store, sub, params!, SECRET_METADATA_ATTRIBUTES);
      await store.ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: store.tableName,
                Key: itemKeys.environmentSecret(tenant, params!.key!),
                UpdateExpression:
                  'SET ct = :ct, kv = :kv, masked_value = :masked, updated_at = :now, updated_by = :sub ADD version :one',
                ExpressionAttributeValues: {
                  ':ct': Buffer.alloc(sealedBytes(String(body!.value))),
                  ':kv': SEEDED_KEY_VERSION,
                  ':masked': MASK,
                  ':now': new Date().toISOString(),
                  ':sub': sub,
                  ':one': 1,
                },
              },
            },
            // The bench writes values of one length, so the usage check is the key check alone.
            tenantHeaderItem.changeUsage(tableOf(store), tenant, {
              secrets: 0,
              bytes: 0,
              sealedUnder: SEEDED_KEY_VERSION,
              quota: BENCH_QUOTA,
            })!,
            floorChangeAudit(store, tenant, sub, [params!.key!]),
          ],
        }),
      );
      return { key: params!.key };
    },
  },
  {
    route: `GET ${ENVIRONMENT_SECRETS}/{key}/value`,
    prepare: readerCalls(true),
    floor: async (store, { sub, params }) => {
      const item = await floorGetSecret(store, sub, params!, SECRET_VALUE_ATTRIBUTES);
      await floorAudit(store, environmentTenant(params!.id!), sub, [params!.key!]);
      // The value still sealed: the floor does no crypto.
      return item && { key: item.key, value: Buffer.from(item.ct as Uint8Array).toString('base64') };
    },
  },
  {
    route: `GET ${ENVIRONMENTS}/{id}/env`,
    scope: INJECT_SCOPE,
    prepare: readerCalls(false),
    floor: async (store, { sub, params }) => {
      const tenant = await floorAuthorize(store, sub, params!.id!);
      const { Items = [] } = await store.ddb.send(
        new QueryCommand({
          TableName: store.tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': tenant, ':prefix': SK_PREFIX.secret },
          ConsistentRead: true,
          ...projection(...SECRET_VALUE_ATTRIBUTES),
        }),
      );
      await floorAudit(
        store,
        tenant,
        sub,
        Items.map((item) => String(item.key)),
      );
      return {
        env: Object.fromEntries(Items.map((item) => [item.key, Buffer.from(item.ct as Uint8Array).toString('base64')])),
      };
    },
  },
  {
    route: `GET ${ENVIRONMENTS}/{id}`,
    prepare: readerCalls(false),
    // The caller's role, then the environment's header.
    floor: async (store, { sub, params }) => {
      const tenant = await floorAuthorize(store, sub, params!.id!);
      const { Item } = await store.ddb.send(
        new GetCommand({ TableName: store.tableName, Key: itemKeys.tenantMeta(tenant), ConsistentRead: true }),
      );
      return Item;
    },
  },
  {
    route: `GET ${ENVIRONMENTS}/{id}/members`,
    prepare: readerCalls(false),
    // The caller's role, then one page of member items.
    floor: async (store, { sub, params, query }) => {
      const tenant = await floorAuthorize(store, sub, params!.id!);
      const { Items = [] } = await store.ddb.send(
        new QueryCommand({
          TableName: store.tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': tenant, ':prefix': SK_PREFIX.member },
          Limit: Number(query?.limit ?? 50) + 1,
          ConsistentRead: true,
          ...projection('SK', ...MEMBER_ATTRIBUTES),
        }),
      );
      return Items;
    },
  },
  {
    route: `GET ${ENVIRONMENTS}`,
    async prepare(fixtures, plan) {
      const environments = await fixtures.environments(plan.target, plan.connections, 'reader');
      return {
        subs: environments.map((environment) => environment.sub),
        next: (client) => ({ sub: environments[client]!.sub }),
      };
    },
    // The caller's member items from GSI1: the list needs no access check beyond the token.
    floor: async ({ ddb, tableName }, { sub, query }) => {
      const { Items = [] } = await ddb.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: TABLE_DEFINITION.indexes[0].name,
          KeyConditionExpression: 'GSI1PK = :user AND begins_with(GSI1SK, :prefix)',
          ExpressionAttributeValues: { ':user': userTenant(sub), ':prefix': ENVIRONMENT_TENANT_PREFIX },
          Limit: Number(query?.limit ?? 50) + 1,
          ...projection(...MEMBERSHIP_ATTRIBUTES, 'GSI1SK'),
        }),
      );
      return Items;
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

/**
 * Each connection calls its own environment; with `perSecret`, walking through its secrets
 * (the `{key}` routes).
 */
/** Calls by the seeded readers of environments, one environment per connection; per secret when asked. */
function readerCalls(perSecret: boolean): RouteBench['prepare'] {
  return async (fixtures, plan) =>
    environmentCalls(await fixtures.environments(plan.target, plan.connections, 'reader'), perSecret);
}

function environmentCalls(
  environments: EnvironmentRef[],
  perSecret: boolean,
  body?: () => Record<string, unknown>,
): CallSource {
  const counts = environments.map(() => 0);
  return {
    subs: environments.map((environment) => environment.sub),
    next: (client): BenchCall => {
      const { sub, environmentId, keys: secretKeys } = environments[client]!;
      const params: Record<string, string> = { id: environmentId };
      if (perSecret) params.key = secretKeys[counts[client]!++ % secretKeys.length]!;
      return { sub, params, body: body?.() };
    },
  };
}

/** The access check every environment route starts with: the caller's member item; the floor's 403/404 is a 500. */
async function floorAuthorize({ ddb, tableName }: FloorStore, sub: string, environmentId: string): Promise<string> {
  const tenant = environmentTenant(environmentId);
  const { Item } = await ddb.send(
    new GetCommand({
      TableName: tableName,
      Key: itemKeys.member(tenant, sub),
      ConsistentRead: true,
      ...projection(...MEMBER_ATTRIBUTES),
    }),
  );
  if (!Item) throw new Error('Not a member');
  return tenant;
}

async function floorGetSecret(store: FloorStore, sub: string, params: Record<string, string>, attributes: string[]) {
  const tenant = await floorAuthorize(store, sub, params.id!);
  const { Item } = await store.ddb.send(
    new GetCommand({
      TableName: store.tableName,
      Key: itemKeys.environmentSecret(tenant, params.key!),
      ConsistentRead: true,
      ...projection(...attributes),
    }),
  );
  return Item;
}

/** The read an update or delete makes first: the record's metadata and version. */
async function floorReadUserSecret({ ddb, tableName }: FloorStore, tenant: string, id: string) {
  const { Item } = await ddb.send(
    new GetCommand({
      TableName: tableName,
      Key: itemKeys.userSecret(tenant, id),
      ConsistentRead: true,
      ...projection(...METADATA_ATTRIBUTES),
    }),
  );
  return Item;
}

/** The audit item inject and reveal write before any plaintext leaves: the service's own write. */
function floorAudit({ ddb, tableName }: FloorStore, tenant: string, sub: string, names: string[]) {
  return recordAccess({ ddb, config: { tableName, auditRetentionDays: 90 }, clock: systemClock }, tenant, {
    action: 'inject',
    actor: sub,
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

async function floorCreate({ ddb, tableName }: FloorStore, sub: string, name: string, provider: string, value: string) {
  const tenant = userTenant(sub);
  const id = randomUUID();
  const now = new Date().toISOString();
  const metadata = { id, name, provider, masked_value: MASK, created_at: now, updated_at: now };
  await ddb.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: tableName,
            Item: { ...itemKeys.userSecretName(tenant, name), ...metadata },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: {
              ...itemKeys.userSecret(tenant, id),
              ...metadata,
              version: 1,
              value_bytes: valueBytes(value),
              kv: 1,
              ct: Buffer.alloc(sealedBytes(value)),
            },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        tenantHeaderItem.changeUsage(tableOf({ ddb, tableName }), tenant, {
          secrets: 1,
          bytes: valueBytes(value),
          quota: BENCH_QUOTA,
        })!,
        floorChangeAudit({ ddb, tableName }, tenant, sub, [name]),
      ],
    }),
  );
  return { id };
}
