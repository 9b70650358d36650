import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type ExploreResult, explore, replay, type StrategyName } from '@daxref/core';
import { BenchError } from './errors';
import { defaultPolicies, type ResolvedPolicy, resolvePolicies } from './policies';
import type { CatalogueEntry } from './scenarios/entry';
import { selectScenarios } from './scenarios/index';
import type { MatrixCell, MatrixFile } from './schema';
import { buildTimeline } from './timeline';
import { VERSION } from './version';

/** The strategies `check` accepts. */
export const STRATEGIES: readonly StrategyName[] = ['random', 'pct', 'dfs'];

/** `check`'s defaults: bounded-preemption DFS finds every known outcome of the catalogue. */
export const DEFAULT_STRATEGY: StrategyName = 'dfs';
/** Default schedules per cell (a cap for DFS, the count for random / PCT). */
export const DEFAULT_BUDGET = 2000;
/** Default seed. */
export const DEFAULT_SEED = 1;

/** Options of `runMatrix`. */
export interface MatrixOptions {
  /** Policy ids (`1based`, `0based@all`, `coarse-pin@revoke`); default: every variant of every design. */
  policies?: readonly string[];
  /** Scenario ids; default: the whole catalogue. */
  scenarios?: readonly string[];
  strategy?: StrategyName;
  seed?: number;
  budget?: number;
  /** Worker threads; cells are shared out and the result is identical to one worker's. Default 1. */
  workers?: number;
  /** Called as each cell finishes. */
  onCell?: (done: number, total: number, cell: MatrixCell) => void;
}

/** One cell's work: which scenario under which policy, with the run parameters. */
export interface CellJob {
  scenario: string;
  policy: string;
  strategy: StrategyName;
  seed: number;
  budget: number;
}

function toCell(
  entry: CatalogueEntry,
  p: ResolvedPolicy,
  r: ExploreResult | null,
  reason: string | null,
  ms: number,
): MatrixCell {
  const exp = entry.expected[p.id]?.verdict;
  if (r === null) {
    const cell: MatrixCell = {
      scenario: entry.scenario.id,
      policy: p.id,
      verdict: 'n/a',
      violations: [],
      steps: 0,
      schedulesExplored: 0,
      ms,
    };
    if (exp !== undefined) cell.expected = exp;
    if (reason !== null) cell.note = reason;
    return cell;
  }
  const cell: MatrixCell = {
    scenario: entry.scenario.id,
    policy: p.id,
    verdict: r.verdict === 'pass' ? 'pass' : r.verdict === 'inconclusive' ? 'inconclusive' : 'fail',
    violations: r.violations.map((v) => {
      const out: MatrixCell['violations'][number] = { kind: v.kind, message: v.message, step: v.step };
      if (v.pfn !== undefined) out.pfn = v.pfn;
      if (v.hang !== undefined) out.hang = v.hang;
      return out;
    }),
    steps: r.steps,
    schedulesExplored: r.explored,
    ms,
  };
  if (exp !== undefined) cell.expected = exp;
  if (r.schedule !== undefined) cell.schedule = r.schedule;
  if (r.exhausted) cell.exhausted = true;
  // A task body that throws is a bug in the scenario or the model, not a verdict: it is kept
  // with the cell (and makes `daxref check` exit 1) rather than aborting the other cells.
  if (r.verdict === 'error') cell.error = r.error ?? 'a task body threw';
  if (r.reason !== undefined) cell.reason = r.reason;
  return cell;
}

/** Runs one cell in this thread: explores the scenario under the policy, or marks it `n/a`. */
export async function runCell(
  job: CellJob,
  entry?: CatalogueEntry,
  policy?: ResolvedPolicy,
): Promise<MatrixCell> {
  const e = entry ?? selectScenarios([job.scenario])[0]!;
  const p = policy ?? (await resolvePolicies([job.policy]))[0]!;
  const t0 = performance.now();
  const reason = e.applies?.(p.create()) ?? null;
  if (reason !== null) return toCell(e, p, null, reason, Math.round(performance.now() - t0));
  const r = explore({
    scenario: e.scenario,
    policy: () => p.create(),
    strategy: job.strategy,
    seed: job.seed,
    budget: job.budget,
  });
  const cell = toCell(e, p, r, null, Math.round(performance.now() - t0));
  // The report draws each counterexample without running the model: replay the token once with
  // the trace on and keep a bounded timeline (deterministic, so the matrix stays reproducible).
  if (cell.verdict === 'fail' && cell.error === undefined && cell.schedule !== undefined) {
    cell.timeline = buildTimeline(replay(e.scenario, () => p.create(), cell.schedule, { trace: true }));
  }
  return cell;
}

/**
 * True when a cell's verdict differs from the catalogue's expectation. An `inconclusive` cell
 * always counts: a run that could not be judged is never what the catalogue expects.
 */
export function unexpected(cell: MatrixCell): boolean {
  if (cell.verdict === 'inconclusive') return true;
  if (cell.expected === undefined) return false;
  if (cell.expected === 'pass' || cell.expected === 'n/a') return cell.verdict !== cell.expected;
  return cell.verdict !== 'fail' || !cell.violations.some((v) => v.kind === cell.expected);
}

function workerUrl(): { url: URL; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Running from source (tests, `pnpm daxref`): a bootstrap registers tsx in the worker.
    return { url: new URL('./matrix-worker-src.mjs', here), execArgv: ['--conditions=@daxref/source'] };
  }
  return { url: new URL('./matrix-worker.js', here), execArgv: [] };
}

async function runParallel(
  jobs: CellJob[],
  workers: number,
  onDone: (i: number, cell: MatrixCell) => void,
): Promise<void> {
  const { url, execArgv } = workerUrl();
  let next = 0;
  const n = Math.min(workers, jobs.length);
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(url, { execArgv });
          const feed = () => {
            if (next >= jobs.length) {
              void w.terminate().then(() => resolve());
              return;
            }
            const i = next++;
            w.once('message', (m: { cell?: MatrixCell; error?: string }) => {
              if (m.error !== undefined) {
                void w.terminate();
                reject(new BenchError('USAGE', m.error));
                return;
              }
              onDone(i, m.cell!);
              feed();
            });
            w.postMessage(jobs[i]);
          };
          w.once('error', (e) => reject(e));
          feed();
        }),
    ),
  );
}

/**
 * Runs the correctness matrix: every scenario against every policy, each cell explored with the
 * strategy (computed by running the model, every time). Cells are independent, so `workers`
 * threads share them out and the result is the same as one thread's (timings aside).
 */
export async function runMatrix(opts: MatrixOptions = {}): Promise<MatrixFile> {
  const strategy = opts.strategy ?? DEFAULT_STRATEGY;
  if (!STRATEGIES.includes(strategy)) {
    throw new BenchError(
      'UNKNOWN_STRATEGY',
      `unknown strategy '${strategy}'; valid: ${STRATEGIES.join(', ')}`,
    );
  }
  const seed = opts.seed ?? DEFAULT_SEED;
  const budget = opts.budget ?? DEFAULT_BUDGET;
  const policies =
    opts.policies && opts.policies.length > 0 ? await resolvePolicies(opts.policies) : await allVariants();
  const scenarios = selectScenarios(opts.scenarios ?? []);
  const jobs: CellJob[] = [];
  for (const e of scenarios)
    for (const p of policies) jobs.push({ scenario: e.scenario.id, policy: p.id, strategy, seed, budget });
  const cells: MatrixCell[] = new Array(jobs.length);
  let done = 0;
  const finish = (i: number, cell: MatrixCell) => {
    cells[i] = cell;
    opts.onCell?.(++done, jobs.length, cell);
  };
  const workers = Math.max(1, Math.min(opts.workers ?? 1, cpus().length * 2));
  if (workers <= 1) {
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i]!;
      finish(
        i,
        await runCell(
          j,
          scenarios.find((e) => e.scenario.id === j.scenario),
          policies.find((p) => p.id === j.policy),
        ),
      );
    }
  } else {
    await runParallel(jobs, workers, finish);
  }
  return {
    schema: 'daxref.matrix/2',
    generatedAt: new Date().toISOString(),
    tool: { version: VERSION },
    strategy,
    seed,
    budget,
    policies: policies.map((p) => ({ id: p.id, variant: p.variant, title: p.title })),
    scenarios: scenarios.map((e) => ({
      id: e.scenario.id,
      title: e.scenario.title,
      source: e.scenario.source,
    })),
    cells,
  };
}

async function allVariants(): Promise<ResolvedPolicy[]> {
  return resolvePolicies(['1based@all', '0based@all', 'coarse-pin@all']);
}

export { defaultPolicies };
