import { describe, expect, it } from 'vitest';
import { MASK, maskValue } from '../../lib/secrets/masking.js';

describe('maskValue', () => {
  it('hides values under 12 characters completely', () => {
    for (const value of ['a', 'example', '12345678901']) expect(maskValue(value)).toBe(MASK);
  });

  it('shows head and tail of a long key like the docs example', () => {
    expect(maskValue('sk-proj-0123456789abcdefghijkl789')).toBe('sk-pro••••789');
  });

  it('never reveals more than a third of the value nor more than 9 characters', () => {
    for (let length = 12; length <= 80; length++) {
      const value = 'x'.repeat(length);
      const revealed = maskValue(value).replace(MASK, '').length;
      expect(revealed).toBeLessThanOrEqual(Math.floor(length / 3));
      expect(revealed).toBeLessThanOrEqual(9);
      expect(revealed).toBeGreaterThan(0);
    }
  });

  it('keeps head and tail from the ends of the value at the 12-character boundary', () => {
    expect(maskValue('abcdefghijkl')).toBe('abc••••l');
  });

  it('counts code points, never splitting a character', () => {
    const value = '🔑'.repeat(30);
    const masked = maskValue(value);
    expect(masked).toBe(`${'🔑'.repeat(6)}${MASK}${'🔑'.repeat(3)}`);
    expect(masked).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});
