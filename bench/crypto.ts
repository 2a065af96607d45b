import { createCipheriv, randomBytes } from 'node:crypto';
import { sealValue } from '../lib/crypto/envelope.js';

/**
 * Our encrypt path (sealValue: UTF-8 encode, AAD binding, IV|ciphertext|tag layout) against
 * bare AES-256-GCM from node:crypto (fresh IV, encrypt, tag) on the same payload sizes.
 * MB is 10^6 bytes of plaintext.
 */
export const PAYLOAD_BYTES = [64, 1024, 64 * 1024] as const;
/** The size results.json reports: a generous API key or token. */
export const REPORTED_PAYLOAD_BYTES = 1024;

export interface CryptoFigures {
  bytes: number;
  sealMbPerSecond: number;
  rawMbPerSecond: number;
}

export function measureCrypto(millisPerCase: number): CryptoFigures[] {
  const key = randomBytes(32);
  const binding = {
    tenant: 'USER#bench',
    recordId: '00000000-0000-4000-8000-000000000000',
    name: 'BENCH_SECRET',
    valueVersion: 1,
    keyVersion: 1,
  };
  return PAYLOAD_BYTES.map((bytes) => {
    const text = 'x'.repeat(bytes);
    const buffer = Buffer.from(text);
    const raw = () => {
      const cipher = createCipheriv('aes-256-gcm', key, randomBytes(12));
      cipher.update(buffer);
      cipher.final();
      return cipher.getAuthTag();
    };
    const seal = () => sealValue(key, text, binding);
    // A short unrecorded pass of each first, so neither is measured before the JIT has seen it.
    throughput(raw, bytes, millisPerCase / 4);
    throughput(seal, bytes, millisPerCase / 4);
    return {
      bytes,
      rawMbPerSecond: throughput(raw, bytes, millisPerCase),
      sealMbPerSecond: throughput(seal, bytes, millisPerCase),
    };
  });
}

/** Runs `encrypt` in rounds of 64 until `millis` have passed; MB/s of plaintext. */
function throughput(encrypt: () => unknown, bytes: number, millis: number): number {
  let operations = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < millis) {
    for (let i = 0; i < 64; i++) encrypt();
    operations += 64;
    elapsed = performance.now() - started;
  }
  return (operations * bytes) / 1e6 / (elapsed / 1000);
}
