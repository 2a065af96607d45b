import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FallbackSlot, fallbackFile, loadFallback, saveFallback } from '../../cli/fallback.js';

let dir: string;
let slot: FallbackSlot;

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'fallback-')), 'fallback');
  slot = { dir, endpoint: 'http://127.0.0.1:3000', scope: 'user', token: 'eyJ.token.signature' };
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

describe('offline fallback file', () => {
  it('round-trips the values and when they were saved, in a 0600 file in a 0700 directory', () => {
    const savedAt = new Date('2025-01-02T03:04:05.000Z');
    const file = saveFallback(slot, { API_KEY: 'plain-value-123', OTHER: 'x' }, savedAt);
    expect(file).toBe(fallbackFile(slot));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(loadFallback(slot)).toEqual({ found: true, env: { API_KEY: 'plain-value-123', OTHER: 'x' }, savedAt, file });
    const content = readFileSync(file, 'utf8');
    for (const needle of ['plain-value-123', 'API_KEY', slot.token, slot.endpoint]) {
      expect(content).not.toContain(needle);
      expect(content).not.toContain(Buffer.from(needle).toString('base64'));
    }
  });

  it('uses a fresh salt and IV for each save', () => {
    const first = readFileSync(saveFallback(slot, { A: 'same' }), 'utf8');
    const second = readFileSync(saveFallback(slot, { A: 'same' }), 'utf8');
    expect(JSON.parse(first).salt).not.toBe(JSON.parse(second).salt);
    expect(JSON.parse(first).data).not.toBe(JSON.parse(second).data);
  });

  it('opens only with the same token, for the same endpoint and scope, unaltered', () => {
    saveFallback(slot, { A: 'value' });
    expect(loadFallback({ ...slot, token: 'another' })).toMatchObject({
      found: false,
      reason: expect.stringContaining('another token'),
    });

    // A file copied into another scope's slot fails to open there.
    const other = { ...slot, scope: 'env:staging' };
    copyFileSync(fallbackFile(slot), fallbackFile(other));
    expect(loadFallback(other)).toMatchObject({ found: false });

    const tampered = JSON.parse(readFileSync(fallbackFile(slot), 'utf8'));
    const data = Buffer.from(tampered.data, 'base64');
    data[0]! ^= 1;
    writeFileSync(fallbackFile(slot), JSON.stringify({ ...tampered, data: data.toString('base64') }));
    expect(loadFallback(slot)).toMatchObject({ found: false });

    writeFileSync(fallbackFile(slot), 'not json');
    expect(loadFallback(slot)).toMatchObject({ found: false, reason: 'the fallback file is damaged' });
    expect(loadFallback({ ...slot, scope: 'env:never' })).toMatchObject({
      found: false,
      reason: 'no values were saved for it yet',
    });
  });
});
