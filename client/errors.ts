import type { ApiFamily, EnvironmentsErrorEnvelope, ErrorEnvelope, V1ErrorEnvelope } from './types.js';

/**
 * What a call can fail with. Every answer of the service outside 2xx is an `ApiError` (or one of
 * its subclasses for the statuses a caller usually tells apart) carrying the family's envelope
 * as sent; a request that got no answer at all is a `NetworkError`.
 */
export class SecretsClientError extends Error {
  override name = 'SecretsClientError';
}

export interface ApiErrorInit {
  status: number;
  family: ApiFamily;
  envelope: ErrorEnvelope;
  method: string;
  path: string;
  headers: Record<string, string>;
}

export class ApiError extends SecretsClientError {
  override name = 'ApiError';
  readonly status: number;
  readonly family: ApiFamily;
  /** The error body exactly as the service sent it (or a stand-in in the family's shape if it sent none). */
  readonly envelope: ErrorEnvelope;
  /** v1 `type` (`not_found_error`) or environments `code` (`SECRET_NOT_FOUND`). */
  readonly code: string;
  /** v1 `detail` or environments `message`. */
  readonly detail: string;
  /** Environments `field` / the first v1 `errors[].loc`, when the service named one. */
  readonly field: string | undefined;
  /** Environments `hint`, when the service gave one. */
  readonly hint: string | undefined;
  /** `x-request-id` of the answer (what to quote to an operator). */
  readonly requestId: string | undefined;
  /** Seconds from `Retry-After`, when the answer carried one. */
  readonly retryAfterSeconds: number | undefined;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;

  constructor(init: ApiErrorInit) {
    const described = describeEnvelope(init.envelope);
    super(`${init.method} ${init.path} → ${init.status} ${described.code}: ${described.detail}`);
    this.status = init.status;
    this.family = init.family;
    this.envelope = init.envelope;
    this.code = described.code;
    this.detail = described.detail;
    this.field = described.field;
    this.hint = described.hint;
    this.requestId = init.headers['x-request-id'] ?? described.requestId;
    this.retryAfterSeconds = parseRetryAfter(init.headers['retry-after']);
    this.method = init.method;
    this.path = init.path;
    this.headers = init.headers;
  }

  /** The v1 envelope, when this answer came from the user secrets API. */
  get v1(): V1ErrorEnvelope | undefined {
    return isV1Envelope(this.envelope) ? this.envelope : undefined;
  }

  /** The environments envelope, when this answer came from the environments API. */
  get environments(): EnvironmentsErrorEnvelope | undefined {
    return isV1Envelope(this.envelope) ? undefined : this.envelope;
  }
}

/** 401: no token, or one that is expired, wrongly signed, revoked or for another audience. */
export class UnauthorizedError extends ApiError {
  override name = 'UnauthorizedError';
}

/** 403: a valid caller whose role or token scope does not allow the action. */
export class ForbiddenError extends ApiError {
  override name = 'ForbiddenError';
}

/** 404: no such resource — or one the caller may not know of (the service never says which). */
export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
}

/** 409: the name or key is taken, a quota would be passed, the last owner would leave, … */
export class ConflictError extends ApiError {
  override name = 'ConflictError';
}

/** 412: `If-Match` named a version that is no longer current. */
export class PreconditionFailedError extends ApiError {
  override name = 'PreconditionFailedError';
}

/** 400 / 422: the request itself is wrong (a field, a path or query parameter, the body). */
export class InvalidRequestError extends ApiError {
  override name = 'InvalidRequestError';
}

/** 429: throttled, still so after the client's retries; `retryAfterSeconds` says for how long. */
export class RateLimitedError extends ApiError {
  override name = 'RateLimitedError';
}

/** 5xx: the service (or DynamoDB/KMS behind it) failed, still so after the client's retries. */
export class ServerError extends ApiError {
  override name = 'ServerError';
}

/** No answer: the connection was refused or reset, the name did not resolve, or the attempt timed out. */
export class NetworkError extends SecretsClientError {
  override name = 'NetworkError';
  /** `ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`, … when the system said so. */
  readonly errno: string | undefined;
  /** What went wrong in a few words: `connection refused`, `timed out`, … */
  readonly reason: string;
  readonly method: string;
  readonly path: string;

  constructor(init: { method: string; path: string; url: string; cause: unknown; timedOut?: boolean }) {
    const errno = errnoOf(init.cause, init.timedOut);
    const reason = errno ? describeErrno(errno) : init.cause instanceof Error ? init.cause.message : String(init.cause);
    super(`${init.method} ${init.url}: ${reason}`, { cause: init.cause });
    this.errno = errno;
    this.reason = reason;
    this.method = init.method;
    this.path = init.path;
  }
}

export function apiErrorFor(init: ApiErrorInit): ApiError {
  const { status } = init;
  if (status === 401) return new UnauthorizedError(init);
  if (status === 403) return new ForbiddenError(init);
  if (status === 404) return new NotFoundError(init);
  if (status === 409) return new ConflictError(init);
  if (status === 412) return new PreconditionFailedError(init);
  if (status === 400 || status === 422) return new InvalidRequestError(init);
  if (status === 429) return new RateLimitedError(init);
  if (status >= 500) return new ServerError(init);
  return new ApiError(init);
}

export function isV1Envelope(envelope: ErrorEnvelope): envelope is V1ErrorEnvelope {
  return typeof (envelope as { code?: unknown }).code === 'number';
}

function describeEnvelope(envelope: ErrorEnvelope): {
  code: string;
  detail: string;
  field?: string;
  hint?: string;
  requestId?: string;
} {
  if (isV1Envelope(envelope)) {
    const loc = envelope.errors?.[0]?.loc;
    return {
      code: envelope.type,
      detail: envelope.detail,
      field: loc ? loc.join('.') : undefined,
    };
  }
  return { code: envelope.code, detail: envelope.message, field: envelope.field, hint: envelope.hint };
}

/** `Retry-After` as seconds: a number of seconds, or an HTTP date. */
export function parseRetryAfter(header: string | undefined, nowMs = Date.now()): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - nowMs) / 1000);
}

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
};

function describeErrno(errno: string): string {
  return ERRNO_TEXT[errno] ?? errno;
}

function errnoOf(cause: unknown, timedOut?: boolean): string | undefined {
  if (timedOut) return 'ETIMEDOUT';
  let current: unknown = cause;
  for (let depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    // AggregateError (happy eyeballs tried several addresses): the first one says enough.
    const inner = (current as { errors?: unknown[] }).errors?.[0] ?? (current as { cause?: unknown }).cause;
    current = inner;
  }
  return undefined;
}
