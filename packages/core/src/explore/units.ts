import type { Violation } from '../violations';
import { PctStrategy, RandomStrategy, ReplayStrategy } from './choosers';
import { type DfsNode, DfsSession } from './dfs';
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
  verdict: 'fail' | 'error';
  violations: Violation[];
  error?: string;
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
    verdict: r.verdict === 'error' ? 'error' : 'fail',
    violations: r.violations,
  };
  if (r.error !== undefined) f.error = r.error;
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
  let left = p.budget;
  if (p.strategy === 'dfs') {
    const s = new DfsSession(scenario, policy, { bound: p.bound, prune: p.prune, maxSteps: p.maxSteps });
    s.with(() => {
      const root = s.root();
      const fps = new Map<number, Footprint>();
      for (const u of units) {
        if (left <= 0 || u.kind !== 'dfs') break;
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
        const r = dfsUnit(s, u.alt >= 0 ? [s.rootNode(root, u.alt, earlier)] : [], left);
        out.push(r);
        left -= r.explored;
        if (r.failure !== null) break;
      }
    });
    return out;
  }
  const tasks = scenario.tasks.length;
  const length = p.strategy === 'pct' ? defaultLength(scenario, policy, p.maxSteps) : 0;
  const rnd = new RandomStrategy();
  const pct = p.strategy === 'pct' ? new PctStrategy(p.depth) : null;
  for (const u of units) {
    if (left <= 0 || u.kind !== 'range') break;
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
        pct.reset(p.seed, i, 0, tasks, length);
        o = runSchedule(scenario, policy, pct, { maxSteps: p.maxSteps });
      } else {
        rnd.reset(p.seed, i, 0);
        o = runSchedule(scenario, policy, rnd, { maxSteps: p.maxSteps });
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
