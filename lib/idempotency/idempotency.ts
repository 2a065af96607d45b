import { randomUUID } from 'node:crypto';
import type { StoreDeps } from '../app/deps.js';
import { ConflictError, ValidationError } from '../errors.js';
import type { IdempotencyClaim, StoredResponse } from '../store/items/idempotency-record.js';
import * as idempotencyRecordItem from '../store/items/idempotency-record.js';
import type { TransactItem } from '../store/transactions.js';

export type { IdempotencyClaim, StoredResponse };

/**
 * Safe retries of writes. The first request with an `Idempotency-Key` claims it; the write
 * completes the claim with its response in its own transaction, so a retry after an unknown
 * outcome (a 502/504) replays the response if and only if the write committed. A request still
 * running holds the key for LOCK_MS; after that a retry may take over, and the stale write, if
 * it ever reaches DynamoDB, fails on the lost claim.
 */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** Longer than a function may run (15 s), so a live request is never taken over. */
export const LOCK_MS = 20_000;

/** 1–255 printable ASCII characters. */
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

export type IdempotentStart = { claimed: IdempotencyClaim } | { replay: StoredResponse };

export function checkIdempotencyKey(key: string): void {
  if (KEY_PATTERN.test(key)) return;
  throw new ValidationError([
    {
      loc: ['header', 'Idempotency-Key'],
      msg: 'Idempotency-Key must be 1 to 255 printable ASCII characters',
      type: 'value_error',
    },
  ]);
}

export async function beginIdempotentRequest(
  deps: StoreDeps,
  { sub, key, fingerprint }: { sub: string; key: string; fingerprint: string },
): Promise<IdempotentStart> {
  const nowMs = deps.clock.now().getTime();
  const claim: IdempotencyClaim = { sub, key, claim: randomUUID() };
  const lockedUntil = nowMs + LOCK_MS;
  const fresh = {
    fingerprint,
    status: 'in_progress' as const,
    claim: claim.claim,
    locked_until: lockedUntil,
    expires_at: Math.floor(nowMs / 1000) + IDEMPOTENCY_TTL_SECONDS,
  };
  if (await idempotencyRecordItem.claimNew(deps, claim, fresh, Math.floor(nowMs / 1000))) return { claimed: claim };
  const existing = await idempotencyRecordItem.get(deps, sub, key);
  // Gone between the two calls (TTL): the next retry claims it afresh.
  if (!existing) throw requestInProgress();
  if (existing.fingerprint !== fingerprint) throw keyReused();
  if (existing.status === 'completed' && existing.response) return { replay: existing.response };
  if (
    existing.locked_until < nowMs &&
    (await idempotencyRecordItem.takeOver(deps, claim, { fingerprint, lockedUntil, nowMs }))
  ) {
    return { claimed: claim };
  }
  throw requestInProgress();
}

/** The item a write's transaction carries to complete the claim with the write's response. */
export function completionItem(deps: StoreDeps, claim: IdempotencyClaim, response: StoredResponse): TransactItem {
  return idempotencyRecordItem.completeItem(deps, claim, response);
}

/** Completes a claim outside a write's transaction (routes that wrote nothing, answered errors). */
export async function completeIdempotentRequest(
  deps: StoreDeps,
  claim: IdempotencyClaim,
  response: StoredResponse,
): Promise<void> {
  await idempotencyRecordItem.complete(deps, claim, response);
}

/** Gives a claim back when its request failed before any write was sent. */
export async function releaseIdempotentRequest(deps: StoreDeps, claim: IdempotencyClaim): Promise<void> {
  await idempotencyRecordItem.release(deps, claim);
}

function keyReused(): ValidationError {
  return new ValidationError(
    [
      {
        loc: ['header', 'Idempotency-Key'],
        msg: 'This Idempotency-Key was used with another request; send a new key for a new request',
        type: 'idempotency_key_reused',
      },
    ],
    { code: 'IDEMPOTENCY_KEY_REUSED' },
  );
}

export function requestInProgress(): ConflictError {
  return new ConflictError('A request with this Idempotency-Key is still in progress', {
    code: 'REQUEST_IN_PROGRESS',
    hint: 'Retry with the same key in a few seconds to receive its response.',
    headers: { 'retry-after': '1' },
  });
}
