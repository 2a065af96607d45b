import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer as HttpEvent,
  APIGatewayProxyStructuredResultV2 as HttpResult,
  Context,
} from 'aws-lambda';
import { type Caller, callerFromEvent, requireScope } from '../auth/claims.js';
import type { ApiFamily } from './envelopes.js';
import { parseInput, type Schema } from './validation.js';
import { clientVersionGate, errorResponder, jsonBody, requestIdentity, type RequestState } from './middleware.js';

export type { HttpEvent, HttpResult };

/** What a route's logic receives: validated input and the caller, nothing raw. */
export interface RouteInput<Body, Query, Path> {
  body: Body;
  query: Query;
  path: Path;
  headers: Readonly<Record<string, string | undefined>>;
  caller: Caller;
  requestId: string;
}

export interface RouteSpec<Body, Query, Path> {
  family: ApiFamily;
  body?: Schema<Body>;
  query?: Schema<Query>;
  path?: Schema<Path>;
  /** A token scope the route requires beyond a valid token. */
  scope?: string;
}

export type RouteHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/**
 * Builds a Lambda handler for one route: identity → client version → JSON body → zod
 * validation → logic → response, with the family's error envelope for anything thrown.
 */
export function defineRoute<Body = undefined, Query = undefined, Path = undefined>(
  spec: RouteSpec<Body, Query, Path>,
  logic: (input: RouteInput<Body, Query, Path>) => Promise<HttpResult>,
): RouteHandler {
  const stack = middy<HttpEvent, HttpResult, Error, Context & RequestState>()
    // The responder is used first so its onError runs last, after every other middleware.
    .use(errorResponder(spec.family))
    .use(requestIdentity())
    .use(clientVersionGate());
  if (spec.body) stack.use(jsonBody());

  return stack.handler(async (event, context) => {
    const caller = callerFromEvent(event);
    if (spec.scope) requireScope(caller, spec.scope);
    return logic({
      body: spec.body ? parseInput(spec.body, event.body, 'body') : (undefined as Body),
      query: spec.query ? parseInput(spec.query, event.queryStringParameters ?? {}, 'query') : (undefined as Query),
      path: spec.path ? parseInput(spec.path, event.pathParameters ?? {}, 'path') : (undefined as Path),
      headers: event.headers ?? {},
      caller,
      requestId: context.requestId,
    });
  }) as unknown as RouteHandler;
}
