import * as z from 'zod/mini';

/**
 * Field schemas the stored records share, one instance each: zod schemas are immutable, and
 * every schema built at module scope is paid for again at each cold start.
 */
export const positiveInt = z.int().check(z.positive());
export const nonNegativeInt = z.int().check(z.nonnegative());
export const timestamp = z.iso.datetime();
export const bytes = z.instanceof(Uint8Array);
/** Epoch seconds: when the table's TTL removes an item. */
export const epochSeconds = z.number();

/** What every item holding a sealed value carries: the data key version and the ciphertext. */
export const sealedFields = { kv: positiveInt, ct: bytes };
