import { BadRequestError, type HttpError, MethodNotAllowedError, NotFoundError } from '../errors.js';
import type { ApiFamily } from './envelopes.js';

/**
 * Matching a method and path against route templates (`/api/environments/{id}/secrets/{key}`),
 * shared by the local gateway and the function that answers what no route matched in AWS.
 */
export interface RouteTemplate {
  method: string;
  path: string;
}

export interface CompiledTemplate<T extends RouteTemplate> {
  template: T;
  pattern: RegExp;
  params: string[];
}

/** Literal segments win over parameters, as in API Gateway (`/secrets/env` before `/secrets/{id}`). */
export function compileTemplates<T extends RouteTemplate>(templates: readonly T[]): CompiledTemplate<T>[] {
  return templates
    .map((template) => {
      const params: string[] = [];
      const source = template.path.replace(/\{(\w+)\}/g, (_, name: string) => {
        params.push(name);
        return '([^/]+)';
      });
      return { template, pattern: new RegExp(`^${source}$`), params };
    })
    .sort((a, b) => a.params.length - b.params.length);
}

/**
 * The template for a method and path, with its decoded parameters; or the refusal: 404 for a
 * path no template has, 405 (with `Allow`) for one that exists under other methods, 400 for a
 * parameter that is not valid percent-encoding.
 */
export function resolveRoute<T extends RouteTemplate>(
  compiled: readonly CompiledTemplate<T>[],
  method: string,
  path: string,
): { template: T; params: Record<string, string> } | { refused: HttpError } {
  const allowed: string[] = [];
  for (const { template, pattern, params: names } of compiled) {
    const found = pattern.exec(path);
    if (!found) continue;
    if (template.method !== method) {
      allowed.push(template.method);
      continue;
    }
    const params: Record<string, string> = {};
    for (const [i, name] of names.entries()) {
      try {
        params[name] = decodeURIComponent(found[i + 1]!);
      } catch {
        return { refused: new BadRequestError(`Path parameter ${name} is not valid percent-encoding`) };
      }
    }
    return { template, params };
  }
  if (allowed.length > 0) return { refused: new MethodNotAllowedError([...new Set(allowed)]) };
  return { refused: new NotFoundError('No route matches this path') };
}

/** Which envelope a request that matched no route gets: the family its path belongs to. */
export function familyOfPath(path: string): ApiFamily {
  return path.startsWith('/api/v1/') ? 'v1' : 'environments';
}

/** Route templates as one environment variable: `GET /a,POST /a/{id}`. */
export function encodeTemplates(templates: readonly RouteTemplate[]): string {
  return templates.map(({ method, path }) => `${method} ${path}`).join(',');
}

export function decodeTemplates(encoded: string): RouteTemplate[] {
  return encoded
    .split(',')
    .filter(Boolean)
    .map((entry) => {
      const [method, path] = entry.split(' ');
      if (!method || !path?.startsWith('/')) throw new Error('ROUTE_TEMPLATES holds a malformed entry');
      return { method, path };
    });
}
