import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { BadRequestError, HttpError, PayloadTooLargeError, UnauthorizedError } from '../../lib/errors.js';
import { type ApiFamily, renderError } from '../../lib/http/envelopes.js';
import { newRequestId } from '../../lib/http/request-id.js';
import { compileTemplates, familyOfPath, resolveRoute } from '../../lib/http/route-match.js';
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

/**
 * Limits AWS applies and a plain Node server would not, so local runs fail where AWS would:
 * a synchronous Lambda invocation carries at most 6 MB each way, and a function that runs
 * past its timeout (15 s, the stacks' default) is stopped. The handlers enforce the API's
 * own, smaller body limit.
 */
export const LAMBDA_LIMITS = { payloadBytes: 6 * 1024 * 1024, timeoutMs: 15_000 };

export interface Gateway {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startGateway(options: {
  routes: readonly RouteDefinition[];
  issuer: DevIssuer;
  port: number;
  limits?: typeof LAMBDA_LIMITS;
}): Promise<Gateway> {
  const limits = options.limits ?? LAMBDA_LIMITS;
  const compiled = compileTemplates(options.routes);
  const handlers = await loadHandlers(options.routes);

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('gateway failure', { error: error instanceof Error ? error.name : 'unknown' });
      if (!res.headersSent)
        send(res, 500, { 'content-type': 'application/json' }, JSON.stringify({ message: 'Internal Server Error' }));
    });
  });

  // Requests Node's HTTP parser refuses (headers over its 16 KB limit, malformed request
  // lines) get the family's envelope and a request id too, not Node's bare answer.
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    const target = /^[A-Z]+ (\S+)/.exec(error.rawPacket?.toString('latin1') ?? '')?.[1] ?? '/';
    const refusal =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? new HttpError(431, 'payload_too_large', 'Request line and headers exceed 16 KB')
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? new HttpError(408, 'invalid_request', 'The request was not received in time')
          : new BadRequestError('The request is not valid HTTP');
    const requestId = newRequestId();
    const { status, body } = renderError(familyOfPath(target), refusal, requestId);
    const payload = JSON.stringify(body);
    socket.end(
      [
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
        'content-type: application/json',
        `content-length: ${Buffer.byteLength(payload)}`,
        `x-request-id: ${requestId}`,
        'cache-control: no-store',
        'connection: close',
        '',
        payload,
      ].join('\r\n'),
    );
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = requestUrl(req.url ?? '/');
    if (!url) {
      return rejectWith(res, familyOfPath(req.url ?? '/'), new BadRequestError('The request target is not a path'));
    }
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'GET' && url.pathname === '/.well-known/jwks.json') {
      return send(res, 200, { 'content-type': 'application/json' }, JSON.stringify(await options.issuer.jwks()));
    }
    const match = resolveRoute(compiled, method, url.pathname);
    if ('refused' in match) return rejectWith(res, familyOfPath(url.pathname), match.refused);
    const route = match.template;

    // The token is checked before the body is read, as the authorizer does: an anonymous
    // caller cannot make the service read (or hold) megabytes.
    // A service-token route has no authorizer in AWS either: its function verifies the token.
    // A public route (the API's documentation) has none at all.
    const unchecked = route.auth === 'service-token' || route.auth === 'none';
    const verdict = unchecked ? { claims: undefined } : await authorize(req);
    if ('refused' in verdict) return rejectWith(res, route.family, new UnauthorizedError(verdict.refused));

    const body = await readBody(req, limits.payloadBytes);
    if (body === undefined) {
      return rejectWith(res, route.family, new PayloadTooLargeError('Request body exceeds the 6 MB Lambda limit'));
    }

    const event = toEvent(req, url, route, match.params, body, verdict.claims);
    const result = await invokeWithin(limits.timeoutMs, () =>
      handlers.get(route.function)!(event, lambdaContext(route)),
    );
    if (result === undefined) {
      logger.error('function timed out', { function: route.function, timeoutMs: limits.timeoutMs });
      return sendAwsError(res, 503, 'Service Unavailable');
    }
    const headers: Record<string, string | string[]> = Object.fromEntries(
      Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]),
    );
    if (result.cookies?.length) headers['set-cookie'] = result.cookies;
    const payload =
      result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
    if (Buffer.byteLength(JSON.stringify(result)) > limits.payloadBytes) {
      // Lambda refuses to return such a response, and API Gateway answers with its own 500.
      logger.error('function response over the Lambda limit', { function: route.function });
      return sendAwsError(res, 500, 'Internal Server Error');
    }
    send(res, result.statusCode ?? 200, headers, payload);
  }

  /** The JWT check of the deployed authorizer: one bearer token, verified, claims as strings. */
  async function authorize(req: IncomingMessage): Promise<{ claims: Record<string, string> } | { refused: string }> {
    const sent = req.headersDistinct.authorization ?? [];
    if (sent.length === 0) return { refused: 'no bearer token was sent' };
    if (sent.length > 1) return { refused: 'more than one Authorization header was sent' };
    const token = /^Bearer\s+(\S+)\s*$/i.exec(sent[0]!)?.[1];
    if (!token) return { refused: 'the Authorization header is not "Bearer <token>"' };
    const verified = await options.issuer.verify(token);
    if ('refused' in verified) return verified;
    // API Gateway hands claims to the function as strings.
    const claims = Object.fromEntries(
      Object.entries(verified.claims).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : JSON.stringify(value),
      ]),
    );
    return { claims };
  }

  // A port taken between the start's check and this listen is an error to report, not a crash.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, close: () => closeServer(server) };
}

/** Each route's handler module, imported as Lambda would load it. */
async function loadHandlers(routes: readonly RouteDefinition[]): Promise<Map<string, Handler>> {
  const modules = await Promise.all(
    routes.map(async (route) => {
      const module = (await import(pathToFileURL(functionEntry(route.function)).href)) as { handler: Handler };
      return [route.function, module.handler] as const;
    }),
  );
  return new Map(modules);
}

/**
 * The URL of an origin-form request target (`/path?query`), read as a path: `//x` is the path
 * `//x`, not the host `x`. Anything else (`*`, absolute-form) is no path of this API.
 */
function requestUrl(target: string): URL | undefined {
  if (!target.startsWith('/')) return undefined;
  try {
    return new URL(`http://localhost${target}`);
  } catch {
    return undefined;
  }
}

/** The body, or `undefined` once it passes `maxBytes` (the rest is not read). */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The handler's answer, or `undefined` when it runs past the function's timeout. */
async function invokeWithin<T>(timeoutMs: number, invoke: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([invoke(), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  route: RouteDefinition,
  pathParameters: Record<string, string>,
  body: Buffer,
  claims: Record<string, string> | undefined,
): APIGatewayProxyEventV2WithJWTAuthorizer {
  // API Gateway joins a repeated header's values with commas (Node would keep only the first Authorization).
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values !== undefined && name !== 'cookie') headers[name] = values.join(',');
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  // Bytes that are not UTF-8 travel base64-encoded, as binary does, so no decoding alters them.
  const textual = body.length === 0 || (isTextual(headers['content-type']) && isUtf8(body));
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
      ...(claims && {
        authorizer: {
          principalId: '',
          integrationLatency: 0,
          jwt: { claims, scopes: claims.scope ? claims.scope.split(' ') : [] },
        },
      }),
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

/**
 * The gateway's own refusals, in the family's envelope. The connection is closed after them:
 * a request body the gateway did not read cannot be left in the way of the next request.
 */
function rejectWith(res: ServerResponse, family: ApiFamily, error: HttpError) {
  const requestId = newRequestId();
  const { status, body } = renderError(family, error, requestId);
  send(
    res,
    status,
    {
      'content-type': 'application/json',
      'x-request-id': requestId,
      'cache-control': 'no-store',
      connection: 'close',
      ...error.headers,
    },
    JSON.stringify(body),
  );
}

/** What API Gateway itself answers when the function fails outside the service's code. */
function sendAwsError(res: ServerResponse, status: number, message: string) {
  send(res, status, { 'content-type': 'application/json' }, JSON.stringify({ message }));
}

/** Every response carries a request id, including the gateway's own answers. */
function send(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body?: Buffer | string) {
  res.writeHead(status, { 'x-request-id': newRequestId(), ...headers });
  res.end(body);
}
