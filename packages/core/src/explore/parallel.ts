import { Worker } from 'node:worker_threads';
import { DaxrefError } from '../errors';
import { type ExploreOptions, type ExploreResult, explore, finishExplore, strategyParams } from './explore';
import type { ModuleRef } from './scenario';
import {
  claimUnit,
  finishUnit,
  mergeReaches,
  mergeUnits,
  planUnits,
  type StrategyParams,
  type UnitResult,
  UnitRunner,
  type UnitSpec,
  unitQueue,
} from './units';

/** What a worker thread gets: where to load everything from, and the run's units. */
export interface WorkerTask {
  /** URL of the built @daxref/core entry the worker runs units with. */
  core: string;
  scenarioRef: ModuleRef;
  policyRef: ModuleRef;
  params: StrategyParams;
  units: UnitSpec[];
}

/** One job of a pooled worker: a task and its shared unit queue (see `unitQueue`). */
export interface WorkerJob extends WorkerTask {
  id: number;
  queue: Int32Array;
}

/** A worker's replies: a unit's result or error, the job's end, or a job that could not start. */
export type WorkerReply =
  | { id: number; kind: 'unit'; index: number; result: UnitResult }
  | { id: number; kind: 'unit'; index: number; error: string; code?: string }
  | { id: number; kind: 'done' }
  | { id: number; kind: 'fail'; error: string; code?: string };

/** Options of `exploreParallel`, beyond `explore`'s. */
export interface ParallelOptions {
  /** The worker script (default: `explore-worker.js` next to the built core). */
  workerUrl?: URL | string;
  /** The built core entry (default: `index.js` next to the built core). */
  coreUrl?: URL | string;
}

/** Units per thread for seed ranges: small units balance a cold worker against a warm thread. */
const UNITS_PER_THREAD = 32;
/** Fewest schedules per range unit, so per-unit costs stay negligible. */
const MIN_UNIT = 64;

interface Job {
  onReply(m: WorkerReply): void;
  onCrash(e: DaxrefError): void;
}

interface Pooled {
  readonly w: Worker;
  readonly url: string;
  job: Job | null;
}

// Warm workers kept across calls (JIT and module cache stay hot); unref'd while idle so they
// never keep a process alive. `closeExplorerPool` ends them.
const pool: Pooled[] = [];
let nextJob = 1;

function spawn(url: URL | string): Pooled {
  const pw: Pooled = { w: new Worker(url), url: String(url), job: null };
  const crash = (msg: string, cause?: Error) => {
    const i = pool.indexOf(pw);
    if (i >= 0) pool.splice(i, 1);
    pw.job?.onCrash(new DaxrefError('BAD_STATE', 'explore-worker', msg, cause ? { cause } : undefined));
    pw.job = null;
  };
  pw.w.on('message', (m: WorkerReply) => pw.job?.onReply(m));
  pw.w.on('error', (e) => crash(`worker failed: ${e.message}`, e));
  pw.w.on('exit', (code) => crash(`worker exited with code ${code}`));
  pw.w.unref();
  pool.push(pw);
  return pw;
}

function acquire(url: URL | string, k: number): Pooled[] {
  const out: Pooled[] = [];
  for (const pw of pool) if (out.length < k && pw.job === null && pw.url === String(url)) out.push(pw);
  while (out.length < k) out.push(spawn(url));
  for (const pw of out) pw.w.ref(); // a running job keeps the process alive
  return out;
}

/** Terminates the pooled explorer worker threads (they are unref'd, so this is optional). */
export async function closeExplorerPool(): Promise<void> {
  const ws = pool.splice(0);
  for (const pw of ws) pw.job = null;
  await Promise.all(ws.map((pw) => pw.w.terminate()));
}

/** Runs a job on a pooled worker; resolves when the queue is empty for it. */
function runJob(
  pw: Pooled,
  task: WorkerJob,
  results: (UnitResult | undefined)[],
  errors: Map<number, Error>,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const end = () => {
      pw.job = null;
      pw.w.unref();
    };
    pw.job = {
      onReply(m) {
        if (m.id !== task.id) return;
        if (m.kind === 'unit') {
          if ('result' in m) results[m.index] = m.result;
          else errors.set(m.index, workerError(m));
        } else {
          end();
          if (m.kind === 'done') resolve();
          else reject(workerError(m));
        }
      },
      onCrash(e) {
        end();
        reject(e);
      },
    };
    pw.w.postMessage(task);
  });
}

function workerError(m: { error: string; code?: string }): DaxrefError {
  return new DaxrefError(
    m.code === 'NONDETERMINISM' ? 'NONDETERMINISM' : 'BAD_STATE',
    'explore-worker',
    m.error,
  );
}

/** Claims and runs units in this thread until the queue has none left. */
function drain<C>(
  runner: UnitRunner<C>,
  units: readonly UnitSpec[],
  q: Int32Array,
  budget: number,
  results: (UnitResult | undefined)[],
  errors: Map<number, unknown>,
): void {
  for (let c = claimUnit(q, budget); c !== null; c = claimUnit(q, budget)) {
    try {
      const r = runner.run(units[c.index]!, c.left);
      results[c.index] = r;
      finishUnit(q, c.index, r);
    } catch (e) {
      errors.set(c.index, e);
      finishUnit(q, c.index, null);
    }
  }
}

/**
 * `explore` on `workers` threads: this one and `workers − 1` pooled worker threads. Work is split
 * into small units (seed ranges; DFS subtrees under the first choice point) that every thread
 * claims from a shared queue as it goes, and the results are merged in unit order, so the result
 * is identical to `explore` in one thread. Workers load the scenario and policy from
 * `scenarioRef` / `policyRef` and run the built core (`dist`).
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
  const parts = Math.max(n, Math.min(n * UNITS_PER_THREAD, Math.ceil(p.budget / MIN_UNIT)));
  const units = planUnits(o.scenario, o.policy, p, parts);
  const threads = Math.min(n, units.length);
  const q = unitQueue(units.length);
  const results: (UnitResult | undefined)[] = new Array(units.length).fill(undefined);
  const errors = new Map<number, unknown>();
  const task: WorkerTask = {
    core: String(o.coreUrl ?? new URL('./index.js', import.meta.url)),
    scenarioRef: o.scenarioRef,
    policyRef: o.policyRef,
    params: p,
    units,
  };
  const workers =
    threads > 1 ? acquire(o.workerUrl ?? new URL('./explore-worker.js', import.meta.url), threads - 1) : [];
  const jobs = workers.map((pw) =>
    runJob(pw, { ...task, id: nextJob++, queue: q }, results, errors as Map<number, Error>),
  );
  for (const j of jobs) j.catch(() => {}); // handled below; not "unhandled" while this thread is busy
  drain(new UnitRunner(o.scenario, o.policy, p), units, q, p.budget, results, errors);
  const settled = await Promise.allSettled(jobs);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  // A unit that threw matters only if one thread would have reached it.
  let first = -1;
  for (const i of errors.keys()) if (first < 0 || i < first) first = i;
  if (first >= 0 && mergeReaches(results, first, p.budget)) throw errors.get(first);
  return finishExplore(o, p, mergeUnits(results, p.budget), threads);
}
