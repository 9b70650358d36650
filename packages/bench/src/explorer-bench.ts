import { explore, getPage, PREEMPT, putPage, type Scenario } from '@daxref/core';
import { resolvePolicies } from './policies';
import { selectScenarios } from './scenarios/index';
import type { BenchFile } from './schema';

const ROUNDS = 19;

/**
 * The explorer benchmark's scenario (the same shape as core's `bench/explorer-scenario.mjs`):
 * three tasks, about 60 scheduler steps, page get/put on shared RAM pages under the core alone.
 * It measures the explorer and scheduler, not the kernel model's setup.
 */
export const explorerScenario: Scenario<{ pfns: number[] }> = {
  id: 'bench-3x20',
  title: '3 tasks x 20 steps of get/put on shared pages',
  source: 'daxref explorer benchmark',
  kernel: { ramPages: 512 },
  setup: (k) => ({ pfns: [k.ram.alloc(), k.ram.alloc(), k.ram.alloc()] }),
  tasks: [0, 1, 2].map((me) => ({
    name: `w${me}`,
    *body(k, t, c) {
      const a = c.pfns[me]!;
      const b = c.pfns[(me + 1) % 3]!;
      for (let i = 0; i < ROUNDS; i++) {
        getPage(k, t, i & 1 ? a : b);
        yield PREEMPT;
        putPage(k, t, i & 1 ? a : b);
      }
    },
  })),
};

/** Explorer throughput: one thread, the `random` strategy, every schedule run to its end. */
export interface ExplorerFigures {
  /** The engine on the 3-task ~60-step scenario (what `bench.json` records). */
  engine: NonNullable<BenchFile['explorer']>;
  /** A catalogue scenario (bind a namespace, map, pin, DMA, truncate, reuse) under 1based@v6.14. */
  catalogue: NonNullable<BenchFile['explorer']>;
}

function time(
  run: (n: number) => { steps: number; explored: number },
  budget: number,
  label: string,
): NonNullable<BenchFile['explorer']> {
  run(Math.min(200, budget)); // warm-up
  const t0 = performance.now();
  const r = run(budget);
  const s = (performance.now() - t0) / 1000;
  return {
    scenario: `${label} (${r.explored} schedules, ${Math.round(r.steps / r.explored)} steps each)`,
    stepsPerSec: r.steps / s,
    schedulesPerSec: r.explored / s,
    workers: 1,
  };
}

/** Measures explorer throughput (wall clock: a benchmark, not a test). */
export async function measureExplorer(budget = 5000): Promise<ExplorerFigures> {
  const opts = { strategy: 'random' as const, seed: 1, shrink: false, selfCheck: false };
  const engine = time(
    (n) => explore({ ...opts, scenario: explorerScenario, policy: () => null, budget: n }),
    budget * 4,
    explorerScenario.id,
  );
  const [entry] = selectScenarios(['truncate-during-dma']);
  const [policy] = await resolvePolicies(['1based@v6.14']);
  const catalogue = time(
    (n) => explore({ ...opts, scenario: entry!.scenario, policy: () => policy!.create(), budget: n }),
    budget,
    `${entry!.scenario.id} under ${policy!.id}`,
  );
  return { engine, catalogue };
}
