import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether a candidate equals a stored value, in time that depends on neither: both are hashed
 * first, so even their lengths are compared as fixed-size digests.
 */
export function valuesMatch(stored: string, candidate: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(stored), digest(candidate));
}
