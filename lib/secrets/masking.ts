export const MASK = '••••';

/**
 * Display form of a value: head + •••• + tail revealing at most a third of the value and at
 * most 9 characters (e.g. `sk-pro••••789`). Values under 12 characters reveal nothing.
 * Counts code points, so a masked value never splits a character.
 */
export function maskValue(value: string): string {
  const chars = Array.from(value);
  if (chars.length < 12) return MASK;
  const revealed = Math.min(9, Math.floor(chars.length / 3));
  const tail = Math.floor(revealed / 3);
  const head = revealed - tail;
  return chars.slice(0, head).join('') + MASK + chars.slice(chars.length - tail).join('');
}
