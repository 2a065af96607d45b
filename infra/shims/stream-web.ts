/**
 * Stands in for `node:stream/web` in Lambda bundles. middy's core imports it only to tell a
 * streamed response body, and no route streams; loading the real module costs every cold
 * start about a millisecond. The global of the same class is consulted only if a check runs.
 */
export const ReadableStream = {
  [Symbol.hasInstance]: (value: unknown): boolean => value instanceof globalThis.ReadableStream,
};
