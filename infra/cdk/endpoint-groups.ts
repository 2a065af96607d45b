import type { RouteDefinition } from '../routes.js';

/**
 * The API stack keeps each endpoint function, with its alarms and deployment group, in a
 * nested stack per group of routes, so that no template reaches CloudFormation's 500
 * resources. A route belongs to the first group whose path prefix its path starts with, else
 * to OTHER_ENDPOINTS. That follows from the route's own path only, so adding a route never
 * moves a function to another stack, which would replace it (and leave its log group behind).
 *
 * A group holds about 45 routes (10 resources each; test/cdk/route-tables.test.ts). Before one
 * fills up, add a group for the prefix of the new routes; never one that existing routes
 * match, and never rename a group (its id names the nested stack).
 */
export const ENDPOINT_GROUPS: readonly { id: string; pathPrefix: string }[] = [
  { id: 'UserSecretEndpoints', pathPrefix: '/api/v1' },
  // Before the environments group: the more specific prefix must come first.
  { id: 'EnvironmentSecretEndpoints', pathPrefix: '/api/environments/{id}/secrets' },
  { id: 'EnvironmentEndpoints', pathPrefix: '/api/environments' },
];
export const OTHER_ENDPOINTS = 'OtherEndpoints';

export function endpointGroupOf(route: Pick<RouteDefinition, 'path'>): string {
  const group = ENDPOINT_GROUPS.find(
    ({ pathPrefix }) => route.path === pathPrefix || route.path.startsWith(`${pathPrefix}/`),
  );
  return group?.id ?? OTHER_ENDPOINTS;
}

/**
 * The construct id of a route's function, from its route key (unique in an API), not from its
 * handler directory: renaming a directory does not replace the function, and the id reads
 * like the access log's `routeKey` (`GET /api/environments/{id}` → `GetApiEnvironmentsId`).
 */
export function endpointId(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  return pascalCase(`${route.method.toLowerCase()} ${route.path}`);
}

/** `answer-unmatched-route` → `AnswerUnmatchedRoute`. */
export function pascalCase(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
