import { Worker } from 'node:worker_threads';
import { DaxrefError } from '../errors';
import {
  type ExploreOptions,
  type ExploreResult,
  explore,
  finishExplore,
  shardUnits,
  strategyParams,
} from './explore';
import type { ModuleRef } from './scenario';
import {
  mergeUnits,
  planUnits,
  runUnits,
  type StrategyParams,
  type UnitResult,
  type UnitSpec,
} from './units';

/** What a worker thread gets: where to load everything from, and its shard. */
export interface WorkerTask {
  /** URL of the built @daxref/core entry the worker runs the shard with. */
  core: string;
  scenarioRef: ModuleRef;
  policyRef: ModuleRef;
  params: StrategyParams;
  units: UnitSpec[];
}

/** Options of `exploreParallel`, beyond `explore`'s. */
export interface ParallelOptions {
  /** The worker script (default: `explore-worker.js` next to the built core). */
  workerUrl?: URL | string;
  /** The built core entry (default: `index.js` next to the built core). */
  coreUrl?: URL | string;
}

function runWorker(url: URL | string, task: WorkerTask): Promise<UnitResult[]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(url, { workerData: task });
    let done = false;
    w.once(
      'message',
      (m: { ok: true; units: UnitResult[] } | { ok: false; error: string; code?: string }) => {
        done = true;
        if (m.ok) resolve(m.units);
        else {
          const code = m.code === 'NONDETERMINISM' ? 'NONDETERMINISM' : 'BAD_STATE';
          reject(new DaxrefError(code, 'explore-worker', m.error));
        }
        void w.terminate();
      },
    );
    w.once('error', (e) => {
      if (!done)
        reject(new DaxrefError('BAD_STATE', 'explore-worker', `worker failed: ${e.message}`, { cause: e }));
    });
    w.once('exit', (code) => {
      if (!done) reject(new DaxrefError('BAD_STATE', 'explore-worker', `worker exited with code ${code}`));
    });
  });
}

/**
 * `explore` on `workers` threads: this one and `workers − 1` worker threads. Work is split into
 * units (seed ranges; DFS subtrees under the first choice point), the units into contiguous
 * shards, and the results merged in unit order, so the result is identical to `explore` in one
 * thread. Workers load the scenario
 * and policy from `scenarioRef` / `policyRef` and run the built core (`dist`).
 */
export async function exploreParallel<C>(o: ExploreOptions<C> & ParallelOptions): Promise<ExploreResult> {
  const n = o.workers ?? 1;
  if (n <= 1 || o.strategy === 'replay') return explore({ ...o, workers: 1 });
  if (o.scenarioRef === undefined || o.policyRef === undefined) {
    throw new DaxrefError(
      'BAD_ARGUMENT',
      'explore',
      'workers > 1 needs scenarioRef and policyRef ({ module, export }) so worker threads can load them',
    );
  }
  const p = strategyParams(o as ExploreOptions<unknown>);
  const units = planUnits(o.scenario, o.policy, p, n);
  const shards = shardUnits(units, n);
  const workerUrl = o.workerUrl ?? new URL('./explore-worker.js', import.meta.url);
  const core = String(o.coreUrl ?? new URL('./index.js', import.meta.url));
  // Shards 1..N-1 go to worker threads; this thread, already warm, runs shard 0 meanwhile.
  const pending = shards
    .slice(1)
    .map((units) =>
      runWorker(workerUrl, { core, scenarioRef: o.scenarioRef!, policyRef: o.policyRef!, params: p, units }),
    );
  for (const w of pending) w.catch(() => {}); // handled below; not "unhandled" while this thread is busy
  const first = runUnits(o.scenario, o.policy, p, shards[0]!);
  const results = [first, ...(await Promise.all(pending))];
  const aligned: (UnitResult | undefined)[] = [];
  shards.forEach((u, i) => {
    for (let j = 0; j < u.length; j++) aligned.push(results[i]![j]);
  });
  return finishExplore(o, p, mergeUnits(aligned, p.budget), shards.length);
}
