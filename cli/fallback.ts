import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from './config.js';

/**
 * The offline fallback of `secrets run`: the last set of variables the service handed out for
 * one endpoint and scope, kept encrypted so that a program can still start while the service
 * cannot be reached. AES-256-GCM under a key derived with HKDF-SHA256 from the token (which
 * carries at least 256 bits of entropy, so a slow KDF would add latency to every run without
 * adding strength) and a fresh random salt per write; the endpoint and scope are bound as
 * associated data, so a file copied to another slot fails to open. The file is 0600; it holds
 * no plaintext, and without the token it is noise.
 */
const VERSION = 1;
const INFO = 'secrets-cli fallback v1';

interface FallbackFile {
  v: number;
  kdf: 'hkdf-sha256';
  salt: string;
  iv: string;
  tag: string;
  data: string;
}

interface Payload {
  savedAt: string;
  env: Record<string, string>;
}

export interface FallbackSlot {
  /** The directory holding every fallback file. */
  dir: string;
  endpoint: string;
  /** `user`, `env:<id or name as given>` or `service`. */
  scope: string;
  token: string;
}

export type LoadedFallback =
  | { found: true; env: Record<string, string>; savedAt: Date; file: string }
  | { found: false; reason: string; file: string };

/** One file per endpoint and scope, named by a hash so the name reveals neither. */
export function fallbackFile(slot: Pick<FallbackSlot, 'dir' | 'endpoint' | 'scope'>): string {
  const id = createHash('sha256').update(`${slot.endpoint}\n${slot.scope}`).digest('hex').slice(0, 32);
  return join(slot.dir, `${id}.json`);
}

const aad = (slot: FallbackSlot): Buffer => Buffer.from(`${INFO}\n${slot.endpoint}\n${slot.scope}`);

function keyFor(slot: FallbackSlot, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', slot.token, salt, `${INFO}\n${slot.endpoint}\n${slot.scope}`, 32));
}

export function saveFallback(slot: FallbackSlot, env: Record<string, string>, now = new Date()): string {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(slot, salt), iv);
  cipher.setAAD(aad(slot));
  const payload: Payload = { savedAt: now.toISOString(), env };
  const data = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  const file: FallbackFile = {
    v: VERSION,
    kdf: 'hkdf-sha256',
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
  const path = fallbackFile(slot);
  writePrivateFile(path, `${JSON.stringify(file)}\n`);
  return path;
}

export function loadFallback(slot: FallbackSlot): LoadedFallback {
  const path = fallbackFile(slot);
  if (!existsSync(path)) return { found: false, reason: 'no values were saved for it yet', file: path };
  let file: FallbackFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as FallbackFile;
  } catch {
    return { found: false, reason: 'the fallback file is damaged', file: path };
  }
  if (file.v !== VERSION) return { found: false, reason: `the fallback file has version ${file.v}`, file: path };
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      keyFor(slot, Buffer.from(file.salt, 'base64')),
      Buffer.from(file.iv, 'base64'),
    );
    decipher.setAAD(aad(slot));
    decipher.setAuthTag(Buffer.from(file.tag, 'base64'));
    const text = Buffer.concat([decipher.update(Buffer.from(file.data, 'base64')), decipher.final()]).toString('utf8');
    const payload = JSON.parse(text) as Payload;
    return { found: true, env: payload.env, savedAt: new Date(payload.savedAt), file: path };
  } catch {
    return {
      found: false,
      reason: 'the fallback was saved with another token (or was altered) and cannot be opened',
      file: path,
    };
  }
}
