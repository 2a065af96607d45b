import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RouteHandler } from '../../lib/http/route.js';
import { buildOpenApiDocument, type OpenApiDocument, type OperationSource } from '../../lib/openapi/document.js';
import { functionEntry, PROJECT_ROOT } from '../paths.js';
import { type RouteDefinition, SERVED_ROUTES } from '../routes.js';

/** Where `npm run openapi` writes the document, and what `GET /openapi.json` serves. */
export const OPENAPI_FILE = join(PROJECT_ROOT, 'docs', 'openapi.json');

/**
 * The OpenAPI document of every served route: each API route's table entry joined with the
 * schemas its handler validates with (`handler.route`, set by `defineRoute`). Importing a
 * handler builds no connection: its clients are made lazily, as on the local gateway.
 */
export async function generateOpenApiDocument(
  routes: readonly RouteDefinition[] = SERVED_ROUTES,
): Promise<OpenApiDocument> {
  const sources = await Promise.all(routes.map(operationSource));
  const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  return buildOpenApiDocument(sources, version);
}

// The handlers load the AWS SDK, whose notice about the Node version is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function operationSource(route: RouteDefinition): Promise<OperationSource> {
  const base = { method: route.method, path: route.path, function: route.function, family: route.family };
  if (route.auth === 'none') return { ...base, auth: 'none' };
  const { handler } = (await import(pathToFileURL(functionEntry(route.function)).href)) as { handler: RouteHandler };
  const declared = handler.route;
  if (!declared) throw new Error(`${route.function}: its handler was not made by defineRoute`);
  if (declared.family !== route.family)
    throw new Error(`${route.function}: family ${declared.family} in the handler, ${route.family} in the route table`);
  if (declared.auth !== (route.auth ?? 'jwt'))
    throw new Error(
      `${route.function}: auth ${declared.auth} in the handler, ${route.auth ?? 'jwt'} in the route table`,
    );
  return {
    ...base,
    auth: declared.auth,
    scope: declared.scope,
    idempotent: declared.idempotent,
    pathSchema: declared.path,
    querySchema: declared.query,
    bodySchema: declared.body,
  };
}
