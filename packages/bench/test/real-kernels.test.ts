import { describe, expect, it } from 'vitest';
import {
  CATALOGUE,
  KERNEL_VARIANTS,
  type MatrixCell,
  REAL_KERNEL_RUNS,
  runCell,
  traceScenario,
  unexpected,
  variantForKernel,
} from '../src/index';

describe('the kernel-version → variant table', () => {
  it('maps the kernels that were run, and nothing it does not cover', () => {
    expect(variantForKernel('6.1.176')).toBe('1based@v6.1');
    expect(variantForKernel('6.0.3')).toBe('1based@v6.1');
    expect(variantForKernel('6.12.95')).toBe('1based@v6.14');
    expect(variantForKernel('6.14.11')).toBe('1based@v6.14');
    expect(variantForKernel('6.15')).toBe('0based@v6.15');
    expect(variantForKernel('6.18.15+deb13-amd64')).toBe('0based@v6.15');
    expect(variantForKernel('7.3.4')).toBe('0based@v6.15');
    expect(variantForKernel('4.18.20')).toBe('1based@v4.18');
    expect(variantForKernel('4.9.1')).toBe('1based@v4.5');
    expect(variantForKernel('5.18.19')).toBe('1based@v5.19-rc1');
    // no variant describes these: no guess
    expect(variantForKernel('6.3.1')).toBeUndefined();
    expect(variantForKernel('5.10.200')).toBeUndefined();
    expect(variantForKernel('4.15')).toBeUndefined();
    expect(variantForKernel('not a version')).toBeUndefined();
  });

  it('names real variants, each with a citation', () => {
    for (const row of KERNEL_VARIANTS) {
      expect(row.why.length, row.kernel).toBeGreaterThan(40);
      expect(variantForKernel(row.kernel), row.kernel).toBe(row.variant);
    }
  });
});

describe('the real-kernel runs (audits/real-kernels.md) against the model', () => {
  const cells = new Map<string, Promise<MatrixCell>>();
  const cell = (scenario: string, policy: string) => {
    const key = `${scenario} ${policy}`;
    if (!cells.has(key))
      cells.set(key, runCell({ scenario, policy, strategy: 'dfs', seed: 1, budget: 2000 }));
    return cells.get(key)!;
  };
  const shows = (c: MatrixCell, outcome: string) =>
    outcome === 'pass' ? c.verdict === 'pass' : c.violations.some((v) => v.kind === outcome);

  it('every row has a catalogue scenario and a variant', () => {
    for (const r of REAL_KERNEL_RUNS) {
      expect(
        CATALOGUE.some((e) => e.scenario.id === r.scenario),
        r.scenario,
      ).toBe(true);
      expect(variantForKernel(r.kernel), r.kernel).toBeDefined();
    }
    expect(REAL_KERNEL_RUNS.length).toBeGreaterThanOrEqual(56);
  });

  it('the model states each real outcome, or the catalogue says why it differs', async () => {
    for (const r of REAL_KERNEL_RUNS) {
      const policy = variantForKernel(r.kernel)!;
      const entry = CATALOGUE.find((e) => e.scenario.id === r.scenario)!;
      const c = await cell(r.scenario, policy);
      const what = `${r.scenario} on ${r.kernel} (${policy}): real ${r.outcome}, model ${c.verdict} ${c.violations.map((v) => v.kind).join('+')}`;
      expect(c.error, what).toBeUndefined();
      const note = entry.realKernelNotes?.[r.kernel];
      if (note === undefined) {
        expect(shows(c, r.outcome), what).toBe(true);
        // an outcome seen on a real kernel is a checked cell of the catalogue
        const exp = entry.expected[policy];
        expect(exp?.must, `${what}: no must cell`).toBe(true);
        expect(exp?.verdict, what).toBe(r.outcome);
        expect(unexpected(c), what).toBe(false);
      } else {
        // a note must be current: the first counterexample really differs ...
        expect(shows(c, r.outcome), `${what}: stale note`).toBe(false);
        expect(note.reason.length).toBeGreaterThan(40);
        // ... and where it names a schedule, the model shows the real outcome on it
        if (note.schedule !== undefined) {
          const { result } = await traceScenario({ scenario: r.scenario, policy, schedule: note.schedule });
          expect(
            result.violations.some((v) => v.kind === r.outcome),
            `${what}: schedule ${note.schedule}`,
          ).toBe(true);
        }
      }
    }
  }, 120_000);
});
