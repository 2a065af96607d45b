/** RFC 3339 UTC timestamp with second precision, as the API shows it (`2026-04-15T12:00:00Z`). */
export function nowTimestamp(now = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
