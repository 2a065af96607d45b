import { describe, expect, it } from 'vitest';
import { valueBytes } from '../../lib/quota/quota.js';

describe('what a value counts toward the quota', () => {
  it('is the bytes it takes in an inject response as Lambda returns it', () => {
    expect(valueBytes('abc')).toBe(3);
    expect(valueBytes('€')).toBe(3);
    expect(valueBytes('🔑')).toBe(4);
    // JSON escapes them in the body, and the Lambda payload escapes the body once more.
    expect(valueBytes('"')).toBe(4);
    expect(valueBytes('\\')).toBe(4);
    expect(valueBytes('\n')).toBe(3);
    expect(valueBytes('\u0001')).toBe(7);
  });

  it('matches the growth of a real inject payload', () => {
    const env = { A: 'plain', B: 'quote"s and \\ back\nslash \u0001 €' };
    const payload = (values: Record<string, string>) =>
      Buffer.byteLength(JSON.stringify({ statusCode: 200, body: JSON.stringify({ env: values }) }));
    const empty = payload({ A: '', B: '' });
    expect(payload(env) - empty).toBe(valueBytes(env.A) + valueBytes(env.B));
  });
});
