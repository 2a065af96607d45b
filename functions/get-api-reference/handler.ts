import { apiReferencePage, staticHandler } from '../../lib/openapi/public-files.js';

/** `GET /docs`, without a token: the API reference, rendered from `openapi.json` by Swagger UI. */
export const handler = staticHandler(() => apiReferencePage(import.meta.url));
