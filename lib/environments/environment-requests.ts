import * as z from 'zod/mini';
import { ROLES } from '../store/items/member.js';
import { descriptionSchema, displayNameSchema } from './free-text.js';

/** Request bodies of the environment and member routes. */

export const CreateEnvironmentBody = z.strictObject({
  name: displayNameSchema,
  description: z._default(descriptionSchema, ''),
});
export type CreateEnvironmentBody = z.infer<typeof CreateEnvironmentBody>;

export const UpdateEnvironmentBody = z
  .strictObject({ name: z.optional(displayNameSchema), description: z.optional(descriptionSchema) })
  .check(z.refine((patch) => Object.keys(patch).length > 0, { error: 'Send at least one of name or description' }));
export type UpdateEnvironmentBody = z.infer<typeof UpdateEnvironmentBody>;

export const PutMemberBody = z.strictObject({ role: z.enum(ROLES) });
