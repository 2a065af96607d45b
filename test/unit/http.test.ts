import { describe, expect, it } from 'vitest';
import {
  BadGatewayError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  GatewayTimeoutError,
  type HttpError,
  InternalError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  RateLimitedError,
  UnauthorizedError,
  UpgradeRequiredError,
  ValidationError,
} from '../../lib/errors.js';
import { renderError } from '../../lib/http/envelopes.js';
import { parseIfMatch } from '../../lib/http/responses.js';
import { toHttpError } from '../../lib/http/upstream-errors.js';
import { InvalidCursorError } from '../../lib/store/cursor.js';

describe('error envelopes', () => {
  it('render the v1 family with the status as code and a type', () => {
    const error = new ValidationError([{ loc: ['body', 'name'], msg: 'Field required', type: 'missing' }]);
    expect(renderError('v1', error, 'req_1')).toEqual({
      status: 422,
      body: { code: 422, detail: 'Validation failed', type: 'validation_error', errors: error.issues },
    });
  });

  it('render the environments family with a string code, field, hint and request id', () => {
    const conflict = new ConflictError('Key exists', { code: 'SECRET_EXISTS', field: 'key', hint: 'Use PATCH.' });
    expect(renderError('environments', conflict, 'req_2')).toEqual({
      status: 409,
      body: { code: 'SECRET_EXISTS', message: 'Key exists', field: 'key', hint: 'Use PATCH.', requestId: 'req_2' },
    });
  });

  it('answer environments validation with 400 and name the field, UNKNOWN_FIELD for extras', () => {
    const unknown = new ValidationError([
      { loc: ['body', 'exposedPorts'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' },
    ]);
    expect(renderError('environments', unknown, 'r')).toMatchObject({
      status: 400,
      body: { code: 'UNKNOWN_FIELD', field: 'exposedPorts' },
    });
    const invalid = new ValidationError([{ loc: ['body', 'key'], msg: 'Field required', type: 'missing' }]);
    expect(renderError('environments', invalid, 'r')).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_ERROR', field: 'key' },
    });
  });
});

/** Every kind of error as both families render it: the codes clients branch on. */
const EVERY_ERROR: [() => HttpError, number, string, string][] = [
  [() => new BadRequestError('Bad JSON'), 400, 'invalid_request_error', 'VALIDATION_ERROR'],
  [() => new UnauthorizedError(), 401, 'authentication_error', 'UNAUTHORIZED'],
  [() => new ForbiddenError('Role'), 403, 'permission_error', 'FORBIDDEN'],
  [() => new NotFoundError('Gone'), 404, 'not_found_error', 'NOT_FOUND'],
  [() => new MethodNotAllowedError(['GET', 'POST']), 405, 'method_not_allowed', 'METHOD_NOT_ALLOWED'],
  [() => new ConflictError('Exists'), 409, 'conflict_error', 'CONFLICT'],
  [() => new PreconditionFailedError(), 412, 'precondition_failed', 'PRECONDITION_FAILED'],
  [() => new PayloadTooLargeError('Big'), 413, 'payload_too_large', 'PAYLOAD_TOO_LARGE'],
  [() => new ValidationError([]), 422, 'validation_error', 'VALIDATION_ERROR'],
  [() => new UpgradeRequiredError('2.0.0'), 426, 'upgrade_required', 'UPGRADE_REQUIRED'],
  [() => new RateLimitedError(), 429, 'rate_limit_error', 'RATE_LIMITED'],
  [() => new InternalError(), 500, 'internal_error', 'INTERNAL_ERROR'],
  [() => new BadGatewayError(), 502, 'bad_gateway', 'UPSTREAM_UNAVAILABLE'],
  [() => new GatewayTimeoutError(), 504, 'gateway_timeout', 'UPSTREAM_TIMEOUT'],
];

describe('error codes', () => {
  // Built inside each test, so a broken constructor fails that test rather than the file's import.
  it.each(EVERY_ERROR)('%# answers %i, v1 type %s, environments code %s', (build, status, type, code) => {
    const error = build();
    const v1 = renderError('v1', error, 'req_1');
    expect(v1).toStrictEqual({
      status,
      body: { code: status, detail: error.detail, type, ...(error instanceof ValidationError ? { errors: [] } : {}) },
    });
    const environments = renderError('environments', error, 'req_2');
    expect(environments.status).toBe(status);
    expect(environments.body).toMatchObject({ code, message: error.detail, requestId: 'req_2' });
    expect(error.name).toBe(error.constructor.name);
  });

  it('explain themselves with safe default details and hints', () => {
    expect(new UnauthorizedError().detail).toBe('Authentication failed');
    expect(new PreconditionFailedError().detail).toBe('The resource has changed since it was read');
    expect(new RateLimitedError().detail).toBe('Too many requests, retry later');
    expect(new RateLimitedError(7).headers).toEqual({ 'retry-after': '7' });
    expect(new MethodNotAllowedError(['GET', 'DELETE']).headers).toEqual({ allow: 'GET, DELETE' });
    expect(new InternalError().detail).toBe('Internal server error');
    expect(new BadGatewayError().detail).toBe('An upstream service failed');
    expect(new GatewayTimeoutError().detail).toBe('An upstream service timed out');
    const upgrade = new UpgradeRequiredError('2.0.0');
    expect(upgrade.detail).toBe('Client version is below the minimum supported version 2.0.0');
    expect(renderError('environments', upgrade, 'r').body).toEqual({
      code: 'UPGRADE_REQUIRED',
      message: upgrade.detail,
      hint: 'Upgrade the client to 2.0.0 or later.',
      requestId: 'r',
    });
  });

  it('keep an error without options free of field, hint and headers', () => {
    const plain = new NotFoundError('Gone');
    expect([plain.code, plain.field, plain.hint, plain.headers]).toEqual([undefined, undefined, undefined, {}]);
    expect(renderError('environments', plain, 'r').body).toStrictEqual({
      code: 'NOT_FOUND',
      message: 'Gone',
      requestId: 'r',
    });
  });

  it('render the first input problem for environments as a sentence that names the field', () => {
    const render = (loc: (string | number)[], type: string) =>
      renderError(
        'environments',
        new ValidationError([
          { loc, msg: 'Field required', type },
          { loc: ['body', 'other'], msg: 'x', type: 'missing' },
        ]),
        'r',
      );
    expect(render(['body', 'meta', 'owner'], 'missing')).toStrictEqual({
      status: 400,
      body: {
        code: 'VALIDATION_ERROR',
        message: 'Field "meta.owner": Field required',
        field: 'meta.owner',
        requestId: 'r',
      },
    });
    expect(render(['body', 'extra'], 'extra_forbidden').body).toStrictEqual({
      code: 'UNKNOWN_FIELD',
      message: 'Field "extra" is not recognised.',
      field: 'extra',
      requestId: 'r',
    });
    expect(render(['body'], 'value_error').body).toStrictEqual({
      code: 'VALIDATION_ERROR',
      message: 'Field required',
      requestId: 'r',
    });
  });
});

describe('upstream error mapping', () => {
  const awsError = (name: string) =>
    Object.assign(new Error('upstream said something internal'), { name, $metadata: { httpStatusCode: 400 } });

  it('maps throttling to 429 with Retry-After, timeouts to 504 and other AWS failures to 502', () => {
    const throttled = toHttpError(awsError('ThrottlingException'));
    expect(throttled).toBeInstanceOf(RateLimitedError);
    expect(throttled.headers['retry-after']).toBe('1');
    expect(toHttpError(awsError('ProvisionedThroughputExceededException'))).toBeInstanceOf(RateLimitedError);
    expect(toHttpError(Object.assign(new Error('x'), { name: 'TimeoutError' }))).toBeInstanceOf(GatewayTimeoutError);
    expect(toHttpError(awsError('KMSInvalidStateException'))).toBeInstanceOf(BadGatewayError);
    expect(toHttpError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBeInstanceOf(BadGatewayError);
  });

  it('answers a cursor the list did not hand out as an input problem at query.cursor', () => {
    const mapped = toHttpError(new InvalidCursorError());
    expect(mapped).toBeInstanceOf(ValidationError);
    expect((mapped as ValidationError).issues).toEqual([
      { loc: ['query', 'cursor'], msg: 'Cursor is not valid for this list', type: 'value_error' },
    ]);
    expect(mapped.hint).toBe('Pass the cursor the previous page returned, unchanged.');
  });

  it('passes errors the service raised through unchanged', () => {
    const conflict = new ConflictError('Exists');
    expect(toHttpError(conflict)).toBe(conflict);
  });

  it.each([
    [
      'throttling',
      [
        'ThrottlingException',
        'ProvisionedThroughputExceededException',
        'RequestLimitExceeded',
        'TooManyRequestsException',
        'LimitExceededException',
      ],
      RateLimitedError,
    ],
    ['timeouts', ['TimeoutError', 'RequestTimeout', 'RequestTimeoutException'], GatewayTimeoutError],
  ] as const)('knows every name of %s', (_, names, kind) => {
    for (const name of names) expect(toHttpError(Object.assign(new Error('x'), { name })), name).toBeInstanceOf(kind);
  });

  it('tells network failures by their code, and a socket timeout as a timeout', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH']) {
      expect(toHttpError(Object.assign(new Error('net'), { code })), code).toBeInstanceOf(BadGatewayError);
    }
    expect(toHttpError(Object.assign(new Error('net'), { code: 'ETIMEDOUT' }))).toBeInstanceOf(GatewayTimeoutError);
    expect(toHttpError(Object.assign(new Error('fs'), { code: 'ENOENT' }))).toBeInstanceOf(InternalError);
    expect(toHttpError(Object.assign(new Error('server'), { $fault: 'server' }))).toBeInstanceOf(BadGatewayError);
  });

  it('maps a thrown non-error to a bare 500', () => {
    expect(toHttpError('a string')).toBeInstanceOf(InternalError);
    expect(toHttpError({ name: 'ThrottlingException' })).toBeInstanceOf(InternalError);
  });

  it('maps anything else to a bare 500 whose detail carries no internals', () => {
    const mapped = toHttpError(new TypeError('secret-ish internal detail'));
    expect(mapped).toBeInstanceOf(InternalError);
    expect(mapped.detail).not.toContain('internal detail');
  });
});

describe('If-Match', () => {
  it('parses quoted, weak and listed tags, and the wildcard', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('"3"')).toEqual([3]);
    expect(parseIfMatch('W/"3", "4"')).toEqual([3, 4]);
    expect(parseIfMatch('*')).toBe('any');
    expect(parseIfMatch('"garbage"')).toEqual([]);
  });
});
