import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';

/**
 * A seeded generator whose state can be saved and restored (pure-rand's xoroshiro128+).
 * The model never calls Math.random().
 */
export class Rng {
  private gen: ReturnType<typeof xoroshiro128plus>;
  constructor(seed: number) {
    this.gen = xoroshiro128plus(seed | 0);
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : unsafeUniformIntDistribution(0, n - 1, this.gen);
  }

  /** A uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return unsafeUniformIntDistribution(lo, hi, this.gen);
  }

  /** The generator's state, for `restore`. */
  save(): readonly number[] {
    return this.gen.getState();
  }

  /** Restores a state from `save`. */
  restore(state: readonly number[]): void {
    this.gen = xoroshiro128plus.fromState(state);
  }
}
