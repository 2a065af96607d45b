import middy from '@middy/core';
import type {
  Context,
  APIGatewayProxyEventV2WithJWTAuthorizer as HttpEvent,
  APIGatewayProxyStructuredResultV2 as HttpResult,
} from 'aws-lambda';
import {
  type Caller,
  callerFromEvent,
  type PresentedServiceToken,
  requireScope,
  serviceTokenFromEvent,
} from '../auth/claims.js';
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

/**
 * What a route's logic receives: validated input and the caller, nothing raw. The caller is a
 * person vouched for by the JWT authorizer, or on service-token routes the token presented.
 */
export interface RouteInput<Body, Query, Path, Who = Caller> {
  body: Body;
  query: Query;
  path: Path;
  headers: Readonly<Record<string, string | undefined>>;
  caller: Who;
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
  /** Who may call: a person's JWT (default) or a service token, which the logic verifies. */
  auth?: 'jwt' | 'service-token';
  /**
   * Write routes: honour `Idempotency-Key` (`idempotency(deps)` from ./idempotency.js; passed
   * in, so that read routes do not bundle it).
   */
  idempotent?: IdempotencyMiddlewares;
}

/** Without an Idempotency-Key there is no record for a write to complete. */
const noCommit: CommitWith = () => undefined;

/** Who a route may be called by: a person (JWT) or a service token. */
type Identity = Caller | PresentedServiceToken;

/** The Lambda context as the logic's step sees it: the input the middlewares prepared. */
export type RouteContext<Body, Query, Path, Who extends Identity = Caller> = Context & {
  routeInput: RouteInput<Body, Query, Path, Who>;
};

/**
 * What a route declares about its input, as `defineRoute` was given it: the OpenAPI generator
 * (infra/openapi) reads it from the handler, so the spec is made from the very schemas the
 * route validates with. Plain references: nothing is built for it at cold start.
 */
export interface RouteDescription {
  family: ApiFamily;
  auth: 'jwt' | 'service-token';
  scope?: string;
  path?: Schema<unknown>;
  query?: Schema<unknown>;
  body?: Schema<unknown>;
  /** Honours `Idempotency-Key`. */
  idempotent: boolean;
}

export type RouteHandler = ((event: HttpEvent, context: Context) => Promise<HttpResult>) & {
  readonly route: RouteDescription;
};

/**
 * Checks the caller and the scope, then validates path, query and body with the route's
 * schemas. Only the finished input is handed to the logic, on the context, as middy hands
 * middleware results to a handler; the request's own state stays in `request.internal`.
 */
export function routeInput<Body, Query, Path, Who extends Identity = Caller>(
  spec: RouteSpec<Body, Query, Path>,
): Middleware<RouteContext<Body, Query, Path, Who>> {
  return {
    before: (request) => {
      const { event } = request;
      const caller: Identity = spec.auth === 'service-token' ? serviceTokenFromEvent(event) : callerFromEvent(event);
      if (spec.scope && 'scopes' in caller) requireScope(caller, spec.scope);
      request.context.routeInput = {
        body: spec.body ? parseInput(spec.body, event.body, 'body') : (undefined as Body),
        query: spec.query ? parseInput(spec.query, event.queryStringParameters ?? {}, 'query') : (undefined as Query),
        path: spec.path ? parseInput(spec.path, event.pathParameters ?? {}, 'path') : (undefined as Path),
        headers: event.headers ?? {},
        caller: caller as Who,
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
  return buildRoute(spec, logic);
}

/**
 * A route called with a service token instead of a person's JWT: no authorizer stands in
 * front of it, so the logic verifies the presented token (and a revocation holds at once).
 */
export function defineServiceTokenRoute<Body = undefined, Query = undefined, Path = undefined>(
  spec: Omit<RouteSpec<Body, Query, Path>, 'auth' | 'scope'>,
  logic: (input: RouteInput<Body, Query, Path, PresentedServiceToken>) => Promise<HttpResult>,
): RouteHandler {
  return buildRoute({ ...spec, auth: 'service-token' }, logic);
}

function buildRoute<Body, Query, Path, Who extends Identity>(
  spec: RouteSpec<Body, Query, Path>,
  logic: (input: RouteInput<Body, Query, Path, Who>) => Promise<HttpResult>,
): RouteHandler {
  type Ctx = RouteContext<Body, Query, Path, Who>;
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
  stack.use(routeInput<Body, Query, Path, Who>(spec));
  if (retries) stack.use(retries.claim as Middleware<Ctx>);
  const handler = stack.handler((_event, context) => logic(context.routeInput));
  const route: RouteDescription = {
    family: spec.family,
    auth: spec.auth ?? 'jwt',
    scope: spec.scope,
    path: spec.path,
    query: spec.query,
    body: spec.body,
    idempotent: Boolean(retries),
  };
  return Object.assign(handler, { route }) as unknown as RouteHandler;
}
