import { createHash } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { StoreDeps } from '../app/deps.js';
import {
  beginIdempotentRequest,
  checkIdempotencyKey,
  completeIdempotentRequest,
  completionItem,
  type IdempotencyClaim,
  releaseIdempotentRequest,
  type StoredResponse,
} from '../idempotency/idempotency.js';
import { describeError, logger } from '../log.js';
import type { CommitHook } from '../store/transactions.js';
import { accessLog, type HttpEvent, type HttpResult, type Middleware } from './middleware.js';

/**
 * `Idempotency-Key` on write routes, in two middlewares around the route's logic: `claim`
 * (after the input is validated) claims the key or answers a retry with the first response;
 * `settle` (whose onError runs after the envelope is rendered) stores the response of a
 * request that failed with a 4xx, and gives the key back after a 429 or a 5xx before any
 * write was sent. A 5xx after the write was sent leaves the claim to its lock: the outcome is
 * unknown, and the write's own transaction completed the record if it committed.
 */

/** Lets a write route's logic hand its transaction the item that completes the key's record. */
export type CommitWith = <Result>(respond: (result: Result) => HttpResult) => CommitHook<Result> | undefined;

/** What the logic step of a write route is handed: its input and `commit`. */
type IdempotentContext = Context & { routeInput: { body: unknown; caller: { sub: string }; commit: CommitWith } };

export interface IdempotencyMiddlewares {
  claim: Middleware<IdempotentContext>;
  settle: Middleware;
}

export function idempotency(deps: StoreDeps): IdempotencyMiddlewares {
  const claim: Middleware<IdempotentContext> = {
    before: async (request) => {
      const key = request.event.headers?.['idempotency-key'];
      if (key === undefined) return;
      checkIdempotencyKey(key);
      const { routeInput } = request.context;
      const fingerprint = fingerprintOf(request.event, routeInput.body);
      const started = await beginIdempotentRequest(deps, { sub: routeInput.caller.sub, key, fingerprint });
      if ('replay' in started) {
        accessLog(request.event, request.internal, started.replay.statusCode, { replayed: true });
        return replayOf(started.replay);
      }
      request.internal.idempotency = started.claimed;
      routeInput.commit = (respond) => (result) => {
        request.internal.writeAttempted = true;
        return completionItem(deps, started.claimed, stored(respond(result), request.internal.requestId));
      };
    },
    after: async (request) => {
      const claimed = request.internal.idempotency;
      if (claimed && request.response)
        await settle(deps, claimed, stored(request.response, request.internal.requestId));
    },
  };
  const settleOnError: Middleware = {
    onError: async (request) => {
      const claimed = request.internal.idempotency;
      const response = request.response;
      if (!claimed || !response) return;
      const status = response.statusCode ?? 500;
      if (status === 429 || (status >= 500 && !request.internal.writeAttempted)) {
        // Throttled (a throttled or outcontended transaction was not applied), or failed
        // before its write was sent (say, KMS was down): nothing can have committed, so a
        // retry may run at once instead of being told the same again or waiting out the lock.
        await release(deps, claimed);
      } else if (status < 500) {
        await settle(deps, claimed, stored(response, request.internal.requestId));
      }
    },
  };
  return { claim, settle: settleOnError };
}

/** The same route, path and body make the same request; whitespace in the JSON does not. */
function fingerprintOf(event: HttpEvent, body: unknown): string {
  return createHash('sha256')
    .update(`${event.routeKey}\n${event.rawPath}\n${JSON.stringify(body ?? null)}`)
    .digest('base64url');
}

function stored(response: HttpResult, requestId: string): StoredResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name] = String(value);
  headers['x-request-id'] ??= requestId;
  return { statusCode: response.statusCode ?? 200, headers, body: response.body };
}

/** The first response again, marked as a replay; it keeps the first request's id. */
function replayOf(response: StoredResponse): HttpResult {
  return { ...response, headers: { ...response.headers, 'idempotent-replayed': 'true' } };
}

/** Gives the key back; a failure here leaves it to its lock. */
async function release(deps: StoreDeps, claimed: IdempotencyClaim): Promise<void> {
  try {
    await releaseIdempotentRequest(deps, claimed);
  } catch (error) {
    logger.warn('idempotency key not released', describeError(error));
  }
}

/** Completes the record if the write's transaction did not; a failure here leaves it to its lock. */
async function settle(deps: StoreDeps, claimed: IdempotencyClaim, response: StoredResponse): Promise<void> {
  try {
    await completeIdempotentRequest(deps, claimed, response);
  } catch (error) {
    logger.warn('idempotency record not completed', describeError(error));
  }
}
