import type { Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { ForbiddenError, NotFoundError } from '../../lib/errors.js';
import {
  clientVersionGate,
  errorResponder,
  jsonBody,
  type RequestState,
  requestIdentity,
} from '../../lib/http/middleware.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute, type HttpEvent, type HttpResult, routeInput } from '../../lib/http/route.js';
import { loggedDuring } from '../support/logs.js';

const REQUEST_ID = /^req_[0-9A-Z]{26}$/;

function httpEvent(overrides: Partial<HttpEvent> = {}, claims: Record<string, unknown> = { sub: 'alice' }): HttpEvent {
  return {
    version: '2.0',
    routeKey: 'POST /things/{id}',
    rawPath: '/things/1',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: { authorizer: { jwt: { claims, scopes: [] } } },
    ...overrides,
  } as unknown as HttpEvent;
}

function middyRequest(event: HttpEvent, internal: Partial<RequestState> = {}) {
  return { event, context: {} as Context, response: null, error: null, internal } as unknown as Request<
    HttpEvent,
    HttpResult,
    Error,
    Context & Record<string, unknown>,
    RequestState
  >;
}

describe('requestIdentity', () => {
  it('keeps the request id in request.internal, never on the Lambda context', () => {
    const request = middyRequest(httpEvent());
    requestIdentity().before!(request as never);
    expect(request.internal.requestId).toMatch(REQUEST_ID);
    expect(typeof request.internal.startedAt).toBe('number');
    expect(Object.keys(request.context)).toEqual([]);
  });

  it('stamps x-request-id on the response and writes one access line with route and status', async () => {
    const request = middyRequest(httpEvent(), { requestId: 'req_1', startedAt: performance.now() });
    request.response = { statusCode: 201, headers: { etag: '"1"' } };
    const { lines } = await loggedDuring(() => requestIdentity().after!(request as never), 'info');
    expect(request.response.headers).toEqual({ etag: '"1"', 'x-request-id': 'req_1' });
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'request', requestId: 'req_1', route: 'POST /things/{id}', status: 201 }),
    ]);
    expect(lines[0]!.ms).toEqual(expect.any(Number));
  });
});

describe('clientVersionGate', () => {
  const gate = (sent: string | undefined, minimum: string | undefined = '1.4.0') =>
    clientVersionGate(minimum).before!(
      middyRequest(httpEvent({ headers: sent === undefined ? {} : { 'x-client-version': sent } })) as never,
    );

  it('lets absent, equal and newer versions through, and everything when no minimum is set', () => {
    for (const sent of [undefined, '1.4.0', 'v1.4.1', '1.10.0', '2.0.0-beta.1']) expect(() => gate(sent)).not.toThrow();
    expect(() => gate('0.0.1', '')).not.toThrow();
  });

  it('answers 426 below the minimum and 400 for a version that is not x.y.z', () => {
    expect(() => gate('1.3.9')).toThrow(expect.objectContaining({ status: 426 }));
    expect(() => gate('1.4')).toThrow(expect.objectContaining({ status: 400, field: 'X-Client-Version' }));
  });
});

describe('jsonBody', () => {
  const parse = async (body: string | undefined, contentType: string | undefined, maxBytes?: number) => {
    const request = middyRequest(httpEvent({ body, headers: contentType ? { 'content-type': contentType } : {} }));
    await jsonBody(maxBytes).before!(request as never);
    return request.event.body as unknown;
  };

  it('parses JSON sent as application/json or a +json type, with parameters', async () => {
    expect(await parse('{"a":1}', 'application/json')).toEqual({ a: 1 });
    expect(await parse('[1]', 'application/merge-patch+json; charset=utf-8')).toEqual([1]);
  });

  it('tells a wrong media type from a body that is not JSON, both as 400 INVALID_JSON', async () => {
    await expect(parse('{"a":1}', 'text/plain')).rejects.toMatchObject({
      status: 400,
      code: 'INVALID_JSON',
      detail: 'Content-Type must be application/json',
      hint: 'Send the header Content-Type: application/json.',
    });
    await expect(parse('{"a":1}', undefined)).rejects.toMatchObject({
      detail: 'Content-Type must be application/json',
    });
    for (const body of ['{"a":', undefined]) {
      await expect(parse(body, 'application/json')).rejects.toMatchObject({
        status: 400,
        code: 'INVALID_JSON',
        detail: 'Request body is not valid JSON',
        hint: undefined,
      });
    }
  });

  it('refuses a body over the limit by its decoded size, before parsing it', async () => {
    await expect(parse('x'.repeat(11), 'application/json', 10)).rejects.toMatchObject({ status: 413 });
    const request = middyRequest(
      httpEvent({
        body: Buffer.from('"abcdefgh"').toString('base64'),
        isBase64Encoded: true,
        headers: { 'content-type': 'application/json' },
      }),
    );
    await jsonBody(10).before!(request as never);
    expect(request.event.body).toBe('abcdefgh');
  });
});

describe('errorResponder', () => {
  it('renders the family envelope with the request id from request.internal', async () => {
    const request = middyRequest(httpEvent(), { requestId: 'req_7' });
    request.error = new NotFoundError('No such secret', { code: 'SECRET_NOT_FOUND' });
    await errorResponder('environments').onError!(request as never);
    expect(request.response).toEqual({
      statusCode: 404,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-request-id': 'req_7' },
      body: JSON.stringify({ code: 'SECRET_NOT_FOUND', message: 'No such secret', requestId: 'req_7' }),
    });
  });

  it('logs an unexpected error by class only and answers a bare 500 with a fresh id when none was set', async () => {
    const request = middyRequest(httpEvent());
    request.error = new TypeError('leaked sk-live-secret');
    const { text, lines } = await loggedDuring(() => errorResponder('v1').onError!(request as never));
    expect(request.response!.statusCode).toBe(500);
    expect(JSON.parse(request.response!.body!)).toEqual({
      code: 500,
      detail: 'Internal server error',
      type: 'internal_error',
    });
    expect(request.response!.headers!['x-request-id']).toMatch(REQUEST_ID);
    expect(lines[0]).toMatchObject({ msg: 'request failed', error: 'TypeError', status: 500 });
    expect(text).not.toContain('sk-live-secret');
  });

  it('does not log errors the service raised on purpose', async () => {
    const request = middyRequest(httpEvent(), { requestId: 'req_8' });
    request.error = new ForbiddenError('Role');
    const { lines } = await loggedDuring(() => errorResponder('v1').onError!(request as never));
    expect(lines).toEqual([]);
    expect(request.response!.statusCode).toBe(403);
  });
});

const ThingPath = z.object({ id: z.string().check(z.regex(/^\d+$/)) });
const ThingBody = z.strictObject({ name: z.string() });

describe('routeInput', () => {
  it('hands the logic the validated input, the caller and the request id', () => {
    const request = middyRequest(
      httpEvent({ body: { name: 'n' } as never, pathParameters: { id: '1' }, headers: { 'if-match': '"2"' } }),
      { requestId: 'req_9' },
    );
    routeInput({ family: 'v1', path: ThingPath, body: ThingBody }).before!(request as never);
    expect(request.context.routeInput).toEqual({
      body: { name: 'n' },
      query: undefined,
      path: { id: '1' },
      headers: { 'if-match': '"2"' },
      caller: { sub: 'alice', scopes: new Set() },
      requestId: 'req_9',
      commit: expect.any(Function),
    });
    // Without an Idempotency-Key there is nothing for a write to complete.
    const { commit } = request.context.routeInput as { commit: (respond: () => object) => unknown };
    expect(commit(() => ({ statusCode: 200 }))).toBeUndefined();
  });

  it('refuses a missing caller with 401, a missing scope with 403 and bad input with located issues', () => {
    const run = (event: HttpEvent, scope?: string) =>
      routeInput({ family: 'v1', path: ThingPath, scope }).before!(middyRequest(event) as never);
    expect(() => run(httpEvent({ pathParameters: { id: '1' } }, {}))).toThrow(expect.objectContaining({ status: 401 }));
    expect(() => run(httpEvent({ pathParameters: { id: '1' } }), 'secrets:inject')).toThrow(
      expect.objectContaining({ status: 403 }),
    );
    expect(() => run(httpEvent({ pathParameters: { id: 'x' } }))).toThrow(
      expect.objectContaining({ status: 422, issues: [expect.objectContaining({ loc: ['path', 'id'] })] }),
    );
  });
});

describe('defineRoute', () => {
  const handler = defineRoute(
    { family: 'environments', path: ThingPath, body: ThingBody },
    async ({ path, body, requestId }) => json(201, { id: path.id, name: body.name, requestId }),
  );
  const call = (event: HttpEvent) => handler(event, {} as Context);

  it('runs the logic on parsed input and stamps the same request id it handed the logic', async () => {
    const response = await call(
      httpEvent({ body: '{"name":"n"}', pathParameters: { id: '4' }, headers: { 'content-type': 'application/json' } }),
    );
    expect(response.statusCode).toBe(201);
    const body = JSON.parse(response.body!);
    expect(body).toMatchObject({ id: '4', name: 'n' });
    expect(response.headers!['x-request-id']).toBe(body.requestId);
  });

  it('answers every failure in the family envelope, checking the body before the schema', async () => {
    const notJson = await call(
      httpEvent({ body: '{', pathParameters: { id: '4' }, headers: { 'content-type': 'application/json' } }),
    );
    expect(notJson.statusCode).toBe(400);
    expect(JSON.parse(notJson.body!)).toMatchObject({
      code: 'INVALID_JSON',
      requestId: notJson.headers!['x-request-id'],
    });
    const unknown = await call(
      httpEvent({
        body: '{"name":"n","x":1}',
        pathParameters: { id: '4' },
        headers: { 'content-type': 'application/json' },
      }),
    );
    expect(JSON.parse(unknown.body!)).toMatchObject({ code: 'UNKNOWN_FIELD', field: 'x' });
  });

  it('keeps each invocation apart: concurrent requests get their own ids', async () => {
    const event = () =>
      httpEvent({ body: '{"name":"n"}', pathParameters: { id: '4' }, headers: { 'content-type': 'application/json' } });
    const responses = await Promise.all([call(event()), call(event()), call(event())]);
    const ids = responses.map((response) => JSON.parse(response.body!).requestId);
    expect(new Set(ids).size).toBe(3);
    for (const [i, response] of responses.entries()) expect(response.headers!['x-request-id']).toBe(ids[i]);
  });
});
