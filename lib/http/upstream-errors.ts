import {
  BadGatewayError,
  GatewayTimeoutError,
  HttpError,
  InternalError,
  RateLimitedError,
  ValidationError,
} from '../errors.js';
import { requestInProgress } from '../idempotency/idempotency.js';
import { InvalidCursorError } from '../store/cursor.js';
import { IdempotencyClaimLostError, WriteContentionError } from '../store/transactions.js';

const THROTTLING = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'LimitExceededException',
]);
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH']);

/**
 * Maps anything thrown to the error the caller sees. A forged or foreign list cursor is the
 * caller's input problem; AWS SDK failures (DynamoDB, KMS) become 429/502/504; anything
 * unknown is a bare 500 with no internals.
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof InvalidCursorError) {
    return new ValidationError([{ loc: ['query', 'cursor'], msg: error.message, type: 'value_error' }], {
      hint: 'Pass the cursor the previous page returned, unchanged.',
    });
  }
  // Contention is no fault of the service's: the caller is told to come back, never a 5xx.
  if (error instanceof WriteContentionError) return new RateLimitedError(1);
  // A retry took this write's key over: the write did not happen, and the retry's answer counts.
  if (error instanceof IdempotencyClaimLostError) return requestInProgress();
  if (!(error instanceof Error)) return new InternalError();
  const code = (error as { code?: string }).code;
  if (THROTTLING.has(error.name)) return new RateLimitedError(1);
  if (TIMEOUTS.has(error.name) || code === 'ETIMEDOUT') return new GatewayTimeoutError();
  if ('$metadata' in error || '$fault' in error || (code && NETWORK_CODES.has(code))) return new BadGatewayError();
  return new InternalError();
}
