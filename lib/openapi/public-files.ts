import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { newRequestId } from '../http/request-id.js';
import type { HttpEvent, HttpResult } from '../http/route.js';

/**
 * The two public routes (`auth: 'none'` in infra/routes.ts): the OpenAPI document and a page
 * rendering it with Swagger UI, whose files the function serves itself (no CDN). Only these
 * two functions import this module.
 */

/** The renderer's package and the files of it the page inlines. */
export const RENDERER_PACKAGE = 'swagger-ui-dist';
export const RENDERER_FILES = { script: 'swagger-ui-bundle.js', style: 'swagger-ui.css' } as const;
/** What the API stack copies next to the bundle of the page's function (paths from the project root). */
export const RENDERER_BUNDLE_FILES = Object.values(RENDERER_FILES).map(
  (file) => `node_modules/${RENDERER_PACKAGE}/${file}`,
);

/** Public and the same for everyone, so a cache may keep it a few minutes. */
const CACHE_CONTROL = 'public, max-age=300';

interface Payload {
  contentType: string;
  body: Buffer;
  gzipped: Buffer;
  headers: Record<string, string>;
}

/**
 * A handler answering `GET` with one fixed body, made on first use (not at import) and
 * gzipped when the caller accepts it.
 */
export function staticHandler(
  make: () => { contentType: string; body: string; headers?: Record<string, string> },
): (event: HttpEvent) => Promise<HttpResult> {
  let payload: Payload | undefined;
  return async (event) => {
    if (!payload) {
      const made = make();
      const body = Buffer.from(made.body, 'utf8');
      payload = { contentType: made.contentType, body, gzipped: gzipSync(body), headers: made.headers ?? {} };
    }
    const headers: Record<string, string> = {
      'content-type': payload.contentType,
      'cache-control': CACHE_CONTROL,
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
      'x-request-id': newRequestId(),
      ...payload.headers,
    };
    if (acceptsGzip(event.headers?.['accept-encoding'])) {
      return {
        statusCode: 200,
        headers: { ...headers, 'content-encoding': 'gzip' },
        body: payload.gzipped.toString('base64'),
        isBase64Encoded: true,
      };
    }
    return { statusCode: 200, headers, body: payload.body.toString('utf8') };
  };
}

function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((coding) => {
    const [name, ...params] = coding.trim().toLowerCase().split(';');
    return name === 'gzip' && !params.some((param) => /^\s*q=0(\.0*)?\s*$/.test(param));
  });
}

/** The JSON of a document, for `GET /openapi.json`. */
export function jsonDocument(document: unknown): { contentType: string; body: string } {
  return { contentType: 'application/json', body: JSON.stringify(document) };
}

/**
 * The API reference page: Swagger UI's script and style inlined, loading the document from
 * `openapi.json` beside the page (so under a stage path too). The content security policy
 * allows exactly these inline scripts (by hash) and requests to this origin only.
 */
export function apiReferencePage(moduleUrl: string): {
  contentType: string;
  body: string;
  headers: Record<string, string>;
} {
  const script = rendererFile(RENDERER_FILES.script, moduleUrl);
  const style = rendererFile(RENDERER_FILES.style, moduleUrl);
  const start = [
    'window.ui = SwaggerUIBundle({',
    "  url: new URL('openapi.json', document.baseURI).href,",
    "  dom_id: '#swagger-ui',",
    '  deepLinking: true,',
    '  // No badge fetched from the public validator: the page talks to this service only.',
    '  validatorUrl: null,',
    '});',
  ].join('\n');
  const body = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Secrets service API</title>',
    `<style>${style}</style>`,
    '<style>body { margin: 0; }</style>',
    '</head>',
    '<body>',
    '<div id="swagger-ui"></div>',
    `<script>${inlineSafe(script)}</script>`,
    `<script>${start}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
  const hashes = [inlineSafe(script), start].map(
    (text) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`,
  );
  const policy = [
    "default-src 'none'",
    `script-src ${hashes.join(' ')}`,
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    contentType: 'text/html; charset=utf-8',
    body,
    headers: { 'content-security-policy': policy, 'referrer-policy': 'no-referrer' },
  };
}

/** A script inside `<script>` must not hold `</script`. */
function inlineSafe(script: string): string {
  return script.replace(/<\/(script)/gi, '<\\/$1');
}

/**
 * A file of the renderer: next to the function's bundle in Lambda (the API stack copies it
 * there), else where npm installed it (the local gateway runs the handler's source).
 */
function rendererFile(name: string, moduleUrl: string): string {
  const beside = fileURLToPath(new URL(name, moduleUrl));
  if (existsSync(beside)) return readFileSync(beside, 'utf8');
  return readFileSync(createRequire(moduleUrl).resolve(`${RENDERER_PACKAGE}/${name}`), 'utf8');
}
