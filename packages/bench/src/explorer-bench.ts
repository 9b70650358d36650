import { explore } from '@daxref/core';
import { resolvePolicies } from './policies';
import { selectScenarios } from './scenarios/index';
import type { BenchFile } from './schema';

/**
 * Explorer throughput on a catalogue scenario (three tasks: DMA, truncate, reuse), with the
 * `random` strategy under `1based@v6.14` so every schedule runs to the end: steps and complete
 * schedules per second on one thread.
 */
export async function measureExplorer(budget = 3000): Promise<NonNullable<BenchFile['explorer']>> {
  const [entry] = selectScenarios(['truncate-during-dma']);
  const [policy] = await resolvePolicies(['1based@v6.14']);
  const run = (n: number) =>
    explore({
      scenario: entry!.scenario,
      policy: () => policy!.create(),
      strategy: 'random',
      seed: 1,
      budget: n,
      shrink: false,
      selfCheck: false,
    });
  run(Math.min(200, budget)); // warm-up
  const t0 = performance.now();
  const r = run(budget);
  const s = (performance.now() - t0) / 1000;
  return {
    scenario: `${entry!.scenario.id} (${policy!.id}, random, ${r.explored} schedules, ${Math.round(r.steps / r.explored)} steps each)`,
    stepsPerSec: r.steps / s,
    schedulesPerSec: r.explored / s,
    workers: 1,
  };
}
