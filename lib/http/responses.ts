import type { APIGatewayProxyStructuredResultV2 as HttpResult } from 'aws-lambda';
import type { Precondition } from '../precondition.js';

/** Every answer is JSON and never cached by an intermediary: metadata is sensitive too. */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
};

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function noContent(headers: Record<string, string> = {}): HttpResult {
  return { statusCode: 204, headers: { 'cache-control': 'no-store', ...headers } };
}

/** Strong ETag for a record version; `If-Match` accepts it with or without quotes, or `*`. */
export function etag(version: number): string {
  return `"${version}"`;
}

/** The versions an `If-Match` header allows; `undefined` when absent, `'any'` for `*`. */
export function parseIfMatch(header: string | undefined): Precondition {
  if (header === undefined || header.trim() === '') return undefined;
  if (header.trim() === '*') return 'any';
  return header
    .split(',')
    .map((tag) => Number(tag.trim().replace(/^W\//, '').replace(/^"|"$/g, '')))
    .filter((version) => Number.isInteger(version) && version > 0);
}
