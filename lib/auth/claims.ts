import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import * as z from 'zod/mini';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import { subjectSchema } from '../fields.js';

/** Who is calling, as the API Gateway JWT authorizer vouched for it. */
export interface Caller {
  sub: string;
  scopes: ReadonlySet<string>;
}

export const INJECT_SCOPE = 'secrets:inject';

const ClaimsSchema = z.object({
  sub: subjectSchema,
  scope: z.optional(z.union([z.string(), z.array(z.string())])),
  scp: z.optional(z.union([z.string(), z.array(z.string())])),
});

/**
 * Reads the caller from `requestContext.authorizer.jwt.claims`. The authorizer has already
 * checked the signature; this guards against a route deployed without one.
 */
export function callerFromEvent(event: APIGatewayProxyEventV2WithJWTAuthorizer): Caller {
  const parsed = ClaimsSchema.safeParse(event.requestContext?.authorizer?.jwt?.claims);
  if (!parsed.success) throw new UnauthorizedError('the token carries no usable sub claim');
  const { sub, scope, scp } = parsed.data;
  const scopes = new Set([
    ...scopeList(scope),
    ...scopeList(scp),
    ...(event.requestContext.authorizer.jwt.scopes ?? []),
  ]);
  return { sub, scopes };
}

function scopeList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.split(/\s+/).filter(Boolean);
}

/** A service token as the caller presented it (`Authorization: Bearer sst_…`), not yet verified. */
export interface PresentedServiceToken {
  token: string;
}

/** `sst_` and 256 random bits in base64url (43 characters). */
const SERVICE_TOKEN_HEADER = /^Bearer (sst_[A-Za-z0-9_-]{43})$/;

/**
 * Reads a service token from the Authorization header. Routes that take one have no JWT
 * authorizer in front of them; the token is verified against the table by the route itself.
 */
export function serviceTokenFromEvent(event: APIGatewayProxyEventV2WithJWTAuthorizer): PresentedServiceToken {
  const header = event.headers?.authorization;
  if (!header) throw new UnauthorizedError('no bearer token was sent');
  const match = SERVICE_TOKEN_HEADER.exec(header);
  if (!match) throw new UnauthorizedError('this route takes a service token (Bearer sst_...)');
  return { token: match[1]! };
}

export function requireScope(caller: Caller, scope: string): void {
  if (!caller.scopes.has(scope)) {
    throw new ForbiddenError(`This token lacks the ${scope} scope`, { hint: `Request a token with scope ${scope}.` });
  }
}
