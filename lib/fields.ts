import * as z from 'zod/mini';

/**
 * Field schemas shared by the requests of both API families and by the token reader, so the
 * domain's request schemas need nothing from the HTTP layer.
 */

/** A UUID path parameter: either case accepted, lowercase used (and emitted) everywhere. */
export const uuidParam = z.pipe(
  z.guid(),
  z.transform((id: string) => id.toLowerCase()),
);

/** A user id as the identity provider issues it (the `sub` claim). */
export const subjectSchema = z.string().check(z.minLength(1), z.maxLength(256));
