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

/** A value version in a path: a positive integer written plainly (no sign, exponent, hex or leading zero). */
export const versionParam = z.pipe(
  z.string().check(z.regex(/^[1-9][0-9]{0,14}$/, { error: 'Version must be a positive integer' })),
  z.transform((version: string) => Number(version)),
);

/** A user id as the identity provider issues it (the `sub` claim). */
export const subjectSchema = z.string().check(z.minLength(1), z.maxLength(256));
