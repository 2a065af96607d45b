import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for secret values under a tenant data key. Sealed layout: IV(12) | ciphertext | tag(16).
 * The AAD binds tenant, record, the secret's name (an environment secret's key), the value
 * version and the key version, so a ciphertext moved to another record, tenant, name or an
 * older version's slot, or relabelled with another key version, fails authentication.
 */
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class ValueIntegrityError extends Error {
  constructor() {
    super('Stored value failed authentication');
    this.name = 'ValueIntegrityError';
  }
}

export interface ValueBinding {
  tenant: string;
  recordId: string;
  /** The name the value is handed out under: a user secret's name, an environment secret's key. */
  name: string;
  /** The record version the value was written at. */
  valueVersion: number;
  keyVersion: number;
}

export function valueAad({ tenant, recordId, name, valueVersion, keyVersion }: ValueBinding): Buffer {
  return Buffer.from(JSON.stringify(['secret-value', tenant, recordId, name, valueVersion, keyVersion]));
}

export function sealValue(dataKey: Uint8Array, plaintext: string, binding: ValueBinding): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(valueAad(binding));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

export function openValue(dataKey: Uint8Array, sealed: Uint8Array, binding: ValueBinding): string {
  // Stryker disable next-line ConditionalExpression,ArithmeticOperator: equivalent, a short input also fails the decipher below; this says so first
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new ValueIntegrityError();
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(valueAad(binding));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new ValueIntegrityError();
  }
}
