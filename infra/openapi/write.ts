import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { generateOpenApiDocument, OPENAPI_FILE } from './generate.js';

/** `npm run openapi`: writes docs/openapi.json from the routes and their schemas. */
const document = await generateOpenApiDocument();
writeFileSync(OPENAPI_FILE, `${JSON.stringify(document, null, 2)}\n`);
const operations = Object.values(document.paths).reduce((sum, methods) => sum + Object.keys(methods).length, 0);
console.log(`wrote ${relative(process.cwd(), OPENAPI_FILE)}: ${operations} operations`);
