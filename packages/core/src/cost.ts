/**
 * Deterministic cost counters for the hot-path comparison (DOMAIN §7). The model increments them
 * only when a `CostCounters` is attached (`kernel.cost`); detached, each site is one null check.
 */
export class CostCounters {
  /** Atomic read-modify-writes on shared cache lines (`atomic_inc`, `page_ref_sub_return`, …). */
  atomics = 0;
  /** Per-CPU operations (`percpu_ref_get` / `_put` in percpu mode, `this_cpu_inc`). */
  percpu = 0;
  /** Conditional branches taken on the zone-device / policy path. */
  branches = 0;
  /** Distinct cache lines touched since the last `begin()`. */
  cachelines = 0;
  /** `wake_up_var` / completion wakes issued. */
  wakes = 0;
  /** `get_dev_pagemap` lookups (cached hit or xarray walk). */
  pgmapLookups = 0;
  private readonly lines = new Set<number>();

  /** Starts a new operation window: distinct cache lines are counted per window. */
  begin(): void {
    this.lines.clear();
  }

  /** Records a touch of cache line `line` (a struct page line: its pfn; a pgmap: `-1 - id`). */
  touch(line: number): void {
    if (!this.lines.has(line)) {
      this.lines.add(line);
      this.cachelines++;
    }
  }

  /** Zeroes every counter. */
  reset(): void {
    this.atomics = 0;
    this.percpu = 0;
    this.branches = 0;
    this.cachelines = 0;
    this.wakes = 0;
    this.pgmapLookups = 0;
    this.lines.clear();
  }

  /** A plain-object copy of the counters. */
  snapshot(): CostSnapshot {
    return {
      atomics: this.atomics,
      percpu: this.percpu,
      branches: this.branches,
      cachelines: this.cachelines,
      wakes: this.wakes,
      pgmapLookups: this.pgmapLookups,
    };
  }
}

/** The counters of one measurement, as written to `bench.json`. */
export interface CostSnapshot {
  atomics: number;
  percpu: number;
  branches: number;
  cachelines: number;
  wakes: number;
  pgmapLookups: number;
}

/** The cache line of a dev_pagemap (its struct plus its percpu_ref header). */
export function pgmapLine(id: number): number {
  return -1 - id;
}
