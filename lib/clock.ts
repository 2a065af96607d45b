/**
 * The one source of time. Everything that stamps, expires or ages an item asks the clock it
 * was given, so tests can move time instead of backdating rows.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** RFC 3339 UTC timestamp with second precision, as the API shows it (`2026-04-15T12:00:00Z`). */
export function timestampOf(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
