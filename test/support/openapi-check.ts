import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { OPENAPI_FILE } from '../../infra/openapi/generate.js';
import { compileTemplates, resolveRoute } from '../../lib/http/route-match.js';

/**
 * Checks an answer of the service against the OpenAPI document it serves (docs/openapi.json):
 * its status must be one the operation lists, and its body must validate against that
 * response's schema. test/support/stack.ts runs it on every `call`, so the document cannot
 * drift from what the service answers while the integration tests pass.
 */

type Json = Record<string, any>;

const SPEC_ID = 'openapi.json';
const document: Json = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'));

// ajv-formats is CommonJS; its function is the default export's default under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
// The whole document, so that the schemas' `#/components/schemas/…` references resolve in it.
ajv.addSchema(document, SPEC_ID);

const operations = compileTemplates(
  Object.entries(document.paths as Json).flatMap(([path, methods]) =>
    Object.keys(methods as Json).map((method) => ({ method: method.toUpperCase(), path })),
  ),
);

const validators = new Map<string, ValidateFunction>();

const pointer = (...tokens: string[]) =>
  `#/${tokens.map((token) => token.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

function resolve(pointerText: string): { value: Json; at: string } {
  let value: any = document;
  for (const token of pointerText.replace(/^#\//, '').split('/')) {
    value = value?.[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return { value, at: pointerText };
}

/**
 * The problems of one answer (none when it matches the document). An answer to a path no
 * operation has (a 404 or 405 of the `$default` route, the JWKS) is not the document's to check.
 */
export function checkAgainstSpec(
  method: string,
  target: string,
  answer: { status: number; headers: Headers; text: string },
): string[] {
  const path = new URL(target, 'http://localhost').pathname;
  const matched = resolveRoute(operations, method.toUpperCase(), path);
  if ('refused' in matched) return [];
  const { path: template } = matched.template;
  const verb = method.toLowerCase();
  const where = `${method.toUpperCase()} ${template} → ${answer.status}`;

  const listed = document.paths[template][verb].responses[String(answer.status)];
  if (!listed) return [`${where}: the document lists no ${answer.status} for this operation`];
  const { value: response, at } = listed.$ref
    ? resolve(listed.$ref)
    : { value: listed, at: pointer('paths', template, verb, 'responses', String(answer.status)) };

  const content = response.content as Json | undefined;
  if (!content) {
    return answer.text === '' ? [] : [`${where}: the document describes no body, the answer has one`];
  }
  const type = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (!content[type]) return [`${where}: content-type ${type || '(none)'}, the document has ${Object.keys(content)}`];
  if (type !== 'application/json') return [];
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return [`${where}: the body is not JSON: ${answer.text.slice(0, 200)}`];
  }
  const schemaAt = `${at}/content/${'application~1json'}/schema`;
  let validate = validators.get(schemaAt);
  if (!validate) {
    validate = ajv.getSchema(`${SPEC_ID}${schemaAt}`);
    if (!validate) return [`${where}: no schema at ${schemaAt}`];
    validators.set(schemaAt, validate);
  }
  if (validate(body)) return [];
  const errors = (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`);
  return [`${where}: the body does not match the document (${errors.join('; ')}): ${answer.text.slice(0, 300)}`];
}
