import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openValue, sealValue, ValueIntegrityError } from '../../lib/crypto/envelope.js';

const key = randomBytes(32);
const binding = { tenant: 'USER#alice', recordId: '6f1c8f5e-54a4-4c0e-9d53-3f7a4b1e2c10', keyVersion: 1 };

describe('value envelope', () => {
  it('round-trips UTF-8 values and never stores them in the clear', () => {
    const value = 'sk-live-ünïcødé-🔑-0123456789';
    const sealed = sealValue(key, value, binding);
    expect(sealed.includes(Buffer.from(value))).toBe(false);
    expect(openValue(key, sealed, binding)).toBe(value);
  });

  it('uses a fresh IV each time', () => {
    expect(sealValue(key, 'same', binding).equals(sealValue(key, 'same', binding))).toBe(false);
  });

  it('rejects a tampered ciphertext', () => {
    const sealed = sealValue(key, 'value', binding);
    sealed[14]! ^= 0x01;
    expect(() => openValue(key, sealed, binding)).toThrow(ValueIntegrityError);
  });

  it('rejects a ciphertext moved to another record, tenant or key version', () => {
    const sealed = sealValue(key, 'value', binding);
    expect(() => openValue(key, sealed, { ...binding, recordId: 'other-record' })).toThrow(ValueIntegrityError);
    expect(() => openValue(key, sealed, { ...binding, tenant: 'USER#mallory' })).toThrow(ValueIntegrityError);
    expect(() => openValue(key, sealed, { ...binding, keyVersion: 2 })).toThrow(ValueIntegrityError);
  });

  it('rejects the wrong key and truncated input', () => {
    const sealed = sealValue(key, 'value', binding);
    expect(() => openValue(randomBytes(32), sealed, binding)).toThrow(ValueIntegrityError);
    expect(() => openValue(key, sealed.subarray(0, 20), binding)).toThrow(ValueIntegrityError);
  });
});
