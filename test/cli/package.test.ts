import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCli } from '../../cli/build.js';
import { PROJECT_ROOT } from '../../infra/paths.js';

const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'));

function sources(folder: string): string[] {
  return readdirSync(join(PROJECT_ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(PROJECT_ROOT, join(entry.parentPath, entry.name)));
}

const importsOf = (module: string): { specifier: string; typeOnly: boolean }[] =>
  [
    ...readFileSync(join(PROJECT_ROOT, module), 'utf8').matchAll(
      /^(import|export)(\s+type)?\s[^;]*?\sfrom\s+'([^']+)'/gms,
    ),
  ].map((match) => ({ specifier: match[3]!, typeOnly: Boolean(match[2]) }));

describe('the secrets package', () => {
  it('installs `secrets` from the bundle that `npm ci` builds (prepare)', () => {
    expect(pkg.bin).toEqual({ secrets: 'dist/secrets.mjs' });
    expect(pkg.scripts.prepare).toContain('build:cli');
    expect(pkg.scripts['build:cli']).toBe('tsx cli/build.ts');
  });

  it('keeps client/ and cli/ off the service: no CDK, infra, handlers or AWS SDK, and lib/ only for pure rules or types', () => {
    const reaching = [...sources('client'), ...sources('cli')].flatMap((module) =>
      importsOf(module)
        .filter(
          ({ specifier, typeOnly }) =>
            /^(aws-cdk-lib|constructs|@aws-sdk|@middy)(\/|$)/.test(specifier) ||
            /\/(infra|functions)\//.test(specifier) ||
            (specifier.includes('/lib/') && !typeOnly && !/lib\/secrets\/(names|presets)\.js$/.test(specifier)),
        )
        .map(({ specifier }) => `${module} → ${specifier}`),
    );
    expect(reaching).toEqual([]);
  });

  it('bundles to one small ES module that imports nothing but Node built-ins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-bundle-'));
    try {
      const bundle = await buildCli(join(dir, 'secrets.mjs'));
      const code = readFileSync(bundle, 'utf8');
      expect(code.startsWith('#!/usr/bin/env node\n')).toBe(true);
      const imported = [...code.matchAll(/(?:from|import)\s*["']([^"']+)["']/g)].map((match) => match[1]);
      expect(imported.filter((specifier) => !specifier!.startsWith('node:'))).toEqual([]);
      expect(code.length).toBeLessThan(150_000);
      expect(code).not.toContain('@aws-sdk');
      expect(existsSync(bundle)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
