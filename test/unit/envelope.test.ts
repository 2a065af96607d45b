import { createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openValue, sealValue, ValueIntegrityError, valueAad } from '../../lib/crypto/envelope.js';

const key = randomBytes(32);
const binding = {
  tenant: 'USER#alice',
  recordId: '6f1c8f5e-54a4-4c0e-9d53-3f7a4b1e2c10',
  name: 'OPENAI_API_KEY',
  valueVersion: 4,
  keyVersion: 1,
};

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

  it('fails closed with one error that names no detail', () => {
    const error = new ValueIntegrityError();
    expect(error.message).toBe('Stored value failed authentication');
    expect(error.name).toBe('ValueIntegrityError');
    expect(() => openValue(key, Buffer.alloc(27), binding)).toThrow(ValueIntegrityError);
    expect(() => openValue(key, Buffer.alloc(0), binding)).toThrow(ValueIntegrityError);
  });

  it('rejects a tampered ciphertext', () => {
    const sealed = sealValue(key, 'value', binding);
    sealed[14]! ^= 0x01;
    expect(() => openValue(key, sealed, binding)).toThrow(ValueIntegrityError);
  });

  it('rejects a ciphertext moved to another record, tenant, name, value version or key version', () => {
    const sealed = sealValue(key, 'value', binding);
    expect(() => openValue(key, sealed, { ...binding, recordId: 'other-record' })).toThrow(ValueIntegrityError);
    expect(() => openValue(key, sealed, { ...binding, name: 'LD_PRELOAD' })).toThrow(ValueIntegrityError);
    expect(() => openValue(key, sealed, { ...binding, valueVersion: 3 })).toThrow(ValueIntegrityError);
    expect(() => openValue(key, sealed, { ...binding, tenant: 'USER#mallory' })).toThrow(ValueIntegrityError);
    expect(() => openValue(key, sealed, { ...binding, keyVersion: 2 })).toThrow(ValueIntegrityError);
  });

  it('rejects the wrong key and truncated input', () => {
    const sealed = sealValue(key, 'value', binding);
    expect(() => openValue(randomBytes(32), sealed, binding)).toThrow(ValueIntegrityError);
    expect(() => openValue(key, sealed.subarray(0, 20), binding)).toThrow(ValueIntegrityError);
  });

  it('round-trips the empty value, the shortest sealed form (IV and tag only)', () => {
    const sealed = sealValue(key, '', binding);
    expect(sealed).toHaveLength(28);
    expect(openValue(key, sealed, binding)).toBe('');
    expect(() => openValue(key, sealed.subarray(1), binding)).toThrow(ValueIntegrityError);
  });
});

/**
 * Every stored value depends on this format: a change to the layout or the AAD would make
 * every value written before a deploy unreadable after it.
 */
describe('sealed value format', () => {
  const fixedKey = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  const kat = {
    tenant: 'USER#alice',
    recordId: '6f1c8f5e-54a4-4c0e-9d53-3f7a4b1e2c10',
    name: 'OPENAI_API_KEY',
    valueVersion: 7,
    keyVersion: 3,
  };
  const vector = Buffer.from(
    '000102030405060708090a0b3469fb70ab8ab575a020f9f8c68c0a252b25699699e7a53c933b762fd97002',
    'hex',
  );

  it('opens a value sealed by an earlier release (known-answer vector)', () => {
    expect(openValue(fixedKey, vector, kat)).toBe('sk-known-answer');
  });

  it('binds tenant, record id, name, value version and key version as a JSON array behind a fixed label', () => {
    expect(valueAad(kat).toString('utf8')).toBe(
      '["secret-value","USER#alice","6f1c8f5e-54a4-4c0e-9d53-3f7a4b1e2c10","OPENAI_API_KEY",7,3]',
    );
  });

  it('lays a sealed value out as IV(12) | ciphertext | tag(16), AES-256-GCM', () => {
    const sealed = sealValue(fixedKey, 'sk-known-answer', kat);
    expect(sealed).toHaveLength(12 + 'sk-known-answer'.length + 16);
    const decipher = createDecipheriv('aes-256-gcm', fixedKey, sealed.subarray(0, 12));
    decipher.setAAD(valueAad(kat));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    const plaintext = Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
    expect(plaintext.toString('utf8')).toBe('sk-known-answer');
  });

  it('opens a value held in a view into a larger buffer', () => {
    const framed = Buffer.concat([Buffer.from('prefix'), vector, Buffer.from('suffix')]);
    expect(openValue(fixedKey, framed.subarray(6, 6 + vector.length), kat)).toBe('sk-known-answer');
  });
});
