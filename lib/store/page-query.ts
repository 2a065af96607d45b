import * as z from 'zod/mini';

/**
 * Query of every paged list: `limit` (1–100, default 50) and the previous page's cursor. Apart
 * from cursor.ts, which every route bundles for its error class: only list routes build this.
 */
export const PageQuery = z.strictObject({
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 50),
  cursor: z.optional(z.string().check(z.maxLength(1024))),
});
export type PageQuery = z.infer<typeof PageQuery>;
