import type { Policy } from '@daxref/core';
import { describe, expect, it } from 'vitest';
import { type ConformanceApi, describeConformance } from './conformance';

/** Options of `runConformance`. */
export interface RunConformanceOptions {
  /** The variant ids to run (default: every variant the policy declares). */
  variants?: readonly string[];
  /** The test functions to register with (default: Vitest's `describe`, `it`, `expect`). */
  api?: ConformanceApi;
}

/**
 * Registers daxref's conformance suite with Vitest for a policy factory, once per variant, as
 * a policy package's test file: `runConformance(createMyPolicy)`. A shipped design (by name and
 * variant) gets its DOMAIN rows event by event; any other design gets its identity checked and
 * the invariants every design keeps: FOLL_LONGTERM refused on FSDAX, and every reference dropped
 * by full teardown (fork, split, mremap, GUP) so that unbind completes with no violation.
 */
export function runConformance(
  factory: (variant?: string) => Policy,
  options: RunConformanceOptions = {},
): void {
  const api = options.api ?? { describe, it, expect };
  const variants = options.variants ?? factory().variants.map((v) => v.id);
  for (const v of variants) describeConformance(api, (id) => factory(id), v);
}
