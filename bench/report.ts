import type { BundleFigures } from './bundles.js';
import type { CallFigures, OpUsage } from './calls.js';
import type { ChangeEventFigures } from './change-events.js';
import type { CliFigures } from './cli.js';
import type { MonthlyCost } from './cost.js';
import { type CryptoFigures, REPORTED_PAYLOAD_BYTES } from './crypto.js';
import type { RouteFigures } from './drive.js';
import type { LoadResult } from './load.js';
import { LIST_PAGE, type ScalePoint, scaleLabel, TRASHED_BESIDE } from './scale.js';

/** bench/results.json — this shape exactly; milliseconds unless a name says otherwise. */
export interface Results {
  machine: Record<string, unknown>;
  routes: Record<string, { p50: number; p99: number; rps: number; floor_p50: number; floor_rps: number }>;
  kms_calls: {
    create: number;
    /** Updates below and at MAX_VERSIONS alike. */
    update: number;
    list: number;
    inject_100: number;
    /** Added with value versions and the trash (v1): the contract's budget is 0 for lists and ≤ 1 for restores. */
    list_versions: number;
    restore_version: number;
    list_deleted: number;
    restore_deleted: number;
    /** Added with compare, rename and copy: compare of a user or environment secret ≤ 1; copy ≤ 2 (two environments' keys, cold). */
    compare: number;
    copy: number;
  };
  /**
   * DynamoDB per v1 update (the larger of warm and cold cache), beside its budget: what an
   * update made before value versions plus one version item. `at_max_versions`: an update of a
   * secret already keeping MAX_VERSIONS, whose write overwrites the oldest version's slot.
   */
  dynamodb_update: UpdateUsage & { at_max_versions: UpdateUsage; budget: UpdateUsage };
  scale: {
    list_p50_at_10: number;
    list_p50_at_10000: number;
    inject_p50_at_10: number;
    inject_p50_at_1000: number;
    /** Added for the environments API: secrets per environment rather than per user. */
    env_list_p50_at_10: number;
    env_list_p50_at_1000: number;
    env_inject_p50_at_10: number;
    env_inject_p50_at_1000: number;
    /**
     * Added with value versions and the trash: the same 10 secrets each at MAX_VERSIONS versions,
     * beside TRASHED_BESIDE trashed secrets, against the `_at_10` points above.
     */
    list_p50_at_10_with_history: number;
    inject_p50_at_10_with_history: number;
    env_list_p50_at_10_with_history: number;
    env_inject_p50_at_10_with_history: number;
  };
  crypto: { encrypt_mb_s: number; raw_aes_gcm_mb_s: number };
  /** The local publisher: mapping and file sink throughput; commit-to-line lag on the running stack. */
  change_events: { events_per_second: number; lag_p50_ms: number; lag_p99_ms: number };
  bundles: Record<
    string,
    {
      bytes: number;
      cold_import_ms: number;
      baseline_bytes: number;
      baseline_cold_import_ms: number;
      /** Median of the per-pair ratios (each import over the baseline's just before it). */
      cold_import_ratio: number;
    }
  >;
  cost_usd_month: MonthlyCost;
  /**
   * The CLI's own cost, added with the CLI: `secrets run -- node -e 0` beside `node -e 0`, p50
   * over `runs` interleaved runs; `overhead_p50` is the difference the target is about.
   */
  cli?: CliResults;
}

export interface CliResults {
  runs: number;
  node_p50: number;
  cli_start_p50: number;
  cli_run_p50: number;
  overhead_p50: number;
  overhead_min: number;
}

export interface UpdateUsage {
  calls: number;
  read_units: number;
  write_units: number;
}

/**
 * A v1 update before value versions, cold cache (BENCHMARKS.md, full run of 2026-12-03):
 * GetItem of the record, of the tenant header and of the data key, then the four-item
 * transaction. The budget now is this plus one version item.
 */
export const UPDATE_BEFORE_VERSIONS: UpdateUsage = { calls: 4, read_units: 3, write_units: 8 };
/** One more item in the update's transaction: the previous value's VERSION# item, a Put under 1 KB. */
const VERSION_ITEM: UpdateUsage = { calls: 0, read_units: 0, write_units: 2 };
const UPDATE_BUDGET: UpdateUsage = {
  calls: UPDATE_BEFORE_VERSIONS.calls + VERSION_ITEM.calls,
  read_units: UPDATE_BEFORE_VERSIONS.read_units + VERSION_ITEM.read_units,
  write_units: UPDATE_BEFORE_VERSIONS.write_units + VERSION_ITEM.write_units,
};

export interface Measurements {
  machine: Record<string, unknown>;
  routes: RouteFigures[];
  calls: CallFigures;
  scale: ScalePoint[];
  crypto: CryptoFigures[];
  changeEvents: ChangeEventFigures;
  bundles: BundleFigures[];
  cost: MonthlyCost;
  /** Absent from a filtered run that does not name the `cli` section. */
  cli?: CliFigures;
}

const ms = (value: number) => Math.round(value * 100) / 100;
const perSecond = (value: number) => Math.round(value * 10) / 10;

export function toResults(m: Measurements): Results {
  const scaleAt = (route: string, secrets: number, history = false) =>
    ms(m.scale.find((p) => p.route === route && p.secrets === secrets && p.trashed > 0 === history)!.gateway.p50);
  const largest = (...usages: OpUsage[]): UpdateUsage => ({
    calls: Math.max(...usages.map((u) => u.dynamodbCalls)),
    read_units: Math.max(...usages.map((u) => u.readUnits)),
    write_units: Math.max(...usages.map((u) => u.writeUnits)),
  });
  const c = m.calls;
  const reported = m.crypto.find((c) => c.bytes === REPORTED_PAYLOAD_BYTES)!;
  return {
    machine: m.machine,
    routes: Object.fromEntries(
      m.routes.map(({ route, gateway, floor }) => [
        route,
        {
          p50: ms(gateway.p50),
          p99: ms(gateway.p99),
          rps: perSecond(gateway.rps),
          floor_p50: ms(floor.p50),
          floor_rps: perSecond(floor.rps),
        },
      ]),
    ),
    kms_calls: {
      // The largest count seen, cold cache included: that is what the budget must hold for.
      create: Math.max(c.create.warm.kms, c.create.coldCache.kms, c.create.newUser.kms),
      update: Math.max(
        c.update.warm.kms,
        c.update.coldCache.kms,
        c.updateAtMaxVersions.warm.kms,
        c.updateAtMaxVersions.coldCache.kms,
      ),
      list: c.list.kms,
      // A service-token inject is held to the same budget as the user's own.
      inject_100: Math.max(
        c.inject100.warm.kms,
        c.inject100.coldCache.kms,
        c.serviceInject100.warm.kms,
        c.serviceInject100.coldCache.kms,
      ),
      list_versions: c.listVersions.kms,
      restore_version: Math.max(c.restoreVersion.warm.kms, c.restoreVersion.coldCache.kms),
      list_deleted: c.listDeleted.kms,
      restore_deleted: Math.max(c.restoreDeleted.warm.kms, c.restoreDeleted.coldCache.kms),
      compare: Math.max(
        c.compare.warm.kms,
        c.compare.coldCache.kms,
        c.compareEnvironment.warm.kms,
        c.compareEnvironment.coldCache.kms,
      ),
      copy: Math.max(c.copy.warm.kms, c.copy.coldCache.kms),
    },
    dynamodb_update: {
      ...largest(c.update.warm, c.update.coldCache),
      at_max_versions: largest(c.updateAtMaxVersions.warm, c.updateAtMaxVersions.coldCache),
      budget: UPDATE_BUDGET,
    },
    scale: {
      list_p50_at_10: scaleAt('GET /api/v1/user/secrets', 10),
      list_p50_at_10000: scaleAt('GET /api/v1/user/secrets', 10_000),
      inject_p50_at_10: scaleAt('GET /api/v1/user/secrets/env', 10),
      inject_p50_at_1000: scaleAt('GET /api/v1/user/secrets/env', 1_000),
      env_list_p50_at_10: scaleAt('GET /api/environments/{id}/secrets', 10),
      env_list_p50_at_1000: scaleAt('GET /api/environments/{id}/secrets', 1_000),
      env_inject_p50_at_10: scaleAt('GET /api/environments/{id}/env', 10),
      env_inject_p50_at_1000: scaleAt('GET /api/environments/{id}/env', 1_000),
      list_p50_at_10_with_history: scaleAt('GET /api/v1/user/secrets', 10, true),
      inject_p50_at_10_with_history: scaleAt('GET /api/v1/user/secrets/env', 10, true),
      env_list_p50_at_10_with_history: scaleAt('GET /api/environments/{id}/secrets', 10, true),
      env_inject_p50_at_10_with_history: scaleAt('GET /api/environments/{id}/env', 10, true),
    },
    crypto: { encrypt_mb_s: perSecond(reported.sealMbPerSecond), raw_aes_gcm_mb_s: perSecond(reported.rawMbPerSecond) },
    change_events: {
      events_per_second: perSecond(m.changeEvents.eventsPerSecond),
      lag_p50_ms: ms(m.changeEvents.lagP50Ms),
      lag_p99_ms: ms(m.changeEvents.lagP99Ms),
    },
    bundles: Object.fromEntries(
      m.bundles.map((b) => [
        b.function,
        {
          bytes: b.bytes,
          cold_import_ms: ms(b.coldImportMs),
          baseline_bytes: b.baselineBytes,
          baseline_cold_import_ms: ms(b.baselineColdImportMs),
          cold_import_ratio: Number(b.coldImportRatio.toFixed(3)),
        },
      ]),
    ),
    cost_usd_month: m.cost,
    ...(m.cli ? { cli: cliResults(m.cli) } : {}),
  };
}

export function cliResults(cli: CliFigures): CliResults {
  return {
    runs: cli.runs,
    node_p50: ms(cli.node.p50),
    cli_start_p50: ms(cli.cliStart.p50),
    cli_run_p50: ms(cli.cliRun.p50),
    overhead_p50: ms(cli.overheadP50),
    overhead_min: ms(cli.overheadMin),
  };
}

export interface TargetCheck {
  target: string;
  measured: string;
  pass: boolean;
}

const BUNDLE_ALLOWANCE_BYTES = 150 * 1024;
const CLI_OVERHEAD_TARGET_MS = 150;
const CLI_TARGET = `CLI overhead p50 (secrets run -- node -e 0, less node -e 0) ≤ ${CLI_OVERHEAD_TARGET_MS} ms`;
const COMPARE_KMS_TARGET = 'KMS calls per compare ≤ 1';
const COPY_KMS_TARGET = 'KMS calls per copy (cold caches of both environments) ≤ 2';
const CHANGE_EVENT_LAG_TARGET = 'change event lag p99 (local stack) ≤ 1 s';
const usageText = (u: UpdateUsage) => `${u.calls} calls, ${u.read_units} RRU, ${u.write_units} WRU`;
const UPDATE_TARGET = `DynamoDB per update ≤ before versions + 1 version item (${usageText(UPDATE_BUDGET)})`;
const UPDATE_AT_MAX_TARGET = 'DynamoDB per update at MAX_VERSIONS (overwrites the oldest) ≤ the same';
/** The scale targets of a tenant with history: every secret at MAX_VERSIONS versions and TRASHED_BESIDE in the trash. */
const historyTarget = (point: string) =>
  `${point} at 10 with all versions kept and ${TRASHED_BESIDE.toLocaleString('en-US')} trashed ≤ 1.2× without`;
const HISTORY_TARGETS = {
  list: historyTarget(`list page (${LIST_PAGE})`),
  inject: historyTarget('inject'),
  envList: historyTarget(`environment list page (${LIST_PAGE})`),
  envInject: historyTarget('environment inject'),
};

export function checkTargets(results: Results): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const ratio = (a: number, b: number) => (b > 0 ? a / b : Infinity);
  for (const [route, r] of Object.entries(results.routes)) {
    const x = ratio(r.p50, r.floor_p50);
    checks.push({ target: `${route}: p50 ≤ 1.5× floor`, measured: `${x.toFixed(2)}×`, pass: x <= 1.5 });
  }
  const s = results.scale;
  const list = ratio(s.list_p50_at_10000, s.list_p50_at_10);
  checks.push({
    target: `list page (${LIST_PAGE}) at 10,000 ≤ 1.2× at 10`,
    measured: `${list.toFixed(2)}×`,
    pass: list <= 1.2,
  });
  const inject = ratio(s.inject_p50_at_1000, s.inject_p50_at_10);
  checks.push({ target: 'inject 1,000 ≤ 20× inject 10', measured: `${inject.toFixed(1)}×`, pass: inject <= 20 });
  const envList = ratio(s.env_list_p50_at_1000, s.env_list_p50_at_10);
  checks.push({
    target: `environment list page (${LIST_PAGE}) at 1,000 ≤ 1.2× at 10`,
    measured: `${envList.toFixed(2)}×`,
    pass: envList <= 1.2,
  });
  const envInject = ratio(s.env_inject_p50_at_1000, s.env_inject_p50_at_10);
  checks.push({
    target: 'environment inject 1,000 ≤ 20× inject 10',
    measured: `${envInject.toFixed(1)}×`,
    pass: envInject <= 20,
  });
  const withHistory = (target: string, withIt: number, without: number) => {
    const x = ratio(withIt, without);
    checks.push({ target, measured: `${x.toFixed(2)}×`, pass: x <= 1.2 });
  };
  withHistory(HISTORY_TARGETS.list, s.list_p50_at_10_with_history, s.list_p50_at_10);
  withHistory(HISTORY_TARGETS.inject, s.inject_p50_at_10_with_history, s.inject_p50_at_10);
  withHistory(HISTORY_TARGETS.envList, s.env_list_p50_at_10_with_history, s.env_list_p50_at_10);
  withHistory(HISTORY_TARGETS.envInject, s.env_inject_p50_at_10_with_history, s.env_inject_p50_at_10);
  const k = results.kms_calls;
  checks.push({ target: 'KMS calls per create ≤ 1', measured: String(k.create), pass: k.create <= 1 });
  checks.push({ target: 'KMS calls per update ≤ 1', measured: String(k.update), pass: k.update <= 1 });
  checks.push({ target: 'KMS calls per list = 0', measured: String(k.list), pass: k.list === 0 });
  checks.push({ target: 'KMS calls per inject of 100 ≤ 1', measured: String(k.inject_100), pass: k.inject_100 <= 1 });
  checks.push({
    target: 'KMS calls per list of versions = 0',
    measured: String(k.list_versions),
    pass: k.list_versions === 0,
  });
  checks.push({
    target: 'KMS calls per restore of a version ≤ 1',
    measured: String(k.restore_version),
    pass: k.restore_version <= 1,
  });
  checks.push({
    target: 'KMS calls per list of the trash = 0',
    measured: String(k.list_deleted),
    pass: k.list_deleted === 0,
  });
  checks.push({
    target: 'KMS calls per restore from the trash ≤ 1',
    measured: String(k.restore_deleted),
    pass: k.restore_deleted <= 1,
  });
  checks.push({ target: COMPARE_KMS_TARGET, measured: String(k.compare), pass: k.compare <= 1 });
  checks.push({ target: COPY_KMS_TARGET, measured: String(k.copy), pass: k.copy <= 2 });
  const u = results.dynamodb_update;
  const within = (usage: UpdateUsage) =>
    usage.calls <= u.budget.calls &&
    usage.read_units <= u.budget.read_units &&
    usage.write_units <= u.budget.write_units;
  checks.push({ target: UPDATE_TARGET, measured: usageText(u), pass: within(u) });
  checks.push({
    target: UPDATE_AT_MAX_TARGET,
    measured: usageText(u.at_max_versions),
    pass: within(u.at_max_versions),
  });
  for (const [name, b] of Object.entries(results.bundles)) {
    const extra = b.bytes - b.baseline_bytes;
    checks.push({
      target: `${name}: bundle ≤ baseline + 150 KB`,
      measured: `${signedKb(extra)} KB`,
      pass: extra <= BUNDLE_ALLOWANCE_BYTES,
    });
    const cold = b.cold_import_ratio;
    checks.push({ target: `${name}: cold import ≤ 1.3× baseline`, measured: `${cold.toFixed(2)}×`, pass: cold <= 1.3 });
  }
  const lag = results.change_events.lag_p99_ms;
  checks.push({ target: CHANGE_EVENT_LAG_TARGET, measured: `${lag.toFixed(0)} ms`, pass: lag <= 1000 });
  const cheaper = ratio(results.cost_usd_month.secrets_manager, results.cost_usd_month.ours);
  checks.push({
    target: 'cost ≥ 100× below Secrets Manager',
    measured: `${cheaper.toFixed(0)}× below`,
    pass: cheaper >= 100,
  });
  if (results.cli) checks.push(checkCli(results.cli));
  return checks;
}

export function checkCli(cli: CliResults): TargetCheck {
  return {
    target: CLI_TARGET,
    measured: `${cli.overhead_p50.toFixed(0)} ms`,
    pass: cli.overhead_p50 <= CLI_OVERHEAD_TARGET_MS,
  };
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const signedKb = (bytes: number) => `${bytes >= 0 ? '+' : ''}${kb(bytes)}`;
const fixed = (value: number) => value.toFixed(2);

/** The human report: Markdown tables, so a run's output can go into BENCHMARKS.md as is. */
export function renderReport(m: Measurements, results: Results, checks: TargetCheck[], settings: string): string {
  const verdict = (target: string) => {
    const check = checks.find((c) => c.target === target);
    return check ? `${check.measured} ${check.pass ? 'pass' : 'FAIL'}` : '';
  };
  const sections: string[] = [];
  sections.push(`Settings: ${settings}`);

  sections.push(
    '### Routes (gateway with the real handlers vs. floor: the same storage calls, bare)\n\n' +
      table(
        ['route', 'p50 ms', 'p99 ms', 'rps', 'floor p50', 'floor p99', 'floor rps', 'p50 vs floor (≤ 1.5×)', 'notes'],
        m.routes.map(({ route, gateway, floor }) => [
          route,
          fixed(gateway.p50),
          fixed(gateway.p99),
          gateway.rps.toFixed(0),
          fixed(floor.p50),
          fixed(floor.p99),
          floor.rps.toFixed(0),
          verdict(`${route}: p50 ≤ 1.5× floor`),
          [runNote('gateway', gateway), runNote('floor', floor)].filter(Boolean).join('; '),
        ]),
      ),
  );

  const usageRow = (operation: string, warm: OpUsage, cold?: OpUsage) => [
    operation,
    String(warm.kms),
    cold ? String(cold.kms) : '—',
    String(cold?.dynamodbCalls ?? warm.dynamodbCalls),
    fixed(cold?.readUnits ?? warm.readUnits),
    fixed(cold?.writeUnits ?? warm.writeUnits),
  ];
  const c = m.calls;
  sections.push(
    '### Per request: KMS calls (at the local KMS endpoint) and DynamoDB calls and request units (cold cache where given)\n\n' +
      table(
        ['operation', 'KMS warm', 'KMS cold cache', 'DynamoDB calls', 'RRU', 'WRU'],
        [
          usageRow('create (new user: makes the data key)', c.create.newUser),
          usageRow('create', c.create.warm, c.create.coldCache),
          usageRow('update (keeps the previous value as a version)', c.update.warm, c.update.coldCache),
          usageRow(
            `update at ${c.maxVersions} versions (overwrites the oldest)`,
            c.updateAtMaxVersions.warm,
            c.updateAtMaxVersions.coldCache,
          ),
          usageRow('get', c.get),
          usageRow('list', c.list),
          usageRow('delete (to the trash)', c.delete),
          usageRow(`list versions (${c.maxVersions})`, c.listVersions),
          usageRow('restore a version', c.restoreVersion.warm, c.restoreVersion.coldCache),
          usageRow('list the trash (a page of 50)', c.listDeleted),
          usageRow('restore from the trash', c.restoreDeleted.warm, c.restoreDeleted.coldCache),
          usageRow('purge from the trash', c.purge),
          usageRow('inject 10', c.inject10.warm, c.inject10.coldCache),
          usageRow('inject 100', c.inject100.warm, c.inject100.coldCache),
          usageRow('service-token inject 100 (environment)', c.serviceInject100.warm, c.serviceInject100.coldCache),
          usageRow('compare', c.compare.warm, c.compare.coldCache),
          usageRow('compare (environment)', c.compareEnvironment.warm, c.compareEnvironment.coldCache),
          usageRow(`rename (re-seals ${c.maxVersions} versions)`, c.rename.warm, c.rename.coldCache),
          usageRow('copy to another environment', c.copy.warm, c.copy.coldCache),
        ],
      ) +
      `\n\nReported (max over warm and cold): create ${verdict('KMS calls per create ≤ 1')}, update ${verdict('KMS calls per update ≤ 1')}, ` +
      `list ${verdict('KMS calls per list = 0')}, inject of 100 ${verdict('KMS calls per inject of 100 ≤ 1')}, ` +
      `list of versions ${verdict('KMS calls per list of versions = 0')}, restore of a version ${verdict('KMS calls per restore of a version ≤ 1')}, ` +
      `list of the trash ${verdict('KMS calls per list of the trash = 0')}, restore from the trash ${verdict('KMS calls per restore from the trash ≤ 1')}, ` +
      `compare (either family) ${verdict(COMPARE_KMS_TARGET)}, copy (cold caches of both environments; target ≤ 2) ${verdict(COPY_KMS_TARGET)}.` +
      `\n\nDynamoDB per update (budget: ${usageText(UPDATE_BEFORE_VERSIONS)} before value versions, plus one version item): ` +
      `${verdict(UPDATE_TARGET)}; at ${c.maxVersions} versions: ${verdict(UPDATE_AT_MAX_TARGET)}.`,
  );

  sections.push(
    `### Scale (one connection; list pages of ${LIST_PAGE})\n\n` +
      table(
        ['point', 'p50 ms', 'p99 ms', 'floor p50', 'floor p99'],
        m.scale.map((p) => [
          scaleLabel(p),
          fixed(p.gateway.p50),
          fixed(p.gateway.p99),
          fixed(p.floor.p50),
          fixed(p.floor.p99),
        ]),
      ) +
      `\n\nlist at 10,000 vs 10: ${verdict(`list page (${LIST_PAGE}) at 10,000 ≤ 1.2× at 10`)}; inject 1,000 vs 10: ${verdict('inject 1,000 ≤ 20× inject 10')}; ` +
      `environment list at 1,000 vs 10: ${verdict(`environment list page (${LIST_PAGE}) at 1,000 ≤ 1.2× at 10`)}; ` +
      `environment inject 1,000 vs 10: ${verdict('environment inject 1,000 ≤ 20× inject 10')}. ` +
      `With every version kept and ${TRASHED_BESIDE.toLocaleString('en-US')} trashed vs without, at 10: list ${verdict(HISTORY_TARGETS.list)}, ` +
      `inject ${verdict(HISTORY_TARGETS.inject)}, environment list ${verdict(HISTORY_TARGETS.envList)}, ` +
      `environment inject ${verdict(HISTORY_TARGETS.envInject)}.`,
  );

  sections.push(
    '### Crypto (MB/s of plaintext; results.json holds the 1 KiB row)\n\n' +
      table(
        ['payload', 'sealValue MB/s', 'raw AES-256-GCM MB/s', 'sealValue / raw'],
        m.crypto.map((x) => [
          `${x.bytes} B`,
          x.sealMbPerSecond.toFixed(1),
          x.rawMbPerSecond.toFixed(1),
          (x.sealMbPerSecond / x.rawMbPerSecond).toFixed(2),
        ]),
      ),
  );

  const events = m.changeEvents;
  sections.push(
    '### Change events (local publisher: stream records through lib/events into events.jsonl)\n\n' +
      table(
        ['mapping + file sink events/s', 'commit → line p50 ms', 'commit → line p99 ms', 'commits'],
        [[events.eventsPerSecond.toFixed(0), fixed(events.lagP50Ms), fixed(events.lagP99Ms), String(events.commits)]],
      ) +
      `\n\nLag: ${verdict(CHANGE_EVENT_LAG_TARGET)}.`,
  );

  sections.push(
    '### Bundles (as deployed: esm, minified, everything bundled) vs. an SDK-clients-only baseline\n\n' +
      table(
        [
          'function',
          'KB',
          'baseline',
          'baseline KB',
          'over baseline (≤ +150 KB)',
          'cold import ms',
          'baseline ms',
          'vs baseline (≤ 1.3×)',
          'first event ms',
        ],
        m.bundles.map((b) => [
          b.function,
          kb(b.bytes),
          b.baseline,
          kb(b.baselineBytes),
          verdict(`${b.function}: bundle ≤ baseline + 150 KB`),
          fixed(b.coldImportMs),
          fixed(b.baselineColdImportMs),
          verdict(`${b.function}: cold import ≤ 1.3× baseline`),
          b.firstEventMs === undefined ? '—' : fixed(b.firstEventMs),
        ]),
      ) +
      '\n\nCold import and baseline are medians over fresh processes that alternate; "vs baseline" is the ' +
      'median of the paired ratios, each import over the baseline imported just before it, since the ' +
      "machine's state drifts over a run by more than the two differ.",
  );

  const cost = results.cost_usd_month;
  const breakdown = cost.assumptions.breakdown_usd as Record<string, number>;
  sections.push(
    '### Cost per month: 10,000 secrets, 1,000,000 reads, 10,000 writes\n\n' +
      table(
        ['', 'USD / month'],
        [
          ['this service', cost.ours.toFixed(2)],
          ...Object.entries(breakdown).map(([part, usd]) => [`  ${part}`, usd.toFixed(2)]),
          ['AWS Secrets Manager', cost.secrets_manager.toFixed(2)],
        ],
      ) +
      `\n\nCost vs Secrets Manager: ${verdict('cost ≥ 100× below Secrets Manager')}.`,
  );

  if (m.cli) sections.push(cliSection(m.cli, checks.find((check) => check.target === CLI_TARGET)?.pass));
  sections.push(targetsSection(checks));
  return `${sections.join('\n\n')}\n`;
}

/** The report of a run of the CLI section alone (`--only cli`). */
export function renderCliReport(cli: CliFigures, settings: string): string {
  const check = checkCli(cliResults(cli));
  const sections = [`Settings: ${settings}`, cliSection(cli, check.pass), targetsSection([check])];
  return `${sections.join('\n\n')}\n`;
}

function cliSection(cli: CliFigures, pass: boolean | undefined): string {
  const row = (command: string, p: CliFigures['node']) => [command, fixed(p.p50), fixed(p.p90), fixed(p.min)];
  return (
    `### CLI (\`secrets run\` against the local stack: ${cli.secrets} secrets injected, ${cli.runs} runs of each command, interleaved)\n\n` +
    table(
      ['command', 'p50 ms', 'p90 ms', 'min ms'],
      [
        row('node -e 0', cli.node),
        row('secrets --version (the CLI starting, no call)', cli.cliStart),
        row('secrets run -- node -e 0', cli.cliRun),
      ],
    ) +
    `\n\nCLI overhead (run p50 − node p50): ${fixed(cli.overheadP50)} ms, target ≤ ${CLI_OVERHEAD_TARGET_MS} ms: ${pass ? 'pass' : 'FAIL'}; ` +
    `run min − node min: ${fixed(cli.overheadMin)} ms. Bundle ${cli.bundle}${cli.built ? ' (built by this run)' : ''}; ` +
    `1-minute load average ${cli.load[0]} → ${cli.load[1]}.`
  );
}

function targetsSection(checks: TargetCheck[]): string {
  const failed = checks.filter((check) => !check.pass);
  return (
    `### Targets: ${checks.length - failed.length} of ${checks.length} pass\n\n` +
    table(
      ['target', 'measured', 'result'],
      checks.map((check) => [check.target, check.measured, check.pass ? 'pass' : 'FAIL']),
    )
  );
}

function runNote(target: string, run: LoadResult): string {
  const notes: string[] = [];
  const failures = Object.entries(run.failures);
  if (failures.length) notes.push(`${target} failures ${failures.map(([kind, n]) => `${kind}×${n}`).join(' ')}`);
  if (run.exhausted) notes.push(`${target} pool used up after ${run.seconds.toFixed(1)} s`);
  return notes.join(', ');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
