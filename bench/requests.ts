import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import type { DevIssuer } from '../infra/local/dev-issuer.js';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../infra/local/dev-issuer.js';
import { type RouteDefinition, routeKey } from '../infra/routes.js';
import type { HttpCall } from './load.js';
import type { BenchCall } from './routes.js';

/** How a bench call becomes a request to the gateway, or the event API Gateway would hand a function. */

/** Dev tokens, signed before a run: autocannon builds requests synchronously. */
export class Tokens {
  private readonly signed = new Map<string, string>();

  constructor(private readonly issuer: DevIssuer) {}

  async sign(subs: Iterable<string>, scope?: string): Promise<void> {
    for (const sub of subs) {
      const key = tokenKey(sub, scope);
      if (!this.signed.has(key)) this.signed.set(key, await this.issuer.sign({ sub, scope, ttlSeconds: 4 * 3600 }));
    }
  }

  get(sub: string, scope?: string): string {
    const token = this.signed.get(tokenKey(sub, scope));
    if (!token) throw new Error(`No token was signed for ${sub}`);
    return token;
  }
}

const tokenKey = (sub: string, scope?: string) => `${sub} ${scope ?? ''}`;

function routePath(route: RouteDefinition, call: BenchCall): string {
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(call.params?.[name] ?? ''));
  return call.query ? `${path}?${new URLSearchParams(call.query)}` : path;
}

/** The request, carrying the call's service token if it has one, else `token` (the JWT signed for its caller). */
export function gatewayRequest(route: RouteDefinition, call: BenchCall, token: string): HttpCall {
  const headers: Record<string, string> = { authorization: `Bearer ${call.bearer ?? token}` };
  if (call.body) headers['content-type'] = 'application/json';
  return { method: route.method, path: routePath(route, call), headers, body: call.body && JSON.stringify(call.body) };
}

/**
 * A minimal HTTP API payload v2 event with the claims the JWT authorizer would pass on, and
 * the call's service token, which its route's function reads itself.
 */
export function lambdaEvent(
  route: RouteDefinition,
  call: BenchCall,
  scope?: string,
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, string> = {
    sub: call.sub,
    iss: LOCAL_ISSUER,
    aud: LOCAL_AUDIENCE,
    iat: String(now),
    exp: String(now + 3600),
    ...(scope ? { scope } : {}),
  };
  const pathParameters = Object.fromEntries(
    [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => [name!, call.params?.[name!] ?? '']),
  );
  const path = routePath(route, call).split('?')[0]!;
  return {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath: path,
    rawQueryString: call.query ? String(new URLSearchParams(call.query)) : '',
    headers: {
      ...(call.body ? { 'content-type': 'application/json' } : {}),
      ...(call.bearer ? { authorization: `Bearer ${call.bearer}` } : {}),
    },
    queryStringParameters: call.query,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : undefined,
    body: call.body && JSON.stringify(call.body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'bench.local',
      domainPrefix: 'bench',
      http: { method: route.method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey: routeKey(route),
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims, scopes: scope ? scope.split(' ') : [] } },
    },
  };
}
