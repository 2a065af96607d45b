import { describe, expect, it } from 'vitest';
import type { HttpEvent } from '../../lib/http/route.js';
import {
  compileTemplates,
  decodeTemplates,
  encodeTemplates,
  familyOfPath,
  resolveRoute,
} from '../../lib/http/route-match.js';
import { answerUnmatchedRoute } from '../../lib/http/unmatched-route.js';

const TEMPLATES = [
  { method: 'GET', path: '/api/v1/user/secrets/{id}' },
  { method: 'PUT', path: '/api/v1/user/secrets/{id}' },
  { method: 'GET', path: '/api/v1/user/secrets/env' },
  { method: 'POST', path: '/api/environments' },
];
const compiled = compileTemplates(TEMPLATES);

describe('resolveRoute', () => {
  it('prefers literal segments and decodes parameters', () => {
    expect(resolveRoute(compiled, 'GET', '/api/v1/user/secrets/env')).toEqual({ template: TEMPLATES[2], params: {} });
    expect(resolveRoute(compiled, 'GET', '/api/v1/user/secrets/a%20b')).toEqual({
      template: TEMPLATES[0],
      params: { id: 'a b' },
    });
  });

  it('refuses with 405 and Allow, 404, or 400 for bad percent-encoding', () => {
    const wrongMethod = resolveRoute(compiled, 'DELETE', '/api/v1/user/secrets/1');
    expect(wrongMethod).toMatchObject({ refused: { status: 405, headers: { allow: 'GET, PUT' } } });
    expect(resolveRoute(compiled, 'GET', '/api/v1/nothing')).toMatchObject({ refused: { status: 404 } });
    expect(resolveRoute(compiled, 'GET', '/api/v1/user/secrets/%ZZ')).toMatchObject({ refused: { status: 400 } });
  });

  it('names the family of a path by its prefix', () => {
    expect(familyOfPath('/api/v1/x')).toBe('v1');
    expect(familyOfPath('/api/environments/x')).toBe('environments');
    expect(familyOfPath('/elsewhere')).toBe('environments');
  });
});

describe('route templates in one environment variable', () => {
  it('round-trip, and a malformed entry is refused at start', () => {
    expect(decodeTemplates(encodeTemplates(TEMPLATES))).toEqual(TEMPLATES);
    expect(() => decodeTemplates('GET')).toThrow(/malformed/);
    expect(() => decodeTemplates('GET api')).toThrow(/malformed/);
  });
});

describe("the $default route's answer", () => {
  const answer = answerUnmatchedRoute(encodeTemplates(TEMPLATES));
  const event = (method: string, rawPath: string) =>
    ({ rawPath, requestContext: { http: { method } } }) as unknown as HttpEvent;

  it('is 405 with Allow in the v1 envelope for a v1 path with another method', async () => {
    const response = await answer(event('PATCH', '/api/v1/user/secrets/1'));
    expect(response.statusCode).toBe(405);
    expect(response.headers).toMatchObject({ allow: 'GET, PUT', 'cache-control': 'no-store' });
    expect(JSON.parse(response.body!)).toMatchObject({ code: 405, type: 'method_not_allowed' });
  });

  it('is 404 in the environments envelope, its requestId the x-request-id', async () => {
    const response = await answer(event('GET', '/api/environments/x/y'));
    const body = JSON.parse(response.body!);
    expect(response.statusCode).toBe(404);
    expect(body).toMatchObject({ code: 'NOT_FOUND', requestId: response.headers!['x-request-id'] });
  });

  it('is 404 even for a method and path the table has, which API Gateway would have routed', async () => {
    expect((await answer(event('POST', '/api/environments'))).statusCode).toBe(404);
  });
});
