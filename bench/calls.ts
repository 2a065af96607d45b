import { INJECT_SCOPE } from '../lib/auth/claims.js';
import { type BenchContext, findRoute } from './context.js';
import type { SecretRef } from './fixtures.js';
import { gatewayRequest } from './requests.js';
import { BENCH_VALUE, type BenchCall } from './routes.js';

/**
 * What one request costs the service outside itself: KMS calls (counted at the local KMS
 * endpoint) and DynamoDB calls and request units (counted at the handlers' DynamoDB client).
 * Each operation is sent alone over HTTP, with a warm key cache and with a cold one — a
 * tenant this service process has never loaded, as on a fresh Lambda instance.
 */
export interface OpUsage {
  kms: number;
  dynamodbCalls: number;
  readUnits: number;
  writeUnits: number;
}

export interface CallFigures {
  /** The service's MAX_VERSIONS: value versions a secret keeps, the current one included. */
  maxVersions: number;
  create: { warm: OpUsage; coldCache: OpUsage; newUser: OpUsage };
  /** A secret with fewer than MAX_VERSIONS versions: the write keeps the previous value as one VERSION# item. */
  update: { warm: OpUsage; coldCache: OpUsage };
  /** A secret at MAX_VERSIONS: the write puts the previous value in the oldest version's slot. */
  updateAtMaxVersions: { warm: OpUsage; coldCache: OpUsage };
  get: OpUsage;
  list: OpUsage;
  /** Moves the secret to the trash. */
  delete: OpUsage;
  /** The versions of a secret at MAX_VERSIONS, one page. */
  listVersions: OpUsage;
  /** Of a secret at MAX_VERSIONS, to the version before its current one. */
  restoreVersion: { warm: OpUsage; coldCache: OpUsage };
  /** One page (50) of a trash of TRASH_LISTED secrets. */
  listDeleted: OpUsage;
  restoreDeleted: { warm: OpUsage; coldCache: OpUsage };
  purge: OpUsage;
  inject10: { warm: OpUsage; coldCache: OpUsage };
  inject100: { warm: OpUsage; coldCache: OpUsage };
  /** An environment's 100 values by service token; the cold call is also the token's first use, which it notes. */
  serviceInject100: { warm: OpUsage; coldCache: OpUsage };
  /** A candidate against a user secret's current value. */
  compare: { warm: OpUsage; coldCache: OpUsage };
  /** The same against an environment secret's. */
  compareEnvironment: { warm: OpUsage; coldCache: OpUsage };
  /** Of a user secret at MAX_VERSIONS: its value and every kept version sealed anew for the new name. */
  rename: { warm: OpUsage; coldCache: OpUsage };
  /** An environment secret into another environment (not a move); cold: neither environment's key is loaded. */
  copy: { warm: OpUsage; coldCache: OpUsage };
}

const V1 = '/api/v1/user/secrets';
const ENVIRONMENT_SECRETS = '/api/environments/{id}/secrets';
/** Secrets in the trash the list is counted on: more than a page. */
const TRASH_LISTED = 60;

export async function measureCalls(ctx: BenchContext): Promise<CallFigures> {
  const { service, seeder, tokens } = ctx;
  const send = async (routeKey: string, call: BenchCall, scope?: string) => {
    await tokens.sign([call.sub], scope);
    const request = gatewayRequest(findRoute(routeKey), call, tokens.get(call.sub, scope));
    const response = await fetch(`${service.url}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${routeKey} answered ${response.status} while counting calls`);
    return text;
  };
  const measure = async (routeKey: string, call: BenchCall, scope?: string) => {
    await service.counters({ reset: true });
    const body = await send(routeKey, call, scope);
    const { kms, dynamodb } = await service.counters();
    const usage: OpUsage = {
      kms: Object.values(kms).reduce((sum, n) => sum + n, 0),
      dynamodbCalls: Object.values(dynamodb.calls).reduce((sum, n) => sum + n, 0),
      readUnits: dynamodb.readUnits,
      writeUnits: dynamodb.writeUnits,
    };
    return { usage, body };
  };
  const create = (sub: string, name: string) => measure(`POST ${V1}`, { sub, body: { name, value: BENCH_VALUE } });
  const update = (sub: string, id: string) =>
    measure(`PUT ${V1}/{id}`, { sub, params: { id }, body: { value: BENCH_VALUE } });
  const inject = (sub: string) => measure(`GET ${V1}/env`, { sub }, INJECT_SCOPE);
  const injectByToken = ({ sub, token }: { sub: string; token: string }) =>
    measure('GET /api/service/env', { sub, bearer: token });
  const idOf = (body: string) => (JSON.parse(body) as { id: string }).id;

  await service.measureUnits(true);
  try {
    // A user the service has never seen: the first create makes the tenant's data key.
    const newUser = await create('calls-new', 'FIRST');
    const warmCreate = await create('calls-new', 'SECOND');
    const id = idOf(warmCreate.body);
    const warmUpdate = await update('calls-new', id);
    const get = await measure(`GET ${V1}/{id}`, { sub: 'calls-new', params: { id } });
    const list = await measure(`GET ${V1}`, { sub: 'calls-new' });
    const deleted = await measure(`DELETE ${V1}/{id}`, { sub: 'calls-new', params: { id } });

    // Users seeded by the bench process: their data keys exist, but this service never loaded them.
    const [toUpdate] = await seeder.seedSecrets('calls-cold-update', 1);
    await seeder.seedSecrets('calls-cold-create', 1);
    await seeder.seedSecrets('calls-inject-10', 10);
    await seeder.seedSecrets('calls-inject-100', 100);
    const held = await seeder.seedServiceToken(await seeder.seedEnvironment('calls-service-inject-100', 100));
    const maxVersions = seeder.deps.config.maxVersions;
    const [atMax] = await seeder.seedSecrets('calls-cold-update-max', 1, maxVersions);
    const [versioned] = await seeder.seedSecrets('calls-cold-restore-version', 1, maxVersions);
    const trashed = await seeder.seedTrashedSecrets('calls-cold-trash', TRASH_LISTED);
    const coldCreate = await create('calls-cold-create', 'ANOTHER');
    const coldUpdate = await update('calls-cold-update', toUpdate!.id);
    const coldInject10 = await inject('calls-inject-10');
    const warmInject10 = await inject('calls-inject-10');
    const coldInject100 = await inject('calls-inject-100');
    const warmInject100 = await inject('calls-inject-100');
    const coldServiceInject100 = await injectByToken(held);
    const warmServiceInject100 = await injectByToken(held);
    const coldUpdateAtMax = await update('calls-cold-update-max', atMax!.id);
    const warmUpdateAtMax = await update('calls-cold-update-max', atMax!.id);
    const versionsOf = { sub: 'calls-cold-restore-version', params: { id: versioned!.id } };
    const listVersions = await measure(`GET ${V1}/{id}/versions`, versionsOf);
    // The version before the current one, twice: still kept after the first restore.
    const restoreVersion = () =>
      measure(`POST ${V1}/{id}/versions/{version}/restore`, {
        ...versionsOf,
        params: { ...versionsOf.params, version: String(maxVersions - 1) },
      });
    const coldRestoreVersion = await restoreVersion();
    const warmRestoreVersion = await restoreVersion();
    const listDeleted = await measure(`GET ${V1}/deleted`, { sub: 'calls-cold-trash' });
    const fromTrash = (route: string, secret: SecretRef) =>
      measure(route, { sub: secret.sub, params: { id: secret.id } });
    const coldRestoreDeleted = await fromTrash(`POST ${V1}/deleted/{id}/restore`, trashed[0]!);
    const warmRestoreDeleted = await fromTrash(`POST ${V1}/deleted/{id}/restore`, trashed[1]!);
    const purge = await fromTrash(`DELETE ${V1}/deleted/{id}`, trashed[2]!);

    // Compare, rename and copy, each first with a cold cache, then warm.
    const [compared] = await seeder.seedSecrets('calls-cold-compare', 1);
    const comparedIn = await seeder.seedEnvironment('calls-cold-compare-env', 1);
    const [renamed] = await seeder.seedSecrets('calls-cold-rename', 1, maxVersions);
    // Two environments of one owner, both new to this service process.
    const copiedFrom = await seeder.seedEnvironment('calls-cold-copy', 1);
    const copiedTo = await seeder.seedEnvironment('calls-cold-copy', 0);
    const compare = () =>
      measure(`POST ${V1}/{id}/compare`, {
        sub: compared!.sub,
        params: { id: compared!.id },
        body: { value: BENCH_VALUE },
      });
    const coldCompare = await compare();
    const warmCompare = await compare();
    const compareEnvironment = () =>
      measure(`POST ${ENVIRONMENT_SECRETS}/{key}/compare`, {
        sub: comparedIn.sub,
        params: { id: comparedIn.environmentId, key: comparedIn.keys[0]! },
        body: { value: BENCH_VALUE },
      });
    const coldCompareEnvironment = await compareEnvironment();
    const warmCompareEnvironment = await compareEnvironment();
    const rename = (name: string) =>
      measure(`POST ${V1}/{id}/rename`, { sub: renamed!.sub, params: { id: renamed!.id }, body: { name } });
    const coldRename = await rename('RENAMED_COLD');
    const warmRename = await rename('RENAMED_WARM');
    const copy = (toKey: string) =>
      measure(`POST ${ENVIRONMENT_SECRETS}/{key}/copy`, {
        sub: copiedFrom.sub,
        params: { id: copiedFrom.environmentId, key: copiedFrom.keys[0]! },
        body: { toEnvironmentId: copiedTo.environmentId, toKey },
      });
    const coldCopy = await copy('COPIED_COLD');
    const warmCopy = await copy('COPIED_WARM');
    return {
      maxVersions,
      create: { warm: warmCreate.usage, coldCache: coldCreate.usage, newUser: newUser.usage },
      update: { warm: warmUpdate.usage, coldCache: coldUpdate.usage },
      updateAtMaxVersions: { warm: warmUpdateAtMax.usage, coldCache: coldUpdateAtMax.usage },
      get: get.usage,
      list: list.usage,
      delete: deleted.usage,
      listVersions: listVersions.usage,
      restoreVersion: { warm: warmRestoreVersion.usage, coldCache: coldRestoreVersion.usage },
      listDeleted: listDeleted.usage,
      restoreDeleted: { warm: warmRestoreDeleted.usage, coldCache: coldRestoreDeleted.usage },
      purge: purge.usage,
      inject10: { warm: warmInject10.usage, coldCache: coldInject10.usage },
      inject100: { warm: warmInject100.usage, coldCache: coldInject100.usage },
      serviceInject100: { warm: warmServiceInject100.usage, coldCache: coldServiceInject100.usage },
      compare: { warm: warmCompare.usage, coldCache: coldCompare.usage },
      compareEnvironment: { warm: warmCompareEnvironment.usage, coldCache: coldCompareEnvironment.usage },
      rename: { warm: warmRename.usage, coldCache: coldRename.usage },
      copy: { warm: warmCopy.usage, coldCache: coldCopy.usage },
    };
  } finally {
    await service.measureUnits(false);
  }
}
