import { describe, expect, it } from 'vitest';
import { renderError } from '../../lib/http/envelopes.js';
import { BadGatewayError, ConflictError, GatewayTimeoutError, InternalError, RateLimitedError, ValidationError } from '../../lib/http/errors.js';
import { parseIfMatch } from '../../lib/http/responses.js';
import { toHttpError } from '../../lib/http/upstream-errors.js';

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
    const unknown = new ValidationError([{ loc: ['body', 'exposedPorts'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' }]);
    expect(renderError('environments', unknown, 'r')).toMatchObject({ status: 400, body: { code: 'UNKNOWN_FIELD', field: 'exposedPorts' } });
    const invalid = new ValidationError([{ loc: ['body', 'key'], msg: 'Field required', type: 'missing' }]);
    expect(renderError('environments', invalid, 'r')).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR', field: 'key' } });
  });
});

describe('upstream error mapping', () => {
  const awsError = (name: string) => Object.assign(new Error('upstream said something internal'), { name, $metadata: { httpStatusCode: 400 } });

  it('maps throttling to 429 with Retry-After, timeouts to 504 and other AWS failures to 502', () => {
    const throttled = toHttpError(awsError('ThrottlingException'));
    expect(throttled).toBeInstanceOf(RateLimitedError);
    expect(throttled.headers['retry-after']).toBe('1');
    expect(toHttpError(awsError('ProvisionedThroughputExceededException'))).toBeInstanceOf(RateLimitedError);
    expect(toHttpError(Object.assign(new Error('x'), { name: 'TimeoutError' }))).toBeInstanceOf(GatewayTimeoutError);
    expect(toHttpError(awsError('KMSInvalidStateException'))).toBeInstanceOf(BadGatewayError);
    expect(toHttpError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBeInstanceOf(BadGatewayError);
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
