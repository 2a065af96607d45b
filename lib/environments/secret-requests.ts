import * as z from 'zod/mini';
import { uuidParam } from '../fields.js';
import { secretValueSchema, variableNameSchema } from '../secrets/names.js';
import { descriptionSchema } from './free-text.js';

/** Request bodies of the environment secret routes. */

/** A candidate checked against the stored value; as large as a value may be, no larger. */
export const CompareSecretBody = z.strictObject({ value: secretValueSchema });
export type CompareSecretBody = z.infer<typeof CompareSecretBody>;

/** Where a copy goes: another environment (or this one), under another key if given; `move` trashes the source. */
export const CopySecretBody = z.strictObject({
  toEnvironmentId: uuidParam,
  toKey: z.optional(variableNameSchema),
  move: z._default(z.boolean(), false),
});
export type CopySecretBody = z.infer<typeof CopySecretBody>;

export const CreateSecretBody = z.strictObject({
  key: variableNameSchema,
  value: secretValueSchema,
  description: z._default(descriptionSchema, ''),
  neverReveal: z._default(z.boolean(), false),
});
export type CreateSecretBody = z.infer<typeof CreateSecretBody>;

export const UpdateSecretBody = z
  .strictObject({
    value: z.optional(secretValueSchema),
    description: z.optional(descriptionSchema),
    neverReveal: z.optional(z.boolean()),
  })
  .check(
    z.refine((patch) => Object.keys(patch).length > 0, {
      error: 'Send at least one of value, description or neverReveal',
    }),
  );
export type UpdateSecretBody = z.infer<typeof UpdateSecretBody>;
