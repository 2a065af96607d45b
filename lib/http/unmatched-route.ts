import { NotFoundError } from '../errors.js';
import { renderError } from './envelopes.js';
import { newRequestId } from './request-id.js';
import { BASE_HEADERS } from './responses.js';
import type { HttpEvent, HttpResult } from './route.js';
import { compileTemplates, decodeTemplates, familyOfPath, resolveRoute } from './route-match.js';

/**
 * Answers what reaches API Gateway's `$default` route: a path no route has (404) or a method
 * the path does not have (405 with `Allow`), in the family's envelope. It runs without an
 * authorizer and reads nothing: the routes it names are the service's published API.
 */
export function answerUnmatchedRoute(encodedTemplates: string): (event: HttpEvent) => Promise<HttpResult> {
  const compiled = compileTemplates(decodeTemplates(encodedTemplates));
  return async (event) => {
    const path = event.rawPath ?? '/';
    const resolved = resolveRoute(compiled, event.requestContext?.http?.method ?? 'GET', path);
    // A match means API Gateway routed around its own table (HEAD, say): still no route here.
    const error = 'refused' in resolved ? resolved.refused : new NotFoundError('No route matches this path');
    const requestId = newRequestId();
    const { status, body } = renderError(familyOfPath(path), error, requestId);
    return {
      statusCode: status,
      headers: { ...BASE_HEADERS, ...error.headers, 'x-request-id': requestId },
      body: JSON.stringify(body),
    };
  };
}
