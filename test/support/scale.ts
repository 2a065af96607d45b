/**
 * How much work the fuzz and soak suites do. `npm test` runs them at scale 1 (about a minute
 * together); `npm run soak` sets SOAK_SCALE=10 for a longer run. Seeds are fixed so a failure
 * reproduces; FUZZ_SEED / SOAK_SEED pick others.
 */
export const SCALE = positiveNumber(process.env.SOAK_SCALE, 1);

export function positiveNumber(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return text !== undefined && text !== '' && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same workload. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}
