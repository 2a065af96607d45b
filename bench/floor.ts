import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from '../infra/local/kms-server.js';
import type { HttpCall } from './load.js';
import type { BenchCall, FloorOp, FloorStore } from './routes.js';

/**
 * The floor: a bare node:http handler that runs a route's essential storage work (its one
 * operation, after the access check (member item and environment header) for environment routes) and answers with what it read. No JWT check, middleware, validation or crypto — the lower bound any
 * implementation of the route pays on this machine. The call arrives as the request body,
 * the route as a header.
 */
const ROUTE_HEADER = 'x-bench-route';

export function floorRequest(route: string, call: BenchCall): HttpCall {
  return {
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/json', [ROUTE_HEADER]: route },
    body: JSON.stringify(call),
  };
}

export async function startFloorServer(
  ops: ReadonlyMap<string, FloorOp>,
  store: FloorStore,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => void serve(req, res));
  async function serve(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const op = ops.get(String(req.headers[ROUTE_HEADER]));
    if (!op) return answer(res, 404);
    try {
      const result = await op(store, JSON.parse(Buffer.concat(chunks).toString('utf8')) as BenchCall);
      answer(res, result === undefined ? 204 : 200, result);
    } catch {
      answer(res, 500);
    }
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) };
}

function answer(res: ServerResponse, status: number, body?: unknown) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  res.writeHead(status, text === undefined ? {} : { 'content-type': 'application/json' });
  res.end(text);
}
