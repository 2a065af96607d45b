import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_FILE } from '../../infra/openapi/generate.js';
import { ROUTES } from '../../infra/routes.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * The public documentation over real HTTP on the local stack: `GET /openapi.json` and the
 * page at `GET /docs`, both without a token, the page rendered by a real browser (Debian's
 * `chromium`, which .ci/run installs).
 */
const DOCUMENT = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'));
const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** A GET answered without fetch's decoding, so the test sees the bytes and headers as sent. */
function rawGet(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const { hostname, port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /openapi.json', () => {
  it('serves docs/openapi.json to anyone, with a request id', async () => {
    const answer = await stack.call('GET', '/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.headers.get('x-request-id')).toMatch(REQUEST_ID);
    expect(answer.body).toEqual(DOCUMENT);
  });

  it('ignores whatever token is sent (there is no authorizer in front)', async () => {
    const answer = await stack.call('GET', '/openapi.json', { headers: { authorization: 'Bearer not-a-token' } });
    expect(answer.status).toBe(200);
  });

  it('gzips for a caller that accepts it, and not otherwise', async () => {
    const zipped = await rawGet('/openapi.json', { 'accept-encoding': 'br, gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(zipped.body).toString('utf8'))).toEqual(DOCUMENT);
    const refused = await rawGet('/openapi.json', { 'accept-encoding': 'gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(refused.body.toString('utf8'))).toEqual(DOCUMENT);
  });

  it('answers other methods with 405 and Allow: GET, in the envelope', async () => {
    const answer = await stack.call('POST', '/openapi.json', { body: {} });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET');
    expect(answer.body).toMatchObject({ code: 'METHOD_NOT_ALLOWED', requestId: answer.headers.get('x-request-id') });
  });
});

describe('GET /docs', () => {
  it('serves one HTML page holding the renderer itself: nothing is loaded from elsewhere', async () => {
    const answer = await rawGet('/docs');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = answer.body.toString('utf8');
    expect(html).toContain('SwaggerUIBundle');
    expect(html).not.toMatch(/<(script|link|img)\b[^>]*\b(src|href)=/i);
    const policy = String(answer.headers['content-security-policy']);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).toMatch(/script-src 'sha256-[^']+' 'sha256-[^']+'(;|$)/);
  });

  it('shows every route of the API in a headless browser', { timeout: 120_000 }, async () => {
    const dom = await renderedDom(`${stack.url}/docs`);
    // Swagger UI renders each operation as a block naming its method and path.
    const shown = new Set(
      [...dom.matchAll(/class="opblock-summary-method">(\w+)<[\s\S]*?data-path="([^"]+)"/g)].map(
        ([, method, path]) => `${method} ${decodeEntities(path!)}`,
      ),
    );
    expect([...shown].sort()).toEqual(
      expect.arrayContaining(ROUTES.map((route) => `${route.method} ${route.path}`).sort()),
    );
    expect(dom).toContain('Secrets service');
  });
});

/** The page's DOM once Chromium has run its scripts and loaded the document. */
async function renderedDom(url: string): Promise<string> {
  const chromium = process.env.CHROMIUM ?? 'chromium';
  const profile = mkdtempSync(join(tmpdir(), 'chromium-'));
  try {
    const { stdout } = await promisify(execFile)(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        `--user-data-dir=${profile}`,
        '--virtual-time-budget=30000',
        '--dump-dom',
        url,
      ],
      { maxBuffer: 64 * 1024 * 1024, timeout: 90_000 },
    ).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        throw new Error(
          `${chromium} was not found: this test needs Debian's chromium (apt-get install chromium; .ci/run installs it), or CHROMIUM=<path>`,
        );
      }
      throw error;
    });
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

function decodeEntities(text: string): string {
  return text
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"');
}
