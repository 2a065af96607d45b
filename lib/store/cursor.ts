/** A cursor that is not one this list handed out; the HTTP layer answers it as a located 422/400. */
export class InvalidCursorError extends Error {
  constructor() {
    super('Cursor is not valid for this list');
    this.name = 'InvalidCursorError';
  }
}

/**
 * Opaque list cursors: the sort key to resume after, base64url-encoded. The partition key is
 * never in the cursor — it always comes from the caller — so a cursor cannot reach another tenant.
 */
export function encodeCursor(sortKey: string): string {
  return Buffer.from(JSON.stringify({ after: sortKey })).toString('base64url');
}

/** The sort key to resume after, or `undefined` for the first page. Rejects cursors of another list. */
export function decodeCursor(cursor: string | undefined, prefix: string): string | undefined {
  if (cursor === undefined) return undefined;
  let after: unknown;
  try {
    after = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown }).after;
  } catch {
    // not a cursor of ours: answered below
  }
  if (typeof after === 'string' && after.startsWith(prefix)) return after;
  throw new InvalidCursorError();
}

/**
 * Splits the items of a Query asked for `limit + 1` into the page to show and the cursor of
 * the next page: the extra item tells whether one exists, so there is no empty trailing page.
 * `sortKey` names the key the Query ran over (`SK`, or an index's sort key).
 */
export function pageOf<T extends Record<string, unknown>>(
  items: T[],
  limit: number,
  sortKey = 'SK',
): { shown: T[]; nextCursor: string | null } {
  const shown = items.slice(0, limit);
  const last = shown.at(-1);
  return { shown, nextCursor: items.length > limit && last ? encodeCursor(String(last[sortKey])) : null };
}
