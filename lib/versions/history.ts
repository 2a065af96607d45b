import { type Clock, timestampOf } from '../clock.js';
import type { Config } from '../config.js';
import { decodeCursor, encodeCursor } from '../store/cursor.js';
import type { TableDeps } from '../store/dynamodb.js';
import type { KeptVersion, VersionChange } from '../store/items/secret-version.js';
import { versionPrefix } from '../store/keys.js';
import type { PageQuery } from '../store/page-query.js';
import { MAX_TRANSACTION_ITEMS, type NamedItems, type TransactItem, transactWrite } from '../store/transactions.js';

/**
 * Rules of value versions and the trash, shared by both APIs: which versions a write keeps,
 * how the list of versions pages, and when a trashed secret is purged.
 */

/** A value version a secret keeps and the slot that holds it, as its record stores it. */
export type { KeptVersion };

/** What a secret record says about its values: the current one and the earlier ones kept. */
export interface Lineage {
  value_version: number;
  history: KeptVersion[];
}

/**
 * A new value supersedes the current one: it joins the history, and the oldest versions beyond
 * `maxVersions` (the new current value counts as one) are pruned in the same write. The
 * superseded value takes the slot of the oldest one pruned, overwriting it, so a write at the
 * limit still writes one version item; only a lowered limit deletes more.
 */
export function supersede(
  lineage: Lineage,
  maxVersions: number,
): { history: KeptVersion[]; superseded?: KeptVersion; pruned: number[] } {
  const room = maxVersions - 1;
  if (room < 1) return { history: [], pruned: lineage.history.map((kept) => kept.slot) };
  const survivors = lineage.history.slice(Math.max(0, lineage.history.length - (room - 1)));
  const dropped = lineage.history.slice(0, lineage.history.length - survivors.length);
  const taken = new Set(survivors.map((kept) => kept.slot));
  let free = 0;
  while (taken.has(free)) free++;
  const superseded = { version: lineage.value_version, slot: dropped[0]?.slot ?? free };
  return {
    history: [...survivors, superseded],
    superseded,
    pruned: dropped.slice(1).map((kept) => kept.slot),
  };
}

/** The slot of `valueVersion` when the secret keeps it as a VERSION# item. */
export const slotOf = (lineage: Lineage, valueVersion: number): number | undefined =>
  lineage.history.find((kept) => kept.version === valueVersion)?.slot;

/** Whether `valueVersion` is a value the secret still has: its current one or a kept one. */
export const holdsVersion = (lineage: Lineage, valueVersion: number): boolean =>
  valueVersion === lineage.value_version || slotOf(lineage, valueVersion) !== undefined;

/** One page of a secret's versions, newest first (the current value first of all). */
export function versionsPage(
  recordId: string,
  lineage: Lineage,
  page: PageQuery,
): { versions: number[]; nextCursor: string | null } {
  const all = [lineage.value_version, ...lineage.history.map((kept) => kept.version).reverse()];
  // A cursor names the last version shown, within this secret's versions.
  const prefix = versionPrefix(recordId);
  const position = (n: number) => `${prefix}${String(n).padStart(VERSION_DIGITS, '0')}`;
  const after = decodeCursor(page.cursor, prefix);
  const start = after === undefined ? 0 : all.findIndex((n) => position(n) < after);
  const versions = start < 0 ? [] : all.slice(start, start + page.limit);
  const last = versions.at(-1);
  const more = start >= 0 && start + page.limit < all.length;
  return { versions, nextCursor: more && last !== undefined ? encodeCursor(position(last)) : null };
}

const VERSION_DIGITS = 15;

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
