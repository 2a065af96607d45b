import {
  type EnvironmentErrorCode,
  type ErrorKind,
  type HttpError,
  type V1ErrorType,
  ValidationError,
} from '../errors.js';

/**
 * The two API families and their error envelopes — the only place either shape is built.
 *   v1:           {code: <HTTP status>, detail, type, errors?}
 *   environments: {code: "<STRING_CODE>", message, field?, hint?, requestId}
 */
export type ApiFamily = 'v1' | 'environments';

const V1_TYPES: Record<ErrorKind, V1ErrorType> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  not_found: 'not_found_error',
  method_not_allowed: 'method_not_allowed',
  conflict: 'conflict_error',
  precondition_failed: 'precondition_failed',
  payload_too_large: 'payload_too_large',
  validation: 'validation_error',
  upgrade_required: 'upgrade_required',
  rate_limit: 'rate_limit_error',
  internal: 'internal_error',
  bad_gateway: 'bad_gateway',
  gateway_timeout: 'gateway_timeout',
};

const ENVIRONMENT_CODES: Record<ErrorKind, EnvironmentErrorCode> = {
  invalid_request: 'VALIDATION_ERROR',
  authentication: 'UNAUTHORIZED',
  permission: 'FORBIDDEN',
  not_found: 'NOT_FOUND',
  method_not_allowed: 'METHOD_NOT_ALLOWED',
  conflict: 'CONFLICT',
  precondition_failed: 'PRECONDITION_FAILED',
  payload_too_large: 'PAYLOAD_TOO_LARGE',
  validation: 'VALIDATION_ERROR',
  upgrade_required: 'UPGRADE_REQUIRED',
  rate_limit: 'RATE_LIMITED',
  internal: 'INTERNAL_ERROR',
  bad_gateway: 'UPSTREAM_UNAVAILABLE',
  gateway_timeout: 'UPSTREAM_TIMEOUT',
};

export interface ErrorEnvelope {
  status: number;
  body: Record<string, unknown>;
}

export function renderError(family: ApiFamily, error: HttpError, requestId: string): ErrorEnvelope {
  return family === 'v1' ? renderV1(error) : renderEnvironments(error, requestId);
}

function renderV1(error: HttpError): ErrorEnvelope {
  const body: Record<string, unknown> = { code: error.status, detail: error.detail, type: V1_TYPES[error.kind] };
  if (error instanceof ValidationError) body.errors = error.issues;
  return { status: error.status, body };
}

/** Environments answer input problems with 400 and name the first offending field. */
function renderEnvironments(error: HttpError, requestId: string): ErrorEnvelope {
  let status = error.status;
  let code: EnvironmentErrorCode = error.code ?? ENVIRONMENT_CODES[error.kind];
  let message = error.detail;
  let field = error.field;
  const first = error instanceof ValidationError ? error.issues[0] : undefined;
  if (first) {
    status = 400;
    field = first.loc.slice(1).join('.');
    if (first.type === 'extra_forbidden') {
      code = 'UNKNOWN_FIELD';
      message = `Field "${field}" is not recognised.`;
    } else {
      code = error.code ?? 'VALIDATION_ERROR';
      message = `${field ? `Field "${field}": ` : ''}${first.msg}`;
    }
  }
  const body: Record<string, unknown> = { code, message };
  if (field) body.field = field;
  if (error.hint) body.hint = error.hint;
  body.requestId = requestId;
  return { status, body };
}
