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
  | 'method_not_allowed'
  | 'conflict'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'validation'
  | 'upgrade_required'
  | 'rate_limit'
  | 'internal'
  | 'bad_gateway'
  | 'gateway_timeout';

/** The v1 envelope's `type` values, one per kind; the v1 error table of docs/api.md lists exactly these. */
export const V1_ERROR_TYPES = [
  'invalid_request_error',
  'authentication_error',
  'permission_error',
  'not_found_error',
  'method_not_allowed',
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

/** The environments envelope's string codes; the error table of docs/api.md lists exactly these. */
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
  'TOKEN_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'CONFLICT',
  'SECRET_EXISTS',
  'SECRET_DELETED',
  'VERSION_NOT_FOUND',
  'LAST_OWNER',
  'ENVIRONMENT_NOT_DELETED',
  'REQUEST_IN_PROGRESS',
  'QUOTA_EXCEEDED',
  'IDEMPOTENCY_KEY_REUSED',
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

/**
 * A refused token. With a reason, the detail and RFC 6750's `WWW-Authenticate` both say why
 * (`error_description`), so a caller can tell an expired token from a wrong audience.
 */
export class UnauthorizedError extends HttpError {
  constructor(reason?: string) {
    const description = reason?.replace(/["\\]/g, "'");
    super(401, 'authentication', description ? `Authentication failed: ${description}` : 'Authentication failed', {
      headers: {
        'www-authenticate': description
          ? `Bearer error="invalid_token", error_description="${description}"`
          : 'Bearer error="invalid_token"',
      },
    });
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

/** The path exists, the method does not; `Allow` lists the methods it has. */
export class MethodNotAllowedError extends HttpError {
  constructor(allowed: readonly string[]) {
    super(405, 'method_not_allowed', `This path does not support the method; it allows ${allowed.join(', ')}`, {
      headers: { allow: allowed.join(', ') },
    });
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

/** At most this many input problems are reported, however many the input has. */
export const MAX_FIELD_ISSUES = 20;

/** Input failed its schema. Keeps the first MAX_FIELD_ISSUES issues, so a huge bad body gets a small answer. */
export class ValidationError extends HttpError {
  readonly issues: FieldIssue[];

  constructor(issues: FieldIssue[], options?: HttpErrorOptions) {
    super(422, 'validation', 'Validation failed', options);
    this.issues = issues.slice(0, MAX_FIELD_ISSUES);
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
