import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  type ExploreResult,
  explore,
  type ModuleRef,
  type Policy,
  replay,
  type Scenario,
  type StrategyName,
} from '@daxref/core';
import { BenchError, type BenchErrorCode } from './errors';
import { defaultPolicies, type ResolvedPolicy, resolvePolicies } from './policies';
import type { CatalogueEntry } from './scenarios/entry';
import { selectScenarios } from './scenarios/index';
import { bindToken, splitToken } from './schedule-token';
import type { MatrixCell, MatrixFile } from './schema';
import { buildTimeline } from './timeline';
import { loadPolicyRef, loadScenarioRef, policyShapeError, toEntry } from './user-modules';
import { VERSION } from './version';

/** The strategies `check` accepts. */
export const STRATEGIES: readonly StrategyName[] = ['random', 'pct', 'dfs'];

/** `check`'s defaults: bounded-preemption DFS finds every known outcome of the catalogue. */
export const DEFAULT_STRATEGY: StrategyName = 'dfs';
/** Default schedules per cell (a cap for DFS, the count for random / PCT). */
export const DEFAULT_BUDGET = 2000;
/** Default seed. */
export const DEFAULT_SEED = 1;

/**
 * A policy for the matrix: a registry id (`1based`, `0based@all`, `coarse-pin@revoke`), a factory
 * returning a fresh `Policy` (runs in this thread only), or a `ModuleRef` naming the module and
 * export of a factory (`{ module: new URL('./my-policy.js', import.meta.url).href, export:
 * 'createPolicy' }`), which worker threads load by URL as well.
 */
export type PolicyInput = string | (() => Policy) | ModuleRef;

/**
 * A scenario for the matrix: a catalogue id, a `Scenario` object, a catalogue entry (the scenario
 * with expectations), or a `ModuleRef` to one (loadable by worker threads).
 */
// biome-ignore lint/suspicious/noExplicitAny: scenarios have their own context types
export type ScenarioInput = string | Scenario<any> | CatalogueEntry | ModuleRef;

/** Options of `runMatrix`. */
export interface MatrixOptions {
  /** Policies: ids, factories or module refs; default: every variant of every design. */
  policies?: readonly PolicyInput[];
  /** Scenarios: ids, scenario objects, catalogue entries or module refs; default: the whole catalogue. */
  scenarios?: readonly ScenarioInput[];
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
  /** Where a scenario that is not in the catalogue is loaded from. */
  scenarioRef?: ModuleRef;
  /** Where a policy that is not in the registry is loaded from. */
  policyRef?: ModuleRef;
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
  if (r.schedule !== undefined) cell.schedule = bindToken(r.schedule, entry.scenario.id, p.id);
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
  const e =
    entry ??
    (job.scenarioRef ? (await loadScenarioRef(job.scenarioRef)).entry : selectScenarios([job.scenario])[0]!);
  const p =
    policy ?? (job.policyRef ? await refPolicy(job.policyRef) : (await resolvePolicies([job.policy]))[0]!);
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
    const token = splitToken(cell.schedule).token; // the core token, without its cell tag
    cell.timeline = buildTimeline(replay(e.scenario, () => p.create(), token, { trace: true }));
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
            w.once('message', (m: { cell?: MatrixCell; error?: string; code?: BenchErrorCode }) => {
              if (m.error !== undefined) {
                void w.terminate();
                reject(new BenchError(m.code ?? 'USAGE', m.error.replace(/^daxref: /, '')));
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
    opts.policies && opts.policies.length > 0 ? await policyInputs(opts.policies) : await allVariants();
  const scenarios = await scenarioInputs(opts.scenarios ?? []);
  const workers = effectiveWorkers(opts.workers ?? 1);
  if (workers > 1) {
    const local = [...policies.filter((p) => p.local), ...scenarios.filter((e) => e.local)];
    if (local.length > 0)
      throw new BenchError(
        'USAGE',
        `workers > 1 load policies and scenarios by module URL; pass a ModuleRef ({ module, export }) instead of the object or function given for ${'id' in local[0]! ? local[0].id : local[0]!.entry.scenario.id}, or use workers: 1`,
      );
  }
  const jobs: CellJob[] = [];
  for (const e of scenarios)
    for (const p of policies) {
      const job: CellJob = { scenario: e.entry.scenario.id, policy: p.id, strategy, seed, budget };
      if (e.ref) job.scenarioRef = e.ref;
      if (p.ref) job.policyRef = p.ref;
      jobs.push(job);
    }
  const cells: MatrixCell[] = new Array(jobs.length);
  let done = 0;
  const finish = (i: number, cell: MatrixCell) => {
    cells[i] = cell;
    opts.onCell?.(++done, jobs.length, cell);
  };
  if (workers <= 1) {
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i]!;
      finish(
        i,
        await runCell(
          j,
          scenarios.find((e) => e.entry.scenario.id === j.scenario)!.entry,
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
    scenarios: scenarios.map(({ entry: e }) => ({
      id: e.scenario.id,
      title: e.scenario.title,
      source: e.scenario.source,
    })),
    cells,
  };
}

/**
 * The worker threads `runMatrix` uses for a request of `n`: at least 1, at most twice the cores
 * (more only contend for them). `daxref check` reports this number.
 */
export function effectiveWorkers(n: number): number {
  return Math.max(1, Math.min(n, cpus().length * 2));
}

/** A resolved policy, with the module workers load it from (or `local`: this thread only). */
export type MatrixPolicy = ResolvedPolicy & { ref?: ModuleRef; local?: boolean };
/** A resolved scenario, with the module workers load it from (or `local`: this thread only). */
export type MatrixScenario = { entry: CatalogueEntry; ref?: ModuleRef; local?: boolean };

function isRef(v: unknown): v is ModuleRef {
  return typeof v === 'object' && v !== null && typeof (v as ModuleRef).module === 'string';
}

function fromFactory(create: () => Policy, ref?: ModuleRef): MatrixPolicy {
  const probe = create();
  const why = policyShapeError(probe);
  if (why !== null) throw new BenchError('BAD_MODULE', `a policy factory given to runMatrix: ${why}`);
  const v = probe.variants.find((x) => x.id === probe.variant);
  const out: MatrixPolicy = {
    id: `${probe.name}@${probe.variant}`,
    name: probe.name,
    variant: probe.variant,
    title: v?.description ?? probe.title,
    default: v?.default === true,
    create,
  };
  if (ref) out.ref = ref;
  else out.local = true;
  return out;
}

async function refPolicy(ref: ModuleRef): Promise<MatrixPolicy> {
  const loaded = await loadPolicyRef(ref);
  return fromFactory(loaded.create, loaded.ref);
}

/** Resolves policy inputs (ids, factories, module refs) for the matrix and `traceScenario`. */
export async function policyInputs(inputs: readonly PolicyInput[]): Promise<MatrixPolicy[]> {
  const out: MatrixPolicy[] = [];
  for (const input of inputs) {
    const got =
      typeof input === 'string'
        ? ((await resolvePolicies([input])) as MatrixPolicy[])
        : typeof input === 'function'
          ? [fromFactory(input)]
          : isRef(input)
            ? [await refPolicy(input)]
            : null;
    if (got === null)
      throw new BenchError(
        'USAGE',
        policyShapeError(input) === null
          ? 'a Policy object was given to runMatrix; pass a factory (() => createMyPolicy()): every schedule needs a fresh policy'
          : 'a policy must be an id, a factory function or a ModuleRef { module, export }',
      );
    for (const p of got) {
      const twin = out.find((x) => x.id === p.id);
      if (twin === undefined) out.push(p);
      else if (p.ref || p.local || twin.ref || twin.local)
        throw new BenchError('USAGE', `two policies have the id ${p.id}; give yours another name or variant`);
    }
  }
  return out;
}

/** Resolves scenario inputs (ids, objects, entries, module refs) for the matrix and `traceScenario`. */
export async function scenarioInputs(inputs: readonly ScenarioInput[]): Promise<MatrixScenario[]> {
  const out: MatrixScenario[] = [];
  if (inputs.length === 0) return selectScenarios([]).map((entry) => ({ entry }));
  for (const input of inputs) {
    let s: MatrixScenario;
    if (typeof input === 'string') s = { entry: selectScenarios([input])[0]! };
    else if (isRef(input)) {
      const loaded = await loadScenarioRef(input);
      s = { entry: loaded.entry, ref: loaded.ref };
    } else {
      const entry = toEntry(input);
      if (typeof entry === 'string')
        throw new BenchError('BAD_MODULE', `a scenario given to runMatrix: ${entry}`);
      s = { entry, local: true };
    }
    if (out.some((x) => x.entry.scenario.id === s.entry.scenario.id)) {
      if (s.ref || s.local)
        throw new BenchError(
          'USAGE',
          `two scenarios have the id ${s.entry.scenario.id}; give yours another id`,
        );
      continue;
    }
    out.push(s);
  }
  return out;
}

async function allVariants(): Promise<MatrixPolicy[]> {
  return resolvePolicies(['1based@all', '0based@all', 'coarse-pin@all']);
}

export { defaultPolicies };
