/**
 * The error vocabulary shared by every route. An HttpError knows its status and its
 * semantic kind; each API family renders it in its own envelope (see envelopes.ts).
 * `detail` is always safe to show to the caller: it never carries a value or internals.
 */
export type ErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'validation'
  | 'upgrade_required'
  | 'rate_limit'
  | 'internal'
  | 'bad_gateway'
  | 'gateway_timeout';

/** The v1 envelope's `type` values, one per kind; the README's v1 error table lists exactly these. */
export const V1_ERROR_TYPES = [
  'invalid_request_error',
  'authentication_error',
  'permission_error',
  'not_found_error',
  'conflict_error',
  'precondition_failed',
  'payload_too_large',
  'validation_error',
  'upgrade_required',
  'rate_limit_error',
  'internal_error',
  'bad_gateway',
  'gateway_timeout',
] as const;
export type V1ErrorType = (typeof V1_ERROR_TYPES)[number];

/** The environments envelope's string codes; the README's error table lists exactly these. */
export const ENVIRONMENT_ERROR_CODES = [
  'INVALID_JSON',
  'VALIDATION_ERROR',
  'UNKNOWN_FIELD',
  'READONLY_FIELD',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'SECRET_NEVER_REVEAL',
  'NOT_FOUND',
  'ENVIRONMENT_NOT_FOUND',
  'SECRET_NOT_FOUND',
  'MEMBER_NOT_FOUND',
  'CONFLICT',
  'SECRET_EXISTS',
  'LAST_OWNER',
  'PRECONDITION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'UPGRADE_REQUIRED',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
] as const;
export type EnvironmentErrorCode = (typeof ENVIRONMENT_ERROR_CODES)[number];

/** One input problem, located like `["body", "name"]`. */
export interface FieldIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export interface HttpErrorOptions {
  /** Stable string code for the environments family (e.g. `SECRET_EXISTS`). */
  code?: EnvironmentErrorCode;
  /** Input field the error is tied to. */
  field?: string;
  /** How the caller can fix it. */
  hint?: string;
  /** Response headers the error needs (e.g. `Retry-After`). */
  headers?: Record<string, string>;
}

export class HttpError extends Error {
  readonly code?: EnvironmentErrorCode;
  readonly field?: string;
  readonly hint?: string;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly kind: ErrorKind,
    readonly detail: string,
    options: HttpErrorOptions = {},
  ) {
    super(detail);
    this.name = new.target.name;
    this.code = options.code;
    this.field = options.field;
    this.hint = options.hint;
    this.headers = options.headers ?? {};
  }
}

export class BadRequestError extends HttpError {
  constructor(detail: string, options?: HttpErrorOptions) {
    super(400, 'invalid_request', detail, options);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(detail = 'Authentication failed', options?: HttpErrorOptions) {
    super(401, 'authentication', detail, options);
  }
}

export class ForbiddenError extends HttpError {
  constructor(detail: string, options?: HttpErrorOptions) {
    super(403, 'permission', detail, options);
  }
}

export class NotFoundError extends HttpError {
  constructor(detail: string, options?: HttpErrorOptions) {
    super(404, 'not_found', detail, options);
  }
}

export class ConflictError extends HttpError {
  constructor(detail: string, options?: HttpErrorOptions) {
    super(409, 'conflict', detail, options);
  }
}

export class PreconditionFailedError extends HttpError {
  constructor(detail = 'The resource has changed since it was read', options?: HttpErrorOptions) {
    super(412, 'precondition_failed', detail, options);
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(detail: string, options?: HttpErrorOptions) {
    super(413, 'payload_too_large', detail, options);
  }
}

/** Input failed its schema. Carries every issue; each family decides how many to show. */
export class ValidationError extends HttpError {
  constructor(
    readonly issues: FieldIssue[],
    options?: HttpErrorOptions,
  ) {
    super(422, 'validation', 'Validation failed', options);
  }
}

export class UpgradeRequiredError extends HttpError {
  constructor(minimum: string) {
    super(426, 'upgrade_required', `Client version is below the minimum supported version ${minimum}`, {
      hint: `Upgrade the client to ${minimum} or later.`,
    });
  }
}

export class RateLimitedError extends HttpError {
  constructor(retryAfterSeconds = 1) {
    super(429, 'rate_limit', 'Too many requests, retry later', {
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}

export class InternalError extends HttpError {
  constructor() {
    super(500, 'internal', 'Internal server error');
  }
}

export class BadGatewayError extends HttpError {
  constructor(detail = 'An upstream service failed') {
    super(502, 'bad_gateway', detail);
  }
}

export class GatewayTimeoutError extends HttpError {
  constructor(detail = 'An upstream service timed out') {
    super(504, 'gateway_timeout', detail);
  }
}
