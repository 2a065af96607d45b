import { describe, expect, it } from 'vitest';
import { systemClock, timestampOf } from '../../lib/clock.js';

describe('clock', () => {
  it('shows timestamps in UTC to the second, as the API does', () => {
    expect(timestampOf(new Date('2026-04-15T12:00:00.987Z'))).toBe('2026-04-15T12:00:00Z');
  });

  it('reads the system time', () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
