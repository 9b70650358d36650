import type { Kernel } from '../kernel';
import type { KGen, Task } from '../sched/task';

/**
 * Hooks the kernel model calls at its entry points when `Kernel.hooks` is set (the explorer's
 * checkers and the trace). Null by default: each call site costs one null check.
 */
export interface KernelHooks {
  /** `t` entered kernel function `fn` on page `pfn` (the page-reference operations call this). */
  enter(t: Task, fn: string, pfn: number): void;
  /** `t` began a traced kernel operation (`kcall`). */
  begin(t: Task, fn: string): void;
  /** `t` ended the traced operation it began last. */
  end(t: Task, fn: string): void;
}

/**
 * Runs `body` as kernel operation `fn` of task `t`: the trace shows it as a slice, and references
 * taken inside it carry `fn` as their provenance. Costs one null check when no hooks are set.
 */
export function* kcall<T>(k: Kernel, t: Task, fn: string, body: KGen<T>): KGen<T> {
  const h = k.hooks;
  if (h === null) return yield* body;
  h.begin(t, fn);
  try {
    return yield* body;
  } finally {
    h.end(t, fn);
  }
}
