import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { StoreDeps, ValueDeps } from '../app/deps.js';
import { auditChange } from '../audit/audit.js';
import { timestampOf } from '../clock.js';
import { authorizeMember } from '../environments/members.js';
import type { ChangeInEnvironment, InEnvironment } from '../environments/secrets.js';
import { injectRecords } from '../environments/values.js';
import { UnauthorizedError } from '../errors.js';
import * as environmentHeaderItem from '../store/items/environment-header.js';
import { isLive } from '../store/items/environment-header.js';
import * as environmentSecretItem from '../store/items/environment-secret.js';
import type { ServiceTokenRecord } from '../store/items/service-token.js';
import * as serviceTokenItem from '../store/items/service-token.js';
import * as serviceTokenLookupItem from '../store/items/service-token-lookup.js';
import { environmentTenant } from '../store/keys.js';
import type { PageQuery } from '../store/page-query.js';
import { type CommitHook, TransactionConditionFailed, transactWrite } from '../store/transactions.js';
import { tokenNotFound } from './errors.js';
import {
  type CreatedServiceToken,
  type CreateServiceTokenBody,
  SERVICE_TOKEN_PREFIX,
  type ServiceToken,
  toServiceToken,
} from './schemas.js';

/**
 * Service tokens: machine credentials scoped to one environment that can only inject. A token
 * is `sst_` and 256 random bits, shown once; the table keeps only its SHA-256, so a leaked
 * table does not leak tokens, and one GetItem finds the token a runtime presents.
 */

const DAY_MS = 86_400_000;
/** Uses are recorded at most this often per token, so injects stay one write (the audit). */
const LAST_USE_RESOLUTION_MS = 60_000;

const hashOf = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Makes a token for the environment; owners only. The answer is the only place the token appears. */
export async function createServiceToken(
  deps: StoreDeps,
  {
    sub,
    requestId,
    environmentId,
    token: input,
    commit,
  }: ChangeInEnvironment & { token: CreateServiceTokenBody; commit?: CommitHook<ServiceToken> },
): Promise<CreatedServiceToken> {
  await authorizeMember(deps, { sub, environmentId, permission: 'manageTokens' });
  const tenant = environmentTenant(environmentId);
  const token = `${SERVICE_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const now = deps.clock.now();
  const record: ServiceTokenRecord = {
    id: randomUUID(),
    name: input.name,
    created_at: timestampOf(now),
    created_by: sub,
    expiry: timestampOf(new Date(now.getTime() + input.expiresInDays * DAY_MS)),
    token_hash: hashOf(token),
  };
  await transactWrite(deps.ddb, {
    token: serviceTokenItem.putNew(deps, serviceTokenItem.build(tenant, record)),
    lookup: serviceTokenLookupItem.putNew(
      deps,
      serviceTokenLookupItem.build(record.token_hash, {
        environment_id: environmentId,
        token_id: record.id,
        expiry: record.expiry,
      }),
    ),
    audit: auditChange(deps, tenant, { action: 'token.create', actor: sub, requestId, keys: [], tokenId: record.id }),
    // A retry with the same Idempotency-Key gets the token's metadata only: the token is stored nowhere.
    idempotency: commit?.(toServiceToken(record)),
  });
  return { ...toServiceToken(record), token };
}

/** One page of the environment's tokens (never the tokens themselves); owners only. */
export async function listServiceTokens(
  deps: StoreDeps,
  { sub, environmentId, page }: InEnvironment & { page: PageQuery },
): Promise<{ tokens: ServiceToken[]; nextCursor: string | null }> {
  await authorizeMember(deps, { sub, environmentId, permission: 'manageTokens' });
  const { items, nextCursor } = await serviceTokenItem.page(deps, environmentTenant(environmentId), page);
  return { tokens: items.map(toServiceToken), nextCursor };
}

/** Revokes a token, effective with the commit: its lookup item is gone. Owners only. */
export async function revokeServiceToken(
  deps: StoreDeps,
  {
    sub,
    requestId,
    environmentId,
    tokenId,
    commit,
  }: ChangeInEnvironment & { tokenId: string; commit?: CommitHook<void> },
): Promise<void> {
  await authorizeMember(deps, { sub, environmentId, permission: 'manageTokens' });
  const tenant = environmentTenant(environmentId);
  const record = await serviceTokenItem.get(deps, tenant, tokenId);
  if (!record) throw tokenNotFound(tokenId);
  try {
    await transactWrite(deps.ddb, {
      token: serviceTokenItem.delete(deps, tenant, tokenId),
      lookup: serviceTokenLookupItem.delete(deps, record.token_hash),
      audit: auditChange(deps, tenant, { action: 'token.revoke', actor: sub, requestId, keys: [], tokenId }),
      idempotency: commit?.(),
    });
  } catch (error) {
    // Revoked by someone else in between.
    if (error instanceof TransactionConditionFailed) throw tokenNotFound(tokenId);
    throw error;
  }
}

/**
 * Every value of the token's environment for a runtime, audited as `token:<id>`. Unknown,
 * revoked and expired tokens, and tokens of a deleted environment, get 401.
 */
export async function injectWithServiceToken(
  deps: ValueDeps,
  { token, requestId }: { token: string; requestId: string },
): Promise<Record<string, string>> {
  const tokenHash = hashOf(token);
  const lookup = await serviceTokenLookupItem.get(deps, tokenHash);
  const now = deps.clock.now();
  if (!lookup) throw new UnauthorizedError('the service token is unknown or revoked');
  if (Date.parse(lookup.expiry) <= now.getTime()) throw new UnauthorizedError('the service token expired');
  const tenant = environmentTenant(lookup.environment_id);
  const [environment, records] = await Promise.all([
    environmentHeaderItem.get(deps, tenant),
    environmentSecretItem.values(deps, tenant),
  ]);
  if (!isLive(environment)) throw new UnauthorizedError('the service token is unknown or revoked');
  const [env] = await Promise.all([
    injectRecords(deps, tenant, records, { actor: `token:${lookup.token_id}`, requestId }),
    recordUse(deps, { tokenHash, tenant, tokenId: lookup.token_id, lastUsedAt: lookup.last_used_at, now }),
  ]);
  return env;
}

/** Notes a use when the last noted one is over a minute old; a lost race or a revocation leaves it be. */
async function recordUse(
  deps: StoreDeps,
  use: { tokenHash: string; tenant: string; tokenId: string; lastUsedAt: string | undefined; now: Date },
): Promise<void> {
  const since = timestampOf(new Date(use.now.getTime() - LAST_USE_RESOLUTION_MS));
  if (use.lastUsedAt !== undefined && use.lastUsedAt >= since) return;
  const usedAt = timestampOf(use.now);
  try {
    await transactWrite(deps.ddb, {
      lookup: serviceTokenLookupItem.touch(deps, use.tokenHash, usedAt, since),
      token: serviceTokenItem.touch(deps, use.tenant, use.tokenId, usedAt),
    });
  } catch (error) {
    if (!(error instanceof TransactionConditionFailed)) throw error;
  }
}
