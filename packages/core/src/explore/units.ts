import type { Violation } from '../violations';
import { PctStrategy, RandomStrategy, ReplayStrategy } from './choosers';
import { type DfsNode, type DfsRoot, DfsSession } from './dfs';
import type { Footprint } from './footprint';
import { runSchedule, type ScheduleOutcome } from './run';
import type { PolicyFactory, Scenario } from './scenario';

/** Exploration strategies. */
export type StrategyName = 'random' | 'pct' | 'dfs' | 'replay';

/** The strategy parameters a shard needs (plain data: it crosses to worker threads). */
export interface StrategyParams {
  strategy: 'random' | 'pct' | 'dfs';
  seed: number;
  /** Complete schedules to explore at most. */
  budget: number;
  /** PCT depth d (default 3). */
  depth: number;
  /** DFS preemption bound (default 2). */
  bound: number;
  /** DFS sleep-set pruning (default true). */
  prune: boolean;
  maxSteps?: number;
}

/** A unit of work: a range of schedule indices (random, PCT) or a DFS root alternative. */
export type UnitSpec = { kind: 'range'; from: number; to: number } | { kind: 'dfs'; alt: number };

/** A failing schedule found by a unit. */
export interface UnitFailure {
  /** Index of the failing schedule among the unit's complete schedules. */
  at: number;
  deviations: number[];
  preemptions: number;
  steps: number;
  verdict: 'fail' | 'error' | 'inconclusive';
  violations: Violation[];
  error?: string;
  /** Why the schedule is inconclusive. */
  reason?: string;
}

/** What a unit did; `cumSteps[i]` / `cumPruned[i]` are totals after its i-th complete schedule. */
export interface UnitResult {
  explored: number;
  pruned: number;
  steps: number;
  /** The unit finished its range or subtree (not cut by the budget or a failure). */
  exhausted: boolean;
  cumSteps: number[];
  cumPruned: number[];
  failure: UnitFailure | null;
}

function failureOf(r: ScheduleOutcome, at: number): UnitFailure {
  const f: UnitFailure = {
    at,
    deviations: r.deviations,
    preemptions: r.preemptions,
    steps: r.steps,
    verdict: r.verdict === 'pass' ? 'fail' : r.verdict,
    violations: r.violations,
  };
  if (r.error !== undefined) f.error = r.error;
  if (r.reason !== undefined) f.reason = r.reason;
  return f;
}

/** The default schedule's step count: PCT draws its change points over it. */
export function defaultLength<C>(scenario: Scenario<C>, policy: PolicyFactory, maxSteps?: number): number {
  const ch = new ReplayStrategy();
  ch.reset([], false, 0);
  return runSchedule(scenario, policy, ch, { maxSteps }).steps;
}

/** The units of a run, in the order one worker would take them. */
export function planUnits<C>(
  scenario: Scenario<C>,
  policy: PolicyFactory,
  p: StrategyParams,
  parts: number,
): UnitSpec[] {
  if (p.strategy === 'dfs') {
    const s = new DfsSession(scenario, policy, { bound: p.bound, prune: p.prune, maxSteps: p.maxSteps });
    const root = s.with(() => s.root());
    if (root.alts.length === 0) return [{ kind: 'dfs', alt: -1 }];
    return root.alts.map((alt) => ({ kind: 'dfs', alt }));
  }
  const out: UnitSpec[] = [];
  const n = Math.max(1, Math.min(parts, p.budget));
  for (let i = 0; i < n; i++) {
    out.push({
      kind: 'range',
      from: Math.floor((p.budget * i) / n),
      to: Math.floor((p.budget * (i + 1)) / n),
    });
  }
  return out;
}

/**
 * Runs single units of one run, in any order, keeping per-run state (the DFS root and its
 * footprints, PCT's default length) so a thread can take many small units cheaply.
 */
export class UnitRunner<C> {
  private readonly scenario: Scenario<C>;
  private readonly policy: PolicyFactory;
  private readonly p: StrategyParams;
  private dfs: { s: DfsSession<C>; root: DfsRoot; fps: Map<number, Footprint> } | null = null;
  private length = -1;
  private readonly rnd = new RandomStrategy();
  private readonly pct: PctStrategy | null;
  constructor(scenario: Scenario<C>, policy: PolicyFactory, p: StrategyParams) {
    this.scenario = scenario;
    this.policy = policy;
    this.p = p;
    this.pct = p.strategy === 'pct' ? new PctStrategy(p.depth) : null;
  }

  /** Runs unit `u`, exploring at most `left` complete schedules. */
  run(u: UnitSpec, left: number): UnitResult {
    const p = this.p;
    if (u.kind === 'dfs') {
      if (p.strategy !== 'dfs') throw new Error('dfs unit in a non-dfs run');
      if (this.dfs === null) {
        const s = new DfsSession(this.scenario, this.policy, {
          bound: p.bound,
          prune: p.prune,
          maxSteps: p.maxSteps,
        });
        this.dfs = { s, root: s.with(() => s.root()), fps: new Map() };
      }
      const { s, root, fps } = this.dfs;
      return s.with(() => {
        const earlier = new Map<number, Footprint>();
        if (u.alt >= 0) {
          for (const a of root.alts) {
            if (a === u.alt) break;
            let fp = fps.get(a);
            if (fp === undefined) {
              fp = s.probeAlt(root, a);
              fps.set(a, fp);
            }
            earlier.set(a, fp);
          }
        }
        return dfsUnit(s, u.alt >= 0 ? [s.rootNode(root, u.alt, earlier)] : [], left);
      });
    }
    const scenario = this.scenario;
    const policy = this.policy;
    const tasks = scenario.tasks.length;
    const pct = this.pct;
    if (pct !== null && this.length < 0) this.length = defaultLength(scenario, policy, p.maxSteps);
    const r: UnitResult = {
      explored: 0,
      pruned: 0,
      steps: 0,
      exhausted: false,
      cumSteps: [],
      cumPruned: [],
      failure: null,
    };
    let i = u.from;
    for (; i < u.to && r.explored < left; i++) {
      let o: ScheduleOutcome;
      if (pct !== null) {
        pct.reset(p.seed, i, 0, tasks, this.length);
        o = runSchedule(scenario, policy, pct, { maxSteps: p.maxSteps });
      } else {
        this.rnd.reset(p.seed, i, 0);
        o = runSchedule(scenario, policy, this.rnd, { maxSteps: p.maxSteps });
      }
      r.explored++;
      r.steps += o.steps;
      r.cumSteps.push(r.steps);
      r.cumPruned.push(0);
      if (o.verdict !== 'pass') {
        r.failure = failureOf(o, r.explored - 1);
        break;
      }
    }
    r.exhausted = r.failure === null && i >= u.to;
    return r;
  }
}

/**
 * Runs units in order (one shard), stopping at the first failure or when this shard has explored
 * `budget` schedules (the merge never needs more than that from any shard).
 */
export function runUnits<C>(
  scenario: Scenario<C>,
  policy: PolicyFactory,
  p: StrategyParams,
  units: readonly UnitSpec[],
): UnitResult[] {
  const out: UnitResult[] = [];
  const runner = new UnitRunner(scenario, policy, p);
  let left = p.budget;
  for (const u of units) {
    if (left <= 0 || u.kind !== (p.strategy === 'dfs' ? 'dfs' : 'range')) break;
    const r = runner.run(u, left);
    out.push(r);
    left -= r.explored;
    if (r.failure !== null) break;
  }
  return out;
}

function dfsUnit<C>(s: DfsSession<C>, stack: DfsNode[], budget: number): UnitResult {
  const r: UnitResult = {
    explored: 0,
    pruned: 0,
    steps: 0,
    exhausted: false,
    cumSteps: [],
    cumPruned: [],
    failure: null,
  };
  s.pruned = 0;
  for (;;) {
    const o = s.exec(stack);
    if (o.status === 'aborted') s.pruned++;
    else {
      r.explored++;
      r.steps += o.steps;
      r.cumSteps.push(r.steps);
      r.cumPruned.push(s.pruned);
      if (o.verdict !== 'pass') {
        r.failure = failureOf(o, r.explored - 1);
        break;
      }
      if (r.explored >= budget) {
        r.exhausted = !s.backtrack(stack);
        break;
      }
    }
    if (!s.backtrack(stack)) {
      r.exhausted = true;
      break;
    }
  }
  r.pruned = s.pruned;
  return r;
}

/** The merged totals of a run's units, as one worker taking them in order would have found them. */
export interface Merged {
  explored: number;
  pruned: number;
  steps: number;
  /** Every unit finished: the bounded space was exhausted (DFS) or the budget spent (random, PCT). */
  complete: boolean;
  failure: UnitFailure | null;
}

/**
 * Merges unit results in unit order with a global budget: stops at the first failure or when the
 * budget is spent, so N shards give exactly what one worker gives.
 */
export function mergeUnits(units: readonly (UnitResult | undefined)[], budget: number): Merged {
  const m: Merged = { explored: 0, pruned: 0, steps: 0, complete: false, failure: null };
  for (const u of units) {
    const left = budget - m.explored;
    if (u === undefined || left <= 0) return m;
    if (u.failure !== null && u.failure.at < left) {
      const at = u.failure.at;
      m.explored += at + 1;
      m.steps += u.cumSteps[at]!;
      m.pruned += u.cumPruned[at]!;
      m.failure = u.failure;
      return m;
    }
    if (u.explored > left || (!u.exhausted && u.explored >= left)) {
      m.explored += left;
      m.steps += u.cumSteps[left - 1]!;
      m.pruned += u.cumPruned[left - 1]!;
      return m;
    }
    if (!u.exhausted) {
      // A unit that stopped early without failing (its shard's budget): nothing later counts.
      m.explored += u.explored;
      m.steps += u.steps;
      m.pruned += u.pruned;
      return m;
    }
    m.explored += u.explored;
    m.steps += u.steps;
    m.pruned += u.pruned;
  }
  m.complete = true;
  return m;
}

/**
 * A run's shared unit queue, on a SharedArrayBuffer so threads claim units without messages:
 * `[next unit, last unit worth running, explored by unit i (-1 until it finished)...]`.
 */
export function unitQueue(units: number): Int32Array {
  const q = new Int32Array(new SharedArrayBuffer(4 * (units + 2)));
  q[1] = units - 1;
  q.fill(-1, 2);
  return q;
}

/**
 * Claims the next unit worth running and its schedule cap, or null when none is. A unit past a
 * failing or cut unit, or past the budget, cannot change the merge, so it is not run; the cap
 * (budget minus what finished earlier units explored) is never below what the merge takes from it.
 */
export function claimUnit(q: Int32Array, budget: number): { index: number; left: number } | null {
  const i = Atomics.add(q, 0, 1);
  if (i >= q.length - 2 || i > Atomics.load(q, 1)) return null;
  let left = budget;
  for (let j = 0; j < i; j++) {
    const e = Atomics.load(q, 2 + j);
    if (e > 0) left -= e;
  }
  return left > 0 ? { index: i, left } : null;
}

/** Records unit `i`'s outcome (null: it threw); a failure, cut or error ends the queue there. */
export function finishUnit(q: Int32Array, i: number, r: UnitResult | null): void {
  Atomics.store(q, 2 + i, r === null ? 0 : r.explored);
  if (r !== null && r.failure === null && r.exhausted) return;
  let last = Atomics.load(q, 1);
  while (i < last) {
    const seen = Atomics.compareExchange(q, 1, last, i);
    if (seen === last) break;
    last = seen;
  }
}

/** Whether merging `units` in order reaches unit `i` (so one thread would have run it). */
export function mergeReaches(units: readonly (UnitResult | undefined)[], i: number, budget: number): boolean {
  let explored = 0;
  for (let j = 0; j < i; j++) {
    const u = units[j];
    if (u === undefined || u.failure !== null || !u.exhausted) return false;
    explored += u.explored;
  }
  return explored < budget;
}
