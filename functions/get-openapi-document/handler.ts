import document from '../../docs/openapi.json' with { type: 'json' };
import { jsonDocument, staticHandler } from '../../lib/openapi/public-files.js';

/** `GET /openapi.json`, without a token: the document `npm run openapi` wrote (docs/openapi.md). */
export const handler = staticHandler(() => jsonDocument(document));
