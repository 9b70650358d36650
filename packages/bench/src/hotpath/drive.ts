import { BLOCK, type KGen } from '@daxref/core';
import { BenchError } from '../errors';

/**
 * Runs a kernel path to completion on the calling thread, for benchmarks: preemption points are
 * passed straight through; a path that would block is an error (a benchmark op must not wait).
 */
export function drive<T>(g: KGen<T>, what: string): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    if (r.value === BLOCK) throw new BenchError('USAGE', `benchmark op ${what} blocked; ops must not wait`);
  }
}
