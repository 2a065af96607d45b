import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_ACTIONS as ACCESSES } from '../../lib/store/items/audit-event.js';
import { type RawRequest, send } from '../support/raw-http.js';
import { type Answer, checkCommon, clip, type Family } from '../support/response-shapes.js';
import { pick, positiveNumber, SCALE, seededRandom } from '../support/scale.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * Soak: a bounded mixed workload from many concurrent callers on both API families — creates,
 * updates, deletes, lists, reveals and injects, several callers writing the same secret
 * without If-Match (and a burst of 8–12 writers on one record each round), creates racing for
 * one name, writes delivered twice at once with one Idempotency-Key — in rounds. Every answer
 * must be a non-5xx in its family's envelope, and both deliveries of a write the same answer;
 * after each round, with the service quiet:
 *
 *  - `total` in every list equals the items it pages through (limit 2 and limit 100 agree);
 *  - every secret's stored version is the highest acknowledged one, and its value (read back
 *    by inject with a `secrets:inject` token) is the value acknowledged with that version;
 *  - no two writes were acknowledged with the same version of one record;
 *  - deleted secrets are gone from get, list and inject; a 404 on a write named a deleted one;
 *    a deleted key comes back from the trash with its last acknowledged value;
 *  - of callers racing to create one name, exactly one won;
 *  - every answer that carried plaintext (inject, reveal) is exactly one audit event, under
 *    its request id, and the audit lists them all, newest first.
 *
 * 429 (a record too contended or a route throttled, retry later) is not an acknowledgement
 * and no failure: it is counted, and the checks of the quiet phase retry their reads. SOAK_SCALE multiplies the rounds; SOAK_SEED picks another workload.
 */
const SEED = positiveNumber(process.env.SOAK_SEED, 7_919);
const WORKERS = 12;
const ROUNDS = Math.max(1, Math.round(3 * SCALE));
const STEPS_PER_ROUND = 14;

const USERS = ['soak-u0', 'soak-u1', 'soak-u2'] as const;
const VIEWER = 'soak-viewer';
const SIDE = 'soak-side';
const SHARED_NAMES = ['P0', 'P1', 'P2', 'P3'];

let stack: TestStack;
const tokens = new Map<string, string>();

const stats = {
  requests: 0,
  duplicated: 0,
  fiveXX: 0,
  tooContended: 0,
  acknowledged: 0,
  checks: 0,
  statuses: new Map<number, number>(),
};
const problems: string[] = [];
/** Per tenant, the request ids of the answers that carried plaintext: each must be one audit event. */
const audited = new Map<string, Set<string>>();
/** The audit actions of plaintext leaving: each answer that carried values is one of these. */
const ACCESS_ACTIONS = new Set<string>(ACCESSES);

beforeAll(async () => {
  stack = await startTestStack();
  for (const sub of [...USERS, VIEWER]) tokens.set(sub, await stack.token(sub, 'secrets:inject'));
});
afterAll(async () => {
  await stack?.stop();
  const statuses = [...stats.statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`);
  console.info(
    `soak: seed ${SEED}, ${WORKERS} callers × ${ROUNDS} rounds × ${STEPS_PER_ROUND} steps; ${stats.requests} requests, ` +
      `${stats.duplicated} writes delivered twice, ${stats.fiveXX} 5xx, ${stats.tooContended} 429, ` +
      `${stats.acknowledged} acknowledged writes, ` +
      `${stats.checks} invariant checks; statuses ${statuses.join(' ')}`,
  );
});

/** Sends a request as `sub`; every answer is checked for a 5xx, its request id and its envelope. */
async function call(sub: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const request: RawRequest = {
    method,
    target: path,
    headers: { authorization: `Bearer ${tokens.get(sub)}`, ...headers },
  };
  if (body !== undefined) {
    request.headers['content-type'] = 'application/json';
    request.body = Buffer.from(JSON.stringify(body));
  }
  const answer = await send(stack.url, request, 30_000);
  stats.requests++;
  stats.statuses.set(answer.status, (stats.statuses.get(answer.status) ?? 0) + 1);
  if (answer.status >= 500) stats.fiveXX++;
  if (answer.status === 429) stats.tooContended++;
  const plaintext = /^\/api\/(v1\/user\/secrets|environments\/([^/]+))(\/secrets\/[^/]+\/value|\/env)$/.exec(path);
  if (plaintext && answer.status === 200) {
    const tenant = plaintext[2] ? `ENV#${plaintext[2]}` : `USER#${sub}`;
    const requestIds = audited.get(tenant) ?? new Set<string>();
    requestIds.add(answer.headers.get('x-request-id') ?? '');
    audited.set(tenant, requestIds);
  }
  const family: Family = path.startsWith('/api/v1/') ? 'v1' : 'environments';
  const found = checkCommon(answer, family);
  stats.checks++;
  if (found.length)
    problems.push(`${method} ${path} as ${sub} → ${answer.status} ${clip(answer.text, 200)}: ${found.join('; ')}`);
  return answer;
}

let keys = 0;

/**
 * A write as a client with retries sends it: with an Idempotency-Key, and one time in five
 * delivered twice at once (a retry racing the first attempt). Both deliveries must get the same
 * answer, or the second a 409 REQUEST_IN_PROGRESS; the answer that acknowledges is returned.
 */
async function write(
  random: () => number,
  sub: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const keyed = { ...headers, 'idempotency-key': `soak-${SEED}-${++keys}` };
  if (random() >= 0.2) return call(sub, method, path, body, random() < 0.5 ? keyed : headers);
  stats.duplicated++;
  const [first, second] = await Promise.all([
    call(sub, method, path, body, keyed),
    call(sub, method, path, body, keyed),
  ]);
  const inProgress = (answer: Answer) => answer.status === 409 && /in progress/i.test(answer.text);
  if (inProgress(second)) return first;
  if (inProgress(first)) return second;
  stats.checks++;
  if (
    first.status !== second.status ||
    first.text !== second.text ||
    first.headers.get('etag') !== second.headers.get('etag')
  )
    problems.push(
      `${method} ${path} delivered twice: ${first.status} ${clip(first.text, 120)} and ${second.status} ${clip(second.text, 120)}`,
    );
  return first;
}

/** Records an answer whose status is not one the operation may give. */
function expectStatus(what: string, answer: Answer, allowed: number[]): boolean {
  // A 429 (contended or throttled) is never a failure: the caller retries; nothing was done.
  if (allowed.includes(answer.status) || answer.status === 429) return true;
  problems.push(`${what}: ${answer.status} ${clip(answer.text, 200)} (allowed ${allowed.join(', ')})`);
  return false;
}

/** A read of the quiet phase, retried while throttled (429), so every check gets its answer. */
async function settled(sub: string, path: string): Promise<Answer> {
  for (let attempt = 1; ; attempt++) {
    const answer = await call(sub, 'GET', path);
    if (answer.status !== 429) return answer;
    if (attempt >= 20) {
      problems.push(`GET ${path} as ${sub}: still 429 after ${attempt} attempts`);
      return answer;
    }
    await sleep(Math.min(1000, 1000 * Number(answer.headers.get('retry-after') ?? 1)));
  }
}

const versionOf = (answer: Answer): number => Number(/^"(\d+)"$/.exec(answer.headers.get('etag') ?? '')?.[1]);

// ── What was acknowledged ─────────────────────────────────────────────

/** One record's acknowledged writes: version → value, and whether a delete was acknowledged. */
class Acknowledged {
  readonly writes = new Map<number, string>();
  deleted = false;
  constructor(
    readonly label: string,
    readonly name: string,
  ) {}

  write(version: number, value: string): void {
    stats.acknowledged++;
    if (!Number.isInteger(version) || version < 1) problems.push(`${this.label}: acknowledged without a version`);
    else if (this.writes.has(version)) problems.push(`${this.label}: two writes acknowledged as version ${version}`);
    this.writes.set(version, value);
  }

  get latest(): { version: number; value: string } {
    const version = Math.max(...this.writes.keys());
    return { version, value: this.writes.get(version)! };
  }
}

interface UserModel {
  sub: string;
  hot: Acknowledged & { id?: string };
  byId: Map<string, Acknowledged>;
  /** Ids a write was answered 404 for: each must have been deleted. */
  missing: Set<string>;
}

interface EnvironmentModel {
  id: string;
  owner: string;
  hot: Acknowledged;
  sealed: Acknowledged;
  /** Keys each caller creates, updates and deletes on its own (so their order is known). */
  own: Map<string, Acknowledged | undefined>;
}

const users = new Map<string, UserModel>();
const environments: EnvironmentModel[] = [];

// Known: values stay under 100 bytes. A page of environment secrets reads at most 1 MB of items,
// ciphertext included, and drops the rest without a cursor (24 values of 60,000 bytes: 18 listed,
// total 24, nextCursor null), which would fail "total equals the items listed" for a reason this
// suite reports but may not fix.
let valueCounter = 0;
const newValue = (what: string) => `${what}-${++valueCounter}-${'v'.repeat(valueCounter % 40)}`;

async function setUp(): Promise<void> {
  for (const sub of USERS) {
    const hot = new Acknowledged(`${sub} HOT`, 'HOT') as UserModel['hot'];
    const value = newValue('hot');
    const created = await call(sub, 'POST', '/api/v1/user/secrets', { name: 'HOT', value });
    expect(created.status).toBe(201);
    hot.id = created.body.id;
    hot.write(1, value);
    users.set(sub, { sub, hot, byId: new Map([[created.body.id, hot]]), missing: new Set() });
  }
  for (const [index, owner] of ['soak-u0', 'soak-u1'].entries()) {
    const created = await call(owner, 'POST', '/api/environments', { name: `soak ${index}` });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    for (const sub of USERS) {
      if (sub === owner) continue;
      expect((await call(owner, 'PUT', `/api/environments/${id}/members/${sub}`, { role: 'editor' })).status).toBe(200);
    }
    expect((await call(owner, 'PUT', `/api/environments/${id}/members/${VIEWER}`, { role: 'viewer' })).status).toBe(
      200,
    );
    const hot = new Acknowledged(`env ${index} HOT`, 'HOT');
    const sealed = new Acknowledged(`env ${index} SEALED`, 'SEALED');
    for (const [record, neverReveal] of [
      [hot, false],
      [sealed, true],
    ] as const) {
      const value = newValue(record.name);
      const answer = await call(owner, 'POST', `/api/environments/${id}/secrets`, {
        key: record.name,
        value,
        neverReveal,
      });
      expect(answer.status).toBe(201);
      record.write(1, value);
    }
    environments.push({ id, owner, hot, sealed, own: new Map() });
  }
}

// ── The workload ──────────────────────────────────────────────────────

interface Caller {
  index: number;
  sub: string;
  env: EnvironmentModel;
  random: () => number;
}

/** One step of a caller: a v1 or an environments operation, chosen by its seeded PRNG. */
async function step(caller: Caller): Promise<void> {
  const { random } = caller;
  const roll = random();
  if (roll < 0.5) await userStep(caller, roll / 0.5);
  else await environmentStep(caller, (roll - 0.5) / 0.5);
}

async function userStep(caller: Caller, roll: number): Promise<void> {
  const model = users.get(caller.sub)!;
  const { sub, random } = caller;
  const base = '/api/v1/user/secrets';
  if (roll < 0.35) {
    // Many callers of one user write HOT without If-Match: every write lands or gets a 429.
    const value = newValue('hot');
    const answer = await write(random, sub, 'PUT', `${base}/${model.hot.id}`, { value });
    if (expectStatus(`PUT ${sub} HOT`, answer, [200, 429]) && answer.status === 200)
      model.hot.write(versionOf(answer), value);
  } else if (roll < 0.5) {
    const name = pick(random, SHARED_NAMES);
    const value = newValue(name);
    const answer = await write(random, sub, 'POST', base, { name, value });
    if (expectStatus(`POST ${sub} ${name}`, answer, [201, 409, 429]) && answer.status === 201) {
      const record = new Acknowledged(`${sub} ${name} ${answer.body.id}`, name);
      record.write(versionOf(answer), value);
      model.byId.set(answer.body.id, record);
    }
  } else if (roll < 0.65) {
    const target = someShared(model, random);
    if (!target) return;
    const [id, record] = target;
    const value = newValue(record.name);
    const answer = await write(random, sub, 'PUT', `${base}/${id}`, { value });
    if (!expectStatus(`PUT ${sub} ${record.name}`, answer, [200, 404, 429])) return;
    if (answer.status === 200) record.write(versionOf(answer), value);
    if (answer.status === 404) model.missing.add(id);
  } else if (roll < 0.75) {
    const target = someShared(model, random);
    if (!target) return;
    const [id, record] = target;
    const answer = await write(random, sub, 'DELETE', `${base}/${id}`);
    if (!expectStatus(`DELETE ${sub} ${record.name}`, answer, [204, 404, 429])) return;
    if (answer.status === 204) {
      stats.acknowledged++;
      record.deleted = true;
    }
    if (answer.status === 404) model.missing.add(id);
  } else if (roll < 0.85) {
    const answer = await call(sub, 'GET', `${base}?limit=${1 + Math.floor(random() * 100)}`);
    expectStatus(`GET ${sub} list`, answer, [200]);
  } else if (roll < 0.95) {
    expectStatus(`GET ${sub} env`, await call(sub, 'GET', `${base}/env`), [200]);
  } else {
    const answer = await call(sub, 'GET', `${base}/${model.hot.id}`);
    expectStatus(`GET ${sub} HOT`, answer, [200]);
  }
}

/** A secret of the shared names not known to be deleted (it may be, concurrently). */
function someShared(model: UserModel, random: () => number): [string, Acknowledged] | undefined {
  const live = [...model.byId].filter(([id, record]) => !record.deleted && id !== model.hot.id);
  return live.length ? pick(random, live) : undefined;
}

async function environmentStep(caller: Caller, roll: number): Promise<void> {
  const { sub, env, random, index } = caller;
  const base = `/api/environments/${env.id}`;
  if (roll < 0.35) {
    // Everyone PATCHes HOT (and sometimes SEALED) without If-Match.
    const record = random() < 0.8 ? env.hot : env.sealed;
    const value = newValue(record.name);
    const answer = await write(random, sub, 'PATCH', `${base}/secrets/${record.name}`, { value });
    if (expectStatus(`PATCH ${record.label}`, answer, [200, 429]) && answer.status === 200)
      record.write(answer.body.version, value);
  } else if (roll < 0.6) {
    // A key of this caller's own: create, update or delete it, with If-Match on what it knows.
    const key = `W${index}_K${Math.floor(random() * 3)}`;
    const record = env.own.get(key);
    if (record?.deleted) {
      // A deleted key stays reserved in the trash: it comes back with its last value.
      const answer = await write(random, sub, 'POST', `${base}/deleted-secrets/${key}/restore`);
      if (expectStatus(`restore ${key}`, answer, [200, 429]) && answer.status === 200) {
        record.deleted = false;
        record.write(answer.body.version, record.latest.value);
      }
    } else if (!record) {
      const value = newValue(key);
      const answer = await write(random, sub, 'POST', `${base}/secrets`, { key, value, description: `by ${sub}` });
      if (expectStatus(`POST ${key}`, answer, [201, 429]) && answer.status === 201) {
        const created = new Acknowledged(`env ${env.id} ${key}`, key);
        created.write(answer.body.version, value);
        env.own.set(key, created);
      }
    } else if (random() < 0.6) {
      const value = newValue(key);
      const answer = await write(
        random,
        sub,
        'PATCH',
        `${base}/secrets/${key}`,
        { value },
        { 'if-match': `"${record.latest.version}"` },
      );
      if (expectStatus(`PATCH ${key}`, answer, [200, 429]) && answer.status === 200)
        record.write(answer.body.version, value);
    } else {
      const answer = await write(random, sub, 'DELETE', `${base}/secrets/${key}`, undefined, {
        'if-match': `"${record.latest.version}"`,
      });
      if (expectStatus(`DELETE ${key}`, answer, [204, 429]) && answer.status === 204) {
        stats.acknowledged++;
        record.deleted = true;
      }
    }
  } else if (roll < 0.7) {
    const answer = await call(sub, 'GET', `${base}/secrets?limit=${1 + Math.floor(random() * 100)}`);
    expectStatus(`GET ${env.id} list`, answer, [200]);
  } else if (roll < 0.8) {
    expectStatus(`GET ${env.id} env`, await call(sub, 'GET', `${base}/env`), [200]);
  } else if (roll < 0.88) {
    const answer = await call(sub, 'GET', `${base}/secrets/HOT/value`);
    expectStatus(`reveal ${env.id} HOT`, answer, [200]);
    const sealed = await call(sub, 'GET', `${base}/secrets/SEALED/value`);
    expectStatus(`reveal ${env.id} SEALED`, sealed, [403]);
  } else if (roll < 0.94 && sub === env.owner) {
    // Membership changes contend with everyone's role checks.
    const role = random() < 0.5 ? 'viewer' : 'editor';
    const answer = await write(random, sub, 'PUT', `${base}/members/${SIDE}`, { role });
    expectStatus(`PUT member ${SIDE}`, answer, [200, 429]);
  } else {
    expectStatus('GET environments', await call(sub, 'GET', '/api/environments'), [200]);
  }
}

/**
 * Every caller writes its user's HOT and its environment's HOT twice, all at once: 8 writers
 * on each user's record and 12 on each environment's, without If-Match. Each write lands with
 * its own version or gets a 429.
 */
async function burst(callers: Caller[]): Promise<void> {
  await Promise.all(
    callers.flatMap((caller) => {
      const model = users.get(caller.sub)!;
      return [0, 1].flatMap(() => [
        (async () => {
          const value = newValue('hot');
          const answer = await call(caller.sub, 'PUT', `/api/v1/user/secrets/${model.hot.id}`, { value });
          if (expectStatus(`burst PUT ${caller.sub} HOT`, answer, [200, 429]) && answer.status === 200)
            model.hot.write(versionOf(answer), value);
        })(),
        (async () => {
          const value = newValue('HOT');
          const answer = await call(caller.sub, 'PATCH', `/api/environments/${caller.env.id}/secrets/HOT`, { value });
          if (expectStatus(`burst PATCH ${caller.env.hot.label}`, answer, [200, 429]) && answer.status === 200)
            caller.env.hot.write(answer.body.version, value);
        })(),
      ]);
    }),
  );
}

/** Callers of one user race to create one name, at once: exactly one may win. */
async function race(round: number, callers: Caller[]): Promise<void> {
  const outcomes = await Promise.all(
    callers.map(async (caller) => {
      const name = `RACE_${round}`;
      const value = newValue(name);
      const answer = await call(caller.sub, 'POST', '/api/v1/user/secrets', { name, value });
      expectStatus(`race ${name} as ${caller.sub}`, answer, [201, 409, 429]);
      if (answer.status === 201) {
        const record = new Acknowledged(`${caller.sub} ${name}`, name);
        record.write(versionOf(answer), value);
        users.get(caller.sub)!.byId.set(answer.body.id, record);
      }
      return { sub: caller.sub, status: answer.status };
    }),
  );
  for (const sub of USERS) {
    const mine = outcomes.filter((outcome) => outcome.sub === sub);
    const winners = mine.filter((outcome) => outcome.status === 201).length;
    const refused = mine.filter((outcome) => outcome.status === 409).length;
    stats.checks++;
    // A 429 is no answer either way; without one, exactly one create won.
    if (winners > 1 || (winners === 0 && refused === mine.length))
      problems.push(`race RACE_${round} for ${sub}: ${winners} of ${mine.length} creates won`);
  }
  const envRace = await Promise.all(
    callers.map(async (caller) => {
      const key = `RACE_${round}`;
      const value = newValue(key);
      const answer = await call(caller.sub, 'POST', `/api/environments/${caller.env.id}/secrets`, { key, value });
      expectStatus(`env race ${key}`, answer, [201, 409, 429]);
      if (answer.status === 201) {
        const record = new Acknowledged(`env ${caller.env.id} ${key}`, key);
        record.write(answer.body.version, value);
        caller.env.own.set(key, record);
      }
      return { env: caller.env, status: answer.status };
    }),
  );
  for (const env of environments) {
    const mine = envRace.filter((outcome) => outcome.env === env);
    const winners = mine.filter((outcome) => outcome.status === 201).length;
    stats.checks++;
    if (winners > 1 || (winners === 0 && mine.every((outcome) => outcome.status === 409)))
      problems.push(`env race RACE_${round} in ${env.id}: ${winners} of ${mine.length} creates won`);
  }
}

// ── With the service quiet ───────────────────────────────────────────

/** Every page of a list, walked with `limit`; `total` as each page told it. */
async function walk(sub: string, path: string, limit: number, items: string, next: string) {
  const seen: any[] = [];
  const totals: number[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 200; page++) {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const answer = await settled(sub, `${path}?limit=${limit}${query}`);
    if (!expectStatus(`walk ${path}`, answer, [200]) || answer.status !== 200) break;
    seen.push(...answer.body[items]);
    totals.push(answer.body.total);
    cursor = answer.body[next];
    if (!cursor) break;
  }
  return { seen, totals };
}

async function checkUser(model: UserModel): Promise<void> {
  const { sub } = model;
  const base = '/api/v1/user/secrets';
  const live = [...model.byId].filter(([, record]) => !record.deleted);
  const small = await walk(sub, base, 2, 'secrets', 'next_cursor');
  const large = await walk(sub, base, 100, 'secrets', 'next_cursor');
  const names = (list: { seen: any[] }) => list.seen.map((secret) => secret.name);
  stats.checks += 4;
  for (const list of [small, large]) {
    if (list.totals.some((total) => total !== list.seen.length))
      problems.push(`${sub}: list total ${list.totals} but ${list.seen.length} items`);
  }
  if (names(small).join() !== names(large).join())
    problems.push(`${sub}: pages of 2 and of 100 list different secrets`);
  const sorted = [...names(large)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names(large).join() !== sorted.join()) problems.push(`${sub}: list not sorted by name`);
  const expectedIds = live.map(([id]) => id).sort();
  const listedIds = large.seen.map((secret) => secret.id).sort();
  if (expectedIds.join() !== listedIds.join())
    problems.push(`${sub}: listed ${listedIds.length} secrets, ${expectedIds.length} are live by the acknowledgements`);

  const injected = await settled(sub, `${base}/env`);
  expectStatus(`inject ${sub}`, injected, [200]);
  const env: Record<string, string> = injected.body?.env ?? {};
  stats.checks++;
  if (
    Object.keys(env).sort().join() !==
    live
      .map(([, record]) => record.name)
      .sort()
      .join()
  )
    problems.push(`${sub}: inject holds ${Object.keys(env).sort()}, live are ${live.map(([, r]) => r.name).sort()}`);
  for (const [id, record] of model.byId) {
    const got = await settled(sub, `${base}/${id}`);
    stats.checks++;
    if (record.deleted) {
      if (got.status !== 404) problems.push(`${record.label}: deleted, but GET answers ${got.status}`);
      continue;
    }
    const { version, value } = record.latest;
    if (got.status !== 200 || versionOf(got) !== version)
      problems.push(`${record.label}: GET ${got.status} version ${versionOf(got)}, last acknowledged ${version}`);
    stats.checks++;
    if (env[record.name] !== value)
      problems.push(
        `${record.label}: injected ${clip(String(env[record.name]), 60)}, acknowledged v${version} ${clip(value, 60)}`,
      );
  }
  for (const id of model.missing) {
    stats.checks++;
    if (!model.byId.get(id)?.deleted) problems.push(`${sub}: a write to ${id} got 404 but it was never deleted`);
  }
}

async function checkEnvironment(env: EnvironmentModel): Promise<void> {
  const base = `/api/environments/${env.id}`;
  const small = await walk(env.owner, `${base}/secrets`, 2, 'secrets', 'nextCursor');
  const large = await walk(env.owner, `${base}/secrets`, 100, 'secrets', 'nextCursor');
  stats.checks += 3;
  for (const list of [small, large]) {
    if (list.totals.some((total) => total !== list.seen.length))
      problems.push(`env ${env.id}: list total ${list.totals} but ${list.seen.length} items`);
  }
  const keys = (list: { seen: any[] }) => list.seen.map((secret) => secret.key);
  if (keys(small).join() !== keys(large).join()) problems.push(`env ${env.id}: pages of 2 and 100 differ`);
  const listed = new Map(large.seen.map((secret) => [secret.key as string, secret]));

  const injected = await settled(VIEWER, `${base}/env`);
  expectStatus(`inject ${env.id}`, injected, [200]);
  const values: Record<string, string> = injected.body?.env ?? {};
  stats.checks++;
  if (Object.keys(values).sort().join() !== [...listed.keys()].sort().join())
    problems.push(`env ${env.id}: inject and list hold different keys`);
  const records = [env.hot, env.sealed, ...[...env.own.values()].filter((r): r is Acknowledged => r !== undefined)];
  for (const record of records) {
    const secret = listed.get(record.name);
    stats.checks += 2;
    if (record.deleted) {
      if (secret || record.name in values) problems.push(`${record.label}: deleted, but still listed or injected`);
      const got = await settled(env.owner, `${base}/secrets/${record.name}`);
      if (got.status !== 404) problems.push(`${record.label}: deleted, but GET answers ${got.status}`);
      continue;
    }
    const { version, value } = record.latest;
    if (secret?.version !== version)
      problems.push(`${record.label}: stored version ${secret?.version}, last acknowledged ${version}`);
    if (values[record.name] !== value)
      problems.push(
        `${record.label}: injected ${clip(String(values[record.name]), 60)}, acknowledged v${version} ${clip(value, 60)}`,
      );
  }
}

/** Every plaintext answer is exactly one access event, under its request id, and no other access is. */
async function checkAudit(tenant: string, listed?: string[]): Promise<void> {
  const expected = [...(audited.get(tenant) ?? [])].sort();
  const stored = (await stack.items(tenant, 'AUDIT#'))
    .filter((item) => ACCESS_ACTIONS.has(item.action))
    .map((item) => String(item.request_id))
    .sort();
  stats.checks++;
  if (stored.join() !== expected.join())
    problems.push(`${tenant}: ${stored.length} audit events stored for ${expected.length} plaintext answers`);
  if (listed) {
    stats.checks++;
    if ([...listed].sort().join() !== expected.join())
      problems.push(`${tenant}: the audit lists ${listed.length} events for ${expected.length} plaintext answers`);
  }
}

/** The environment's audit, walked page by page as its owner; newest first. */
async function auditRequestIds(env: EnvironmentModel): Promise<string[]> {
  const events: { action: string; requestId: string; at: string }[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 500; page++) {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const answer = await settled(env.owner, `/api/environments/${env.id}/audit?limit=37${query}`);
    if (!expectStatus(`audit ${env.id}`, answer, [200]) || answer.status !== 200) break;
    events.push(...answer.body.events.filter((event: { action: string }) => ACCESS_ACTIONS.has(event.action)));
    cursor = answer.body.nextCursor;
    if (!cursor) break;
  }
  stats.checks++;
  if (events.some((event, i) => i > 0 && event.at > events[i - 1]!.at))
    problems.push(`env ${env.id}: audit events are not newest first`);
  return events.map((event) => event.requestId);
}

// ── The run ───────────────────────────────────────────────────────────

describe('soak', () => {
  it('many concurrent callers on both families: no 5xx, the last acknowledged write is stored, totals exact', {
    timeout: 120_000 * SCALE,
  }, async () => {
    await setUp();
    const callers: Caller[] = Array.from({ length: WORKERS }, (_, index) => ({
      index,
      sub: USERS[index % USERS.length]!,
      env: environments[index % environments.length]!,
      random: seededRandom(SEED + index),
    }));
    for (let round = 0; round < ROUNDS; round++) {
      await race(round, callers);
      await burst(callers);
      await Promise.all(
        callers.map(async (caller) => {
          for (let i = 0; i < STEPS_PER_ROUND; i++) await step(caller);
        }),
      );
      for (const model of users.values()) {
        await checkUser(model);
        await checkAudit(`USER#${model.sub}`);
      }
      for (const env of environments) {
        await checkEnvironment(env);
        await checkAudit(`ENV#${env.id}`, await auditRequestIds(env));
      }
      expect(problems, `round ${round}`).toEqual([]);
    }
    expect(stats.fiveXX).toBe(0);
  });
});
