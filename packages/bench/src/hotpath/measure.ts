import type { CostSnapshot, Policy } from '@daxref/core';
import { Bench } from 'tinybench';
import { BenchError } from '../errors';
import { type OpCase, prepareOp } from './ops';

/** What a child process measured for one case. */
export interface RawCase {
  op: string;
  params: Record<string, string | number>;
  /** Nanoseconds per op, one per sample (each sample times `batch` ops). */
  samples: number[];
  counts: CostSnapshot;
  /** The paired policy-free control measured in the same process (not a reported case). */
  control?: boolean;
}

/** Timing settings: `quick` is what `pnpm start` uses. */
export interface MeasureOptions {
  /** Milliseconds of sampling per case. */
  timeMs: number;
  /** Milliseconds of warm-up per case. */
  warmupMs: number;
  /** The smallest time one sample should take, so sub-10 ns ops are batched. */
  minSampleNs: number;
  /** At most this many samples are kept per case (evenly thinned). */
  maxSamples: number;
}

const FLOOR_COUNTS: Record<string, CostSnapshot> = {
  // One plain store to an L1-resident line; one locked RMW on it.
  'int32-inc': { atomics: 0, percpu: 0, branches: 0, cachelines: 1, wakes: 0, pgmapLookups: 0 },
  'atomics-add': { atomics: 1, percpu: 0, branches: 0, cachelines: 1, wakes: 0, pgmapLookups: 0 },
};

function thin(xs: number[], max: number): number[] {
  if (xs.length <= max) return xs;
  const out: number[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.floor((i * xs.length) / max)]!);
  return out;
}

/** Picks a batch size so one sample takes at least `minSampleNs`. */
function calibrate(policy: () => Policy | null, c: OpCase, minSampleNs: number): number {
  const probe = prepareOp(policy, c, 1);
  const n = 200;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) probe.run();
  const per = Number(process.hrtime.bigint() - t0) / n;
  return Math.max(1, Math.min(100_000, Math.ceil(minSampleNs / Math.max(per, 0.1))));
}

/**
 * Measures cases under one policy: each case is validated (the op leaves the model as it found
 * it, with no violation) before and after timing, timed with tinybench in batches, and counted
 * once in an instrumented copy.
 */
export async function measure(
  policyId: string,
  policy: () => Policy | null,
  cases: readonly OpCase[],
  opts: MeasureOptions,
): Promise<RawCase[]> {
  const out: RawCase[] = [];
  for (const c of cases) {
    const batch = calibrate(policy, c, opts.minSampleNs);
    const prepared = prepareOp(policy, c, batch);
    prepared.run();
    const pre = prepared.validate();
    if (pre !== null) throw new BenchError('USAGE', `${policyId} ${pre} (before timing)`);
    const bench = new Bench({ time: opts.timeMs, warmupTime: opts.warmupMs, iterations: 5, throws: true });
    bench.add(c.op, () => prepared.run());
    await bench.run();
    const post = prepared.validate();
    if (post !== null) throw new BenchError('USAGE', `${policyId} ${post} (after timing)`);
    const task = bench.tasks[0]!;
    const result = task.result as unknown as { latency?: { samples: number[] } } | undefined;
    const ms = result?.latency?.samples ?? [];
    const samples = thin(
      ms.map((x) => (x * 1e6) / batch),
      opts.maxSamples,
    );
    out.push({ op: c.op, params: c.params, samples, counts: FLOOR_COUNTS[c.op] ?? prepared.counts() });
  }
  return out;
}
