import middy from '@middy/core';
import type {
  Context,
  APIGatewayProxyEventV2WithJWTAuthorizer as HttpEvent,
  APIGatewayProxyStructuredResultV2 as HttpResult,
} from 'aws-lambda';
import { type Caller, callerFromEvent, requireScope } from '../auth/claims.js';
import type { ApiFamily } from './envelopes.js';
import type { CommitWith, IdempotencyMiddlewares } from './idempotency.js';
import {
  clientVersionGate,
  errorResponder,
  jsonBody,
  type Middleware,
  type RequestState,
  requestIdentity,
} from './middleware.js';
import { parseInput, type Schema } from './validation.js';

export type { HttpEvent, HttpResult };

/** What a route's logic receives: validated input and the caller, nothing raw. */
export interface RouteInput<Body, Query, Path> {
  body: Body;
  query: Query;
  path: Path;
  headers: Readonly<Record<string, string | undefined>>;
  caller: Caller;
  requestId: string;
  /**
   * For write routes: turns the write's result into the transaction item that completes the
   * request's Idempotency-Key with its response (`undefined` when the request sent none).
   */
  commit: CommitWith;
}

export interface RouteSpec<Body, Query, Path> {
  family: ApiFamily;
  body?: Schema<Body>;
  query?: Schema<Query>;
  path?: Schema<Path>;
  /** A token scope the route requires beyond a valid token. */
  scope?: string;
  /**
   * Write routes: honour `Idempotency-Key` (`idempotency(deps)` from ./idempotency.js; passed
   * in, so that read routes do not bundle it).
   */
  idempotent?: IdempotencyMiddlewares;
}

/** Without an Idempotency-Key there is no record for a write to complete. */
const noCommit: CommitWith = () => undefined;

/** The Lambda context as the logic's step sees it: the input the middlewares prepared. */
export type RouteContext<Body, Query, Path> = Context & { routeInput: RouteInput<Body, Query, Path> };

export type RouteHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/**
 * Checks the caller and the scope, then validates path, query and body with the route's
 * schemas. Only the finished input is handed to the logic, on the context, as middy hands
 * middleware results to a handler; the request's own state stays in `request.internal`.
 */
export function routeInput<Body, Query, Path>(
  spec: RouteSpec<Body, Query, Path>,
): Middleware<RouteContext<Body, Query, Path>> {
  return {
    before: (request) => {
      const { event } = request;
      const caller = callerFromEvent(event);
      if (spec.scope) requireScope(caller, spec.scope);
      request.context.routeInput = {
        body: spec.body ? parseInput(spec.body, event.body, 'body') : (undefined as Body),
        query: spec.query ? parseInput(spec.query, event.queryStringParameters ?? {}, 'query') : (undefined as Query),
        path: spec.path ? parseInput(spec.path, event.pathParameters ?? {}, 'path') : (undefined as Path),
        headers: event.headers ?? {},
        caller,
        requestId: request.internal.requestId,
        commit: noCommit,
      };
    },
  };
}

/**
 * Builds a Lambda handler for one route: identity → client version → JSON body → caller and
 * zod validation → logic → response, with the family's error envelope for anything thrown.
 */
export function defineRoute<Body = undefined, Query = undefined, Path = undefined>(
  spec: RouteSpec<Body, Query, Path>,
  logic: (input: RouteInput<Body, Query, Path>) => Promise<HttpResult>,
): RouteHandler {
  type Ctx = RouteContext<Body, Query, Path>;
  const retries = spec.idempotent;
  const stack = middy<HttpEvent, HttpResult, Error, Ctx, RequestState>();
  // onError handlers run in reverse order of use: the responder's runs after all others but
  // the idempotency settlement, which stores the response the responder rendered.
  if (retries) stack.use(retries.settle as Middleware<Ctx>);
  stack
    .use(errorResponder(spec.family) as Middleware<Ctx>)
    .use(requestIdentity() as Middleware<Ctx>)
    .use(clientVersionGate() as Middleware<Ctx>);
  if (spec.body) stack.use(jsonBody() as Middleware<Ctx>);
  stack.use(routeInput(spec));
  if (retries) stack.use(retries.claim as Middleware<Ctx>);
  return stack.handler((_event, context) => logic(context.routeInput)) as unknown as RouteHandler;
}
