import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * How one HTTP attempt is made. The default speaks `node:http(s)` directly: it loads in a few
 * milliseconds, where the first `fetch` of a process loads undici (tens of milliseconds), which
 * a CLI started for every `secrets run` would pay each time. `fetchTransport` is there for
 * runtimes that have `fetch` but not `node:http`.
 */
export interface TransportRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  /** The attempt fails with `TimeoutError` (code `ETIMEDOUT`) past this. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  /** Lowercase names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: string;
}

export type Transport = ((request: TransportRequest) => Promise<TransportResponse>) & { close?: () => void };

/** The attempt took longer than its timeout. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
  readonly code = 'ETIMEDOUT';
}

/** Requests over `node:http`/`node:https`, with keep-alive within one client; `close()` frees its sockets. */
export function nodeTransport(): Transport {
  const agents = {
    'http:': new HttpAgent({ keepAlive: true }),
    'https:': new HttpsAgent({ keepAlive: true }),
  };
  const transport: Transport = (request) =>
    new Promise<TransportResponse>((resolve, reject) => {
      const secure = request.url.protocol === 'https:';
      const send = secure ? httpsRequest : httpRequest;
      const headers: Record<string, string | number> = { ...request.headers };
      if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      };
      const req = send(
        request.url,
        { method: request.method, headers, agent: secure ? agents['https:'] : agents['http:'], signal: request.signal },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', fail);
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            const responseHeaders: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
            }
            resolve({
              status: res.statusCode ?? 0,
              headers: responseHeaders,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
        },
      );
      const timer = setTimeout(() => {
        const error = new TimeoutError(`no answer within ${request.timeoutMs} ms`);
        fail(error);
        req.destroy(error);
      }, request.timeoutMs);
      req.on('error', fail);
      req.end(request.body);
    });
  transport.close = () => {
    agents['http:'].destroy();
    agents['https:'].destroy();
  };
  return transport;
}

/** Requests over a WHATWG `fetch` (browsers, Deno, workers). */
export function fetchTransport(fetchImpl: typeof fetch = fetch): Transport {
  return async (request) => {
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await fetchImpl(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal,
      });
    } catch (error) {
      if (timeout.aborted) throw new TimeoutError(`no answer within ${request.timeoutMs} ms`);
      throw error;
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return { status: response.status, headers, body: await response.text() };
  };
}
