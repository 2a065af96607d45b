import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { PayloadTooLargeError, UnauthorizedError } from '../../lib/errors.js';
import { renderError } from '../../lib/http/envelopes.js';
import { newRequestId } from '../../lib/http/request-id.js';
import { logger } from '../../lib/log.js';
import { functionEntry } from '../paths.js';
import { type RouteDefinition, routeKey } from '../routes.js';
import type { DevIssuer } from './dev-issuer.js';
import { closeServer } from './kms-server.js';

/**
 * The local API Gateway: turns HTTP into HTTP API payload v2 events, applies the JWT check
 * the deployed authorizer applies, and invokes the very handler modules that ship to Lambda.
 */
type Handler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** API Gateway's own payload limit; the handlers enforce the API's smaller one. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

interface CompiledRoute {
  route: RouteDefinition;
  pattern: RegExp;
  params: string[];
  handler: Handler;
}

export interface Gateway {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startGateway(options: {
  routes: readonly RouteDefinition[];
  issuer: DevIssuer;
  port: number;
}): Promise<Gateway> {
  const compiled = await Promise.all(options.routes.map(compileRoute));
  // Literal segments win over parameters, as in API Gateway (`/secrets/env` before `/secrets/{id}`).
  compiled.sort((a, b) => a.params.length - b.params.length);

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('gateway failure', { error: error instanceof Error ? error.name : 'unknown' });
      if (!res.headersSent)
        send(res, 500, { 'content-type': 'application/json' }, JSON.stringify({ message: 'Internal Server Error' }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'GET' && url.pathname === '/.well-known/jwks.json') {
      return send(res, 200, { 'content-type': 'application/json' }, JSON.stringify(await options.issuer.jwks()));
    }
    const match = findRoute(compiled, method, url.pathname);
    if (!match) return send(res, 404, { 'content-type': 'application/json' }, JSON.stringify({ message: 'Not Found' }));

    const body = await readBody(req);
    if (body === undefined)
      return rejectWith(res, match.entry.route, new PayloadTooLargeError('Request body exceeds the gateway limit'));

    const claims = await authorize(req.headers.authorization);
    if (!claims) return rejectWith(res, match.entry.route, new UnauthorizedError());

    const event = toEvent(req, url, match.entry.route, match.params, body, claims);
    const result = await match.entry.handler(event, lambdaContext(match.entry.route));
    const headers: Record<string, string | string[]> = Object.fromEntries(
      Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]),
    );
    if (result.cookies?.length) headers['set-cookie'] = result.cookies;
    const payload =
      result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
    send(res, result.statusCode ?? 200, headers, payload);
  }

  async function authorize(header: string | undefined): Promise<Record<string, string> | undefined> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
    if (!token) return undefined;
    try {
      const payload = await options.issuer.verify(token);
      // API Gateway hands claims to the function as strings.
      return Object.fromEntries(
        Object.entries(payload).map(([name, value]) => [
          name,
          typeof value === 'string' ? value : JSON.stringify(value),
        ]),
      );
    } catch {
      return undefined;
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, close: () => closeServer(server) };
}

async function compileRoute(route: RouteDefinition): Promise<CompiledRoute> {
  const params: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  const module = (await import(pathToFileURL(functionEntry(route.function)).href)) as { handler: Handler };
  return { route, pattern: new RegExp(`^${source}$`), params, handler: module.handler };
}

function findRoute(routes: CompiledRoute[], method: string, path: string) {
  for (const entry of routes) {
    if (entry.route.method !== method) continue;
    const found = entry.pattern.exec(path);
    if (found) {
      const params = Object.fromEntries(entry.params.map((name, i) => [name, decodeURIComponent(found[i + 1]!)]));
      return { entry, params };
    }
  }
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  route: RouteDefinition,
  pathParameters: Record<string, string>,
  body: Buffer,
  claims: Record<string, string>,
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && name !== 'cookie') headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  const textual = body.length === 0 || isTextual(headers['content-type']);
  return {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    cookies: req.headers.cookie?.split(/;\s*/),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : undefined,
    body: body.length ? body.toString(textual ? 'utf8' : 'base64') : undefined,
    isBase64Encoded: !textual,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: route.method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: routeKey(route),
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims, scopes: claims.scope ? claims.scope.split(' ') : [] },
      },
    },
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}

function isTextual(contentType: string | undefined): boolean {
  return !contentType || /^(text\/|application\/(.+\+)?(json|xml|x-www-form-urlencoded))/i.test(contentType);
}

function lambdaContext(route: RouteDefinition): Context {
  const deadline = Date.now() + 10_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: route.function,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${route.function}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${route.function}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function rejectWith(res: ServerResponse, route: RouteDefinition, error: PayloadTooLargeError | UnauthorizedError) {
  const requestId = newRequestId();
  const { status, body } = renderError(route.family, error, requestId);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-request-id': requestId,
    'cache-control': 'no-store',
  };
  if (status === 401) headers['www-authenticate'] = 'Bearer';
  send(res, status, headers, JSON.stringify(body));
}

/** Every response carries a request id, including the gateway's own answers. */
function send(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body?: Buffer | string) {
  res.writeHead(status, { 'x-request-id': newRequestId(), ...headers });
  res.end(body);
}
