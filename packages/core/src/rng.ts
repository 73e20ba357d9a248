import seedrandom from 'seedrandom';

/** A seeded uniform generator in [0, 1); the same seed always gives the same stream. */
export function makeRng(seed: number | string): () => number {
  return seedrandom(String(seed));
}

/** Fisher-Yates shuffle of a copy, driven by `rng`. */
export function shuffled<T>(items: readonly T[], rng: () => number): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
