import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/paths.js';

/**
 * The layers of lib/, lowest first (docs/architecture.md). A module may import its own layer
 * and the ones below it, never one above: the store knows nothing of the domain, the domain
 * nothing of HTTP, and only the composition root builds concrete dependencies.
 */
const LAYERS: { name: string; modules: RegExp }[] = [
  { name: 'base', modules: /^lib\/(config|log|clock|ulid|errors|fields|precondition)\.ts$/ },
  { name: 'store', modules: /^lib\/store\// },
  { name: 'crypto', modules: /^lib\/crypto\// },
  { name: 'deps', modules: /^lib\/app\/deps\.ts$/ },
  { name: 'domain', modules: /^lib\/(audit|secrets|environments|tokens|events|rotation|idempotency|quota|versions)\// },
  { name: 'http', modules: /^lib\/(http|auth)\// },
  // The API's description (OpenAPI document, response schemas, the public docs files): read by
  // the documentation functions and the tests, never by an endpoint.
  { name: 'api description', modules: /^lib\/openapi\// },
  { name: 'composition', modules: /^lib\/app\/process-deps\.ts$/ },
  { name: 'entries', modules: /^functions\// },
];

const layerOf = (module: string): number => LAYERS.findIndex((layer) => layer.modules.test(module));

function sourcesUnder(folder: string): string[] {
  return readdirSync(join(PROJECT_ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(PROJECT_ROOT, join(entry.parentPath, entry.name)));
}

/** Every `import … from '<specifier>'` and `export … from` of a module, type-only ones included. */
function importsOf(module: string): string[] {
  const source = readFileSync(join(PROJECT_ROOT, module), 'utf8');
  return [...source.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gms)].map((match) => match[1]!);
}

const resolveLocal = (module: string, specifier: string): string =>
  relative(PROJECT_ROOT, resolve(PROJECT_ROOT, dirname(module), specifier)).replace(/\.js$/, '.ts');

const modules = [...sourcesUnder('lib'), ...sourcesUnder('functions')];

describe('layering', () => {
  it('places every module of lib/ and functions/ in a layer', () => {
    expect(modules.filter((module) => layerOf(module) < 0)).toEqual([]);
    expect(modules.length).toBeGreaterThan(40);
  });

  it('imports only from the same layer or below', () => {
    const upward = modules.flatMap((module) =>
      importsOf(module)
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => resolveLocal(module, specifier))
        .filter((target) => layerOf(target) > layerOf(module))
        .map((target) => `${module} (${LAYERS[layerOf(module)]!.name}) → ${target} (${LAYERS[layerOf(target)]?.name})`),
    );
    expect(upward).toEqual([]);
  });

  it('keeps infrastructure code out of what runs in Lambda', () => {
    const reachingInfra = modules.filter((module) =>
      importsOf(module).some(
        (specifier) => /^(aws-cdk-lib|constructs)(\/|$)/.test(specifier) || specifier.includes('/infra/'),
      ),
    );
    expect(reachingInfra).toEqual([]);
  });

  it('sees imports the way the rule reads them', () => {
    expect(resolveLocal('lib/store/items/member.ts', '../keys.js')).toBe('lib/store/keys.ts');
    expect(layerOf('lib/store/items/member.ts')).toBeLessThan(layerOf('lib/environments/members.ts'));
    expect(importsOf('lib/app/deps.ts')).toContain('../crypto/keyring.js');
  });
});

describe('item modules', () => {
  it('export each operation on its own, so that a bundle keeps only the operations its route calls', () => {
    const objectsOfOperations = sourcesUnder('lib/store/items').flatMap((module) =>
      [...readFileSync(join(PROJECT_ROOT, module), 'utf8').matchAll(/^export const (\w+) = \{\n([\s\S]*?)^\};/gm)]
        .filter(([, , body]) => /^ {2}(?:async )?\w+(?:\(|: (?:async )?\()/m.test(body!))
        .map(([, name]) => `${module}: ${name}`),
    );
    expect(objectsOfOperations).toEqual([]);
    expect(sourcesUnder('lib/store/items').length).toBeGreaterThan(10);
  });
});
