import * as z from 'zod/mini';
import { subjectSchema, uuidParam, versionParam } from '../fields.js';
import { variableNameSchema } from '../secrets/names.js';

/**
 * Path parameters of the environments API. Apart from the bodies, so that a route bundles
 * (and builds at cold start) only the schemas it validates with.
 */

export const EnvironmentPath = z.object({ id: uuidParam });
export const MemberPath = z.object({ id: uuidParam, userId: subjectSchema });
/** A secret's key follows the v1 name rules, so every key is a usable variable name. */
export const SecretPath = z.object({ id: uuidParam, key: variableNameSchema });

export const SecretVersionPath = z.object({
  id: uuidParam,
  key: variableNameSchema,
  version: versionParam,
});
