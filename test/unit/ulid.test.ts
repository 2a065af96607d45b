import { describe, expect, it } from 'vitest';
import { ulid } from '../../lib/ulid.js';

describe('ulid', () => {
  it('is 26 Crockford base32 characters, the first ten the millisecond time', () => {
    expect(ulid(1469918176385)).toMatch(/^01ARYZ6S41[0-9A-HJKMNP-TV-Z]{16}$/);
    expect(ulid(0).slice(0, 10)).toBe('0000000000');
  });

  it('sorts by time, and differs within one millisecond', () => {
    expect(ulid(1_000) < ulid(1_001)).toBe(true);
    expect(ulid(5)).not.toBe(ulid(5));
  });
});
