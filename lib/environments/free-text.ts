import * as z from 'zod/mini';
import { isWellFormedText } from '../secrets/names.js';

/**
 * Free text is stored and handed back as sent, so like values it must be valid Unicode: a lone
 * surrogate (`"\ud800"` in JSON) would be altered or refused on its way through UTF-8.
 */
const wellFormed = z.refine<string>(isWellFormedText, {
  error: 'Must be valid Unicode; it holds a lone surrogate (such as \\ud800)',
});

/** A name people give things (an environment, a service token). */
export const displayNameSchema = z
  .string()
  .check(
    z.trim(),
    z.minLength(1),
    z.maxLength(100),
    z.regex(/^\P{Cc}*$/u, { error: 'Name must not contain control characters' }),
    wellFormed,
  );

/** What people write about an environment or a secret. */
export const descriptionSchema = z.string().check(z.maxLength(1000), wellFormed);
