import { isUtf8 } from 'node:buffer';
import type { MiddlewareObj } from '@middy/core';
import type {
  Context,
  APIGatewayProxyEventV2WithJWTAuthorizer as HttpEvent,
  APIGatewayProxyStructuredResultV2 as HttpResult,
} from 'aws-lambda';
import { BadRequestError, HttpError, PayloadTooLargeError, UpgradeRequiredError } from '../errors.js';
import type { IdempotencyClaim } from '../idempotency/idempotency.js';
import { describeError, type LogFields, logger } from '../log.js';
import { type ApiFamily, renderError } from './envelopes.js';
import { newRequestId } from './request-id.js';
import { BASE_HEADERS } from './responses.js';
import { toHttpError } from './upstream-errors.js';

export type { HttpEvent, HttpResult };

/** What the middlewares of one request share, kept in middy's `request.internal`. */
export interface RequestState extends Record<string, unknown> {
  requestId: string;
  startedAt: number;
  /** The Idempotency-Key this request holds, while it runs. */
  idempotency?: IdempotencyClaim;
  /** Whether a transaction that completes that key was sent: after it, a 5xx leaves the outcome unknown. */
  writeAttempted?: boolean;
}

export type Middleware<TContext extends Context = Context> = MiddlewareObj<
  HttpEvent,
  HttpResult,
  Error,
  TContext,
  RequestState
>;

export const MAX_BODY_BYTES = 256 * 1024;

/** Assigns the request id, stamps it on the response and writes one access log line. */
export function requestIdentity(): Middleware {
  return {
    before: (request) => {
      request.internal.requestId = newRequestId();
      request.internal.startedAt = performance.now();
    },
    after: (request) => {
      const response = request.response;
      if (!response) return;
      response.headers = { ...response.headers, 'x-request-id': request.internal.requestId };
      accessLog(request.event, request.internal, response.statusCode ?? 200);
    },
  };
}

/** Answers 426 when `X-Client-Version` is below the configured minimum. */
export function clientVersionGate(minimum = process.env.MIN_CLIENT_VERSION): Middleware {
  return {
    before: (request) => {
      const sent = request.event.headers?.['x-client-version'];
      if (!minimum || sent === undefined) return;
      const version = parseVersion(sent);
      if (!version) throw new BadRequestError('X-Client-Version must look like 1.2.3', { field: 'X-Client-Version' });
      if (compareVersions(version, parseVersion(minimum)!) < 0) throw new UpgradeRequiredError(minimum);
    },
  };
}

function parseVersion(text: string): number[] | undefined {
  const match = /^v?(\d{1,9})\.(\d{1,9})\.(\d{1,9})(?:[-+].*)?$/.exec(text.trim());
  return match ? match.slice(1, 4).map(Number) : undefined;
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** `application/json`, or a `+json` type, with optional parameters. */
const JSON_MEDIA_TYPE = /^application\/(.+\+)?json($|;.+)/;

/**
 * Enforces the body size limit and the JSON media type, then parses the body into
 * `event.body`. Parsed here rather than by middy's JSON parser: that one answers a wrong media
 * type and bad JSON with the same 415, and every route would bundle it and its helpers.
 */
export function jsonBody(maxBytes = MAX_BODY_BYTES): Middleware {
  return {
    before: async (request) => {
      const { body, isBase64Encoded, headers } = request.event;
      const bytes = isBase64Encoded && body !== undefined ? Buffer.from(body, 'base64') : undefined;
      const size = bytes ? bytes.length : body === undefined ? 0 : Buffer.byteLength(body);
      if (size > maxBytes) {
        throw new PayloadTooLargeError(`Request body exceeds ${maxBytes / 1024} KiB`, {
          hint: 'Secret values may be at most 64 KiB.',
        });
      }
      if (!JSON_MEDIA_TYPE.test(headers?.['content-type'] ?? '')) {
        throw new BadRequestError('Content-Type must be application/json', {
          code: 'INVALID_JSON',
          hint: 'Send the header Content-Type: application/json.',
        });
      }
      // JSON travels as UTF-8 (RFC 8259); bytes that are not would be altered by decoding.
      if (bytes && !isUtf8(bytes)) {
        throw new BadRequestError('Request body is not valid UTF-8', { code: 'INVALID_JSON' });
      }
      const text = bytes ? bytes.toString('utf8') : body;
      try {
        // An absent body parses as '' and fails like any other text that is not JSON.
        (request.event as { body: unknown }).body = JSON.parse(text ?? '');
      } catch {
        throw new BadRequestError('Request body is not valid JSON', { code: 'INVALID_JSON' });
      }
    },
  };
}

/**
 * Turns anything thrown into the family's envelope. Unexpected errors are logged by class
 * and stack frames only — never their message, cause or the request body.
 */
export function errorResponder(family: ApiFamily): Middleware {
  return {
    onError: (request) => {
      const error = toHttpError(request.error);
      const requestId = request.internal.requestId ?? newRequestId();
      if (error.status >= 500 || !(request.error instanceof HttpError)) {
        logger.error('request failed', {
          requestId,
          route: request.event.routeKey,
          status: error.status,
          ...describeError(request.error),
        });
      }
      const { status, body } = renderError(family, error, requestId);
      request.response = {
        statusCode: status,
        headers: { ...BASE_HEADERS, ...error.headers, 'x-request-id': requestId },
        body: JSON.stringify(body),
      };
      accessLog(request.event, { ...request.internal, requestId }, status);
    },
  };
}

/** One line per request: which, how it ended and how long it took. */
export function accessLog(event: HttpEvent, state: Partial<RequestState>, status: number, extra?: LogFields): void {
  logger.info('request', {
    requestId: state.requestId,
    route: event.routeKey,
    status,
    ms: state.startedAt === undefined ? undefined : Math.round(performance.now() - state.startedAt),
    ...extra,
  });
}
