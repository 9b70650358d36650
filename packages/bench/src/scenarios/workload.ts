import type { Kernel, KGen, Task } from '@daxref/core';
import { fullTeardown } from './tasks';
import type { DaxWorld, Mapping } from './world';

/** Context of the workloads: the world and the mappings to tear down. */
export interface WorkCtx {
  w: DaxWorld;
  maps: Mapping[];
}

/** A workload's teardown: `fullTeardown` of every mapping's mm and file. */
export function* closeAll(k: Kernel, t: Task, c: WorkCtx): KGen {
  yield* fullTeardown(
    k,
    t,
    c.w,
    c.maps.map((m) => m.mm),
    c.maps.map((m) => m.file),
  );
}

/**
 * A workload's own expectation. When it does not hold and the model has already reported a
 * violation, that violation is the verdict and the workload stops (returns false); when it does
 * not hold with nothing reported, the workload or the model is wrong: that is an error.
 */
export function ensure(k: Kernel, cond: boolean, what: string): boolean {
  if (cond) return true;
  if (k.violations.length > 0) return false;
  throw new Error(`workload check failed: ${what}`);
}
