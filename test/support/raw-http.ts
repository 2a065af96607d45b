import { request } from 'node:http';
import type { Answer } from './response-shapes.js';

/**
 * One request with whatever method, target, headers and body a test makes up, answered
 * within `timeoutMs` (a hung request fails the test instead of hanging it).
 */
export interface RawRequest {
  method: string;
  /** Path and query, sent as given. */
  target: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

export async function send(baseUrl: string, req: RawRequest, timeoutMs = 20_000): Promise<Answer> {
  const response = await fetch(`${baseUrl}${req.target}`, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: parseJson(text) };
}

/**
 * A request written with node:http, whose request target is sent byte for byte (`//`, `*`,
 * absolute-form): fetch would normalise or refuse such targets.
 */
export function sendTarget(
  baseUrl: string,
  target: string,
  method = 'GET',
  headers: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<Answer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method, path: target, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) answerHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        resolve({ status: res.statusCode ?? 0, headers: answerHeaders, text, body: parseJson(text) });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${target} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
