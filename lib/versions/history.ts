import { type Clock, timestampOf } from '../clock.js';
import type { Config } from '../config.js';
import { decodeCursor, encodeCursor, type PageQuery } from '../store/cursor.js';
import type { TableDeps } from '../store/dynamodb.js';
import type { VersionChange } from '../store/items/secret-version.js';
import { itemKeys, versionPrefix } from '../store/keys.js';
import { MAX_TRANSACTION_ITEMS, type NamedItems, type TransactItem, transactWrite } from '../store/transactions.js';

/**
 * Rules of value versions and the trash, shared by both APIs: which versions a write keeps,
 * how the list of versions pages, and when a trashed secret is purged.
 */

/** What a secret record says about its values: the current one and the earlier ones kept. */
export interface Lineage {
  value_version: number;
  history: number[];
}

/**
 * A new value supersedes the current one: it joins the history, and the oldest versions beyond
 * `maxVersions` (the new current value counts as one) are pruned in the same write.
 */
export function supersede(
  lineage: Lineage,
  maxVersions: number,
): { history: number[]; keepsPrevious: boolean; pruned: number[] } {
  const earlier = [...lineage.history, lineage.value_version];
  const history = earlier.slice(Math.max(0, earlier.length - (maxVersions - 1)));
  return {
    history,
    keepsPrevious: history.includes(lineage.value_version),
    pruned: lineage.history.filter((n) => !history.includes(n)),
  };
}

/** Whether `valueVersion` is a value the secret still has: its current one or a kept one. */
export const holdsVersion = (lineage: Lineage, valueVersion: number): boolean =>
  valueVersion === lineage.value_version || lineage.history.includes(valueVersion);

/** One page of a secret's versions, newest first (the current value first of all). */
export function versionsPage(
  tenant: string,
  recordId: string,
  lineage: Lineage,
  page: PageQuery,
): { versions: number[]; nextCursor: string | null } {
  const all = [lineage.value_version, ...[...lineage.history].reverse()];
  const after = decodeCursor(page.cursor, versionPrefix(recordId));
  const position = (n: number) => itemKeys.secretVersion(tenant, recordId, n).SK;
  const start = after === undefined ? 0 : all.findIndex((n) => position(n) < after);
  const versions = start < 0 ? [] : all.slice(start, start + page.limit);
  const last = versions.at(-1);
  const more = start >= 0 && start + page.limit < all.length;
  return { versions, nextCursor: more && last !== undefined ? encodeCursor(position(last)) : null };
}

const DAY_SECONDS = 86_400;

export interface TrashWindow {
  deleted_at: string;
  purge_at: string;
  /** `purge_at` in epoch seconds: the TTL attribute. */
  expires_at: number;
}

/** When a secret trashed at `at` is purged: `RECOVERY_WINDOW_DAYS` later, both read from one instant. */
export function trashWindow(config: Pick<Config, 'recoveryWindowDays'>, at: Date): TrashWindow {
  const expires_at = Math.floor(at.getTime() / 1000) + config.recoveryWindowDays * DAY_SECONDS;
  return { deleted_at: timestampOf(at), purge_at: timestampOf(new Date(expires_at * 1000)), expires_at };
}

export const epochSeconds = (clock: Clock): number => Math.floor(clock.now().getTime() / 1000);

/**
 * Commits `items` with every change of a secret's kept versions (their expiry when it is
 * trashed or restored, their removal when it is purged). What does not fit the transaction
 * is written on its own: before it when the write makes versions live again (`apart: 'first'`),
 * after it otherwise, so a failure in between never leaves a live secret's versions expiring.
 */
export async function transactWithVersions<Name extends string>(
  table: TableDeps,
  items: NamedItems<Name>,
  changes: readonly (VersionChange & { undo?: VersionChange })[],
  apart: 'first' | 'after',
): Promise<void> {
  const fixed = Object.values(items).filter((item) => item !== undefined).length;
  const { inTransaction, apart: outside } = splitVersionItems(fixed, changes);
  if (apart === 'first') await Promise.all(outside.map((change) => change.send(table)));
  const versionItems = Object.fromEntries(
    inTransaction.map((change, index) => [`version:${index}`, change.transactItem] as const),
  );
  try {
    await transactWrite(table.ddb, { ...items, ...versionItems } as NamedItems<Name | `version:${number}`>);
  } catch (error) {
    // Refused or failed: what was written first is put back, so the versions go with their secret.
    if (apart === 'first') await Promise.all(outside.map((change) => change.undo?.send(table)));
    throw error;
  }
  if (apart === 'after') await Promise.all(outside.map((change) => change.send(table)));
}

/**
 * A write that touches every kept version of a secret (trash, restore, purge) may need more
 * items than one transaction takes: the items beyond what fits beside the write's `fixed` ones
 * are written on their own, each harmless alone (a version's expiry, or removal of a version
 * that is going anyway).
 */
export function splitVersionItems<T extends { transactItem: TransactItem }>(
  fixed: number,
  changes: readonly T[],
): { inTransaction: T[]; apart: T[] } {
  const room = Math.max(0, MAX_TRANSACTION_ITEMS - fixed);
  return { inTransaction: changes.slice(0, room), apart: changes.slice(room) };
}
