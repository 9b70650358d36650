import type { Policy, Scenario, ViolationKind } from '@daxref/core';

/** What the catalogue expects of a cell: `pass`, the violation kind a failure shows, or `n/a`. */
export type Expected = 'pass' | ViolationKind | 'n/a';

/** An expectation, and whether the sources establish it (`must`) or the model predicts it. */
export interface Expectation {
  readonly verdict: Expected;
  readonly must?: boolean;
}

/** A catalogue entry: the scenario, when it applies, and the verdicts DOMAIN §6 knows. */
export interface CatalogueEntry {
  // biome-ignore lint/suspicious/noExplicitAny: scenarios have their own context types
  readonly scenario: Scenario<any>;
  /** `failure`: a known failure sequence; `workload`: a normal workload that must pass. */
  readonly kind: 'failure' | 'workload';
  /** Null when the scenario can arise under the policy; else why it cannot (the cell is `n/a`). */
  applies?(p: Policy): string | null;
  /** Expected verdicts by full policy id (`1based@v6.14`); absent ids have no expectation. */
  readonly expected: Readonly<Record<string, Expectation>>;
  /**
   * Where the model's verdict for a real kernel's variant differs from what that kernel showed
   * (`REAL_KERNEL_RUNS`), keyed by the kernel version: why, and optionally a schedule on which
   * the model does show the kernel's outcome.
   */
  readonly realKernelNotes?: Readonly<Record<string, RealKernelNote>>;
}

/** Why the model's cell differs from a real kernel's outcome. */
export interface RealKernelNote {
  readonly reason: string;
  /** A schedule token on which the model shows the real kernel's outcome. */
  readonly schedule?: string;
}

/** The default variant of each shipped design. */
export const DEFAULTS = ['1based@v6.14', '0based@v6.15', 'coarse-pin@block'] as const;

/**
 * Builds a catalogue entry's `expected` table: `{ '1based@v6.14': 'pass', '0based@v6.15': ['warn', 'must'] }`
 * (`must`: the sources establish it; otherwise the model predicts it).
 */
export function expect(table: Record<string, Expected | [Expected, 'must']>): Record<string, Expectation> {
  const out: Record<string, Expectation> = {};
  for (const [id, v] of Object.entries(table))
    out[id] = Array.isArray(v) ? { verdict: v[0], must: true } : { verdict: v };
  return out;
}

/** A workload's `expected` table: `pass` (must) under each shipped design's default variant. */
export function workloadExpect(): Record<string, Expectation> {
  return Object.fromEntries(DEFAULTS.map((id) => [id, { verdict: 'pass' as const, must: true }]));
}
