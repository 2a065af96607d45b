import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli } from '../../cli/build.js';

/**
 * Runs the bundled `secrets` CLI the way a user does: `node <bundle> …` in a process of its
 * own, with its own HOME and XDG directories (so config and fallback files land in a
 * throwaway place), and no SECRETS_* variables but the ones a test passes.
 */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  input?: string;
  env?: Record<string, string | undefined>;
}

export interface CliSandbox {
  bundle: string;
  home: string;
  configDir: string;
  fallbackDir: string;
  env(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv;
  run(args: string[], options?: CliRunOptions): Promise<CliResult>;
  spawn(args: string[], options?: CliRunOptions): ChildProcess;
  cleanup(): void;
}

/** Bundles the CLI into a directory of its own (so the test runs the current sources) and a sandbox around it. */
export async function cliSandbox(): Promise<CliSandbox> {
  const root = mkdtempSync(join(tmpdir(), 'secrets-cli-'));
  const bundle = await buildCli(join(root, 'secrets.mjs'));
  const home = join(root, 'home');
  const env = (extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => {
    const base: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (!name.startsWith('SECRETS_') && !name.startsWith('XDG_')) base[name] = value;
    }
    const merged: NodeJS.ProcessEnv = {
      ...base,
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_CACHE_HOME: join(home, 'cache'),
    };
    for (const [name, value] of Object.entries(extra)) {
      if (value === undefined) delete merged[name];
      else merged[name] = value;
    }
    return merged;
  };
  const spawnCli = (args: string[], options: CliRunOptions = {}) => {
    const child = spawn(process.execPath, [bundle, ...args], {
      env: env(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin!.end(options.input ?? '');
    return child;
  };
  return {
    bundle,
    home,
    configDir: join(home, 'config', 'secrets'),
    fallbackDir: join(home, 'cache', 'secrets', 'fallback'),
    env,
    spawn: spawnCli,
    run: (args, options) => collect(spawnCli(args, options)),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export function collect(child: ChildProcess): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Resolves once `text` appears on the child's stdout. */
export function waitForOutput(child: ChildProcess, text: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`no "${text}" within ${timeoutMs} ms; saw ${JSON.stringify(seen)}`)),
      timeoutMs,
    );
    child.stdout!.on('data', (chunk: Buffer | string) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}
