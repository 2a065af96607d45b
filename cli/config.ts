import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { CliError, EXIT } from './exit-codes.js';
import { warn } from './io.js';

/** Where `secrets login` keeps the endpoint and token, and `run` its encrypted fallbacks. */
export const DEFAULT_URL = 'http://127.0.0.1:3000';

export interface StoredConfig {
  url: string;
  token: string;
}

export interface Connection {
  url: string;
  token: string;
  /** Where the token came from, for messages. */
  source: 'SECRETS_TOKEN' | 'config';
}

function xdgDir(variable: string, fallback: string[]): string {
  const value = process.env[variable];
  return value && isAbsolute(value) ? join(value, 'secrets') : join(homedir(), ...fallback, 'secrets');
}

/** `$XDG_CONFIG_HOME/secrets`, else `~/.config/secrets`. */
export const configDir = (): string => xdgDir('XDG_CONFIG_HOME', ['.config']);
/** `$XDG_CACHE_HOME/secrets`, else `~/.cache/secrets`. */
export const cacheDir = (): string => xdgDir('XDG_CACHE_HOME', ['.cache']);
export const configFile = (): string => join(configDir(), 'config.json');

export function readConfig(): StoredConfig | undefined {
  const file = configFile();
  if (!existsSync(file)) return undefined;
  if ((statSync(file).mode & 0o077) !== 0) {
    warn(`${file} is readable by other users; run: chmod 600 ${file}`);
  }
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredConfig>;
    if (typeof parsed.url === 'string' && typeof parsed.token === 'string')
      return { url: parsed.url, token: parsed.token };
  } catch {
    // described below
  }
  throw new CliError(`${file} is not a config file this CLI wrote`, EXIT.failure, 'log in again with: secrets login');
}

/** Writes the config as a 0600 file in a 0700 directory, replacing the old one in one rename. */
export function writeConfig(config: StoredConfig): string {
  const file = configFile();
  writePrivateFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

export function removeConfig(): boolean {
  const file = configFile();
  if (!existsSync(file)) return false;
  rmSync(file);
  return true;
}

/** A file only its owner can read, written whole (temporary file, then rename). */
export function writePrivateFile(file: string, content: string | Buffer): void {
  const dir = join(file, '..');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, content, { mode: 0o600, flag: 'w' });
    // A umask cannot loosen 0600, but a pre-existing temporary file would keep its mode.
    chmodSync(temporary, 0o600);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** The endpoint: `SECRETS_URL`, else the config's, else the local default. */
export function resolveUrl(config = safeReadConfig()): string {
  return (process.env.SECRETS_URL || config?.url || DEFAULT_URL).replace(/\/+$/, '');
}

/** Endpoint and token for a call: `SECRETS_URL`/`SECRETS_TOKEN` override the config file. */
export function resolveConnection(): Connection {
  const envToken = process.env.SECRETS_TOKEN;
  const config = envToken ? safeReadConfig() : readConfig();
  const token = envToken || config?.token;
  if (!token) {
    throw new CliError('not logged in', EXIT.auth, 'run `secrets login` (or set SECRETS_TOKEN and SECRETS_URL)');
  }
  return { url: resolveUrl(config), token, source: envToken ? 'SECRETS_TOKEN' : 'config' };
}

function safeReadConfig(): StoredConfig | undefined {
  try {
    return readConfig();
  } catch {
    return undefined;
  }
}

/** The claims of a JWT, read without verifying (for messages only: the service verifies). */
export function jwtClaims(token: string): { sub?: string; scope?: string; exp?: number } | undefined {
  const payload = token.split('.')[1];
  if (!payload || token.split('.').length !== 3) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

export const isServiceToken = (token: string): boolean => token.startsWith('sst_');
