import * as z from 'zod/mini';
import { displayNameSchema } from '../environments/free-text.js';
import { uuidParam } from '../fields.js';
import type { ServiceTokenRecord } from '../store/items/service-token.js';

/** Request and response shapes of service tokens (environments family: camelCase). */

/** Every service token starts so, which tells it from a JWT at a glance (and to secret scanners). */
export const SERVICE_TOKEN_PREFIX = 'sst_';

export const CreateServiceTokenBody = z.strictObject({
  name: displayNameSchema,
  expiresInDays: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(365)), 90),
});
export type CreateServiceTokenBody = z.infer<typeof CreateServiceTokenBody>;

export const ServiceTokenPath = z.object({ id: uuidParam, tokenId: uuidParam });

/** A token as listed: never the token itself. */
export interface ServiceToken {
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string;
  lastUsedAt: string | null;
}

/** The answer to a create: the only time the token is shown. */
export interface CreatedServiceToken extends ServiceToken {
  token: string;
}

export function toServiceToken(record: ServiceTokenRecord): ServiceToken {
  return {
    id: record.id,
    name: record.name,
    createdAt: record.created_at,
    createdBy: record.created_by,
    expiresAt: record.expiry,
    lastUsedAt: record.last_used_at ?? null,
  };
}
