import type { MiddlewareObj } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer as HttpEvent,
  APIGatewayProxyStructuredResultV2 as HttpResult,
  Context,
} from 'aws-lambda';
import { BadRequestError, HttpError, PayloadTooLargeError, UpgradeRequiredError } from '../errors.js';
import { type ApiFamily, renderError } from './envelopes.js';
import { newRequestId } from './request-id.js';
import { toHttpError } from './upstream-errors.js';
import { BASE_HEADERS } from './responses.js';
import { describeError, logger } from '../log.js';

/** Per-invocation state the middlewares keep on the Lambda context. */
export interface RequestState {
  requestId: string;
  startedAt: number;
}

type Middleware = MiddlewareObj<HttpEvent, HttpResult, Error, Context & RequestState>;

export const MAX_BODY_BYTES = 256 * 1024;

/** Assigns the request id, stamps it on the response and writes one access log line. */
export function requestIdentity(): Middleware {
  return {
    before: (request) => {
      request.context.requestId = newRequestId();
      request.context.startedAt = Date.now();
    },
    after: (request) => {
      const response = request.response;
      if (!response) return;
      response.headers = { ...response.headers, 'x-request-id': request.context.requestId };
      accessLog(request.event, request.context, response.statusCode ?? 200);
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

/**
 * Enforces the body size limit, then parses JSON with middy's parser. Its 415 answers
 * (bad JSON, wrong content type) become the 400 the contract asks for.
 */
export function jsonBody(maxBytes = MAX_BODY_BYTES): Middleware {
  const parser = httpJsonBodyParser();
  return {
    before: async (request) => {
      const { body, isBase64Encoded } = request.event;
      const size = body === undefined ? 0 : isBase64Encoded ? Buffer.from(body, 'base64').length : Buffer.byteLength(body);
      if (size > maxBytes) {
        throw new PayloadTooLargeError(`Request body exceeds ${maxBytes / 1024} KiB`, {
          hint: 'Secret values may be at most 64 KiB.',
        });
      }
      try {
        await parser.before!(request as never);
      } catch (error) {
        const contentTypeWrong = (error as Error).message === 'Unsupported Media Type';
        throw new BadRequestError(
          contentTypeWrong ? 'Content-Type must be application/json' : 'Request body is not valid JSON',
          { code: 'INVALID_JSON', hint: contentTypeWrong ? 'Send the header Content-Type: application/json.' : undefined },
        );
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
      const requestId = request.context.requestId ?? newRequestId();
      if (error.status >= 500 || !(request.error instanceof HttpError)) {
        logger.error('request failed', { requestId, route: request.event.routeKey, status: error.status, ...describeError(request.error) });
      }
      const { status, body } = renderError(family, error, requestId);
      request.response = {
        statusCode: status,
        headers: { ...BASE_HEADERS, ...error.headers, 'x-request-id': requestId },
        body: JSON.stringify(body),
      };
      accessLog(request.event, request.context, status);
    },
  };
}

function accessLog(event: HttpEvent, context: Partial<RequestState>, status: number): void {
  logger.info('request', {
    requestId: context.requestId,
    route: event.routeKey,
    status,
    ms: context.startedAt ? Date.now() - context.startedAt : undefined,
  });
}
