import { describe, expect, it } from 'vitest';
import { valuesMatch } from '../../lib/crypto/compare.js';

describe('valuesMatch', () => {
  it('matches equal values only, whatever their lengths', () => {
    expect(valuesMatch('sk-live-123', 'sk-live-123')).toBe(true);
    expect(valuesMatch('sk-live-123', 'sk-live-124')).toBe(false);
    expect(valuesMatch('sk-live-123', 'sk-live-1234')).toBe(false);
    expect(valuesMatch('sk-live-123', '')).toBe(false);
    expect(valuesMatch('ünïcødé 🔑', 'ünïcødé 🔑')).toBe(true);
    expect(valuesMatch('ünïcødé 🔑', 'unicode 🔑')).toBe(false);
  });
});
