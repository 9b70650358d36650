import { DaxrefError } from '../errors';
import type { Violation, ViolationKind } from '../violations';
import { VIOLATION_KINDS } from '../violations';
import { replay, selfCheck } from './replay';
import type { ModuleRef, PolicyFactory, Scenario, Verdict } from './scenario';
import { type ScheduleSize, shrink } from './shrink';
import { encodeSchedule } from './token';
import {
  type Merged,
  mergeUnits,
  planUnits,
  runUnits,
  type StrategyName,
  type StrategyParams,
  type UnitResult,
  type UnitSpec,
} from './units';

/** Options of `explore`: a run is (scenario, policy variant, strategy, seed, budget). */
export interface ExploreOptions<C = unknown> {
  scenario: Scenario<C>;
  /** Creates the policy under test for each schedule. */
  policy: PolicyFactory;
  strategy: StrategyName;
  /** Seed of `random` / `pct` (default 1). */
  seed?: number;
  /** Complete schedules to explore at most (default 1000). */
  budget?: number;
  /** PCT depth (default 3). */
  depth?: number;
  /** DFS preemption bound (default 2). */
  bound?: number;
  /** DFS sleep-set pruning (default true). */
  prune?: boolean;
  /** The schedule token, for `replay`. */
  schedule?: string;
  /** Shrink a failing schedule (default true). */
  shrink?: boolean;
  /** Replay the reported schedule twice and compare event-log hashes (default true). */
  selfCheck?: boolean;
  /** Step budget per schedule (default: the scenario's, else 100000). */
  maxSteps?: number;
  /** Worker threads (`exploreParallel`); 1 runs in this thread. */
  workers?: number;
  /** Where worker threads load the scenario from (required with workers > 1). */
  scenarioRef?: ModuleRef;
  /** Where worker threads load the policy factory from (required with workers > 1). */
  policyRef?: ModuleRef;
}

/** What `explore` found. */
export interface ExploreResult {
  scenario: string;
  /** Full policy id `name@variant`, or `none`. */
  policy: string;
  strategy: StrategyName;
  seed: number;
  budget: number;
  verdict: Verdict;
  /** Violations of the reported (shrunk) failing schedule. */
  violations: Violation[];
  /** Token of the reported failing schedule. */
  schedule?: string;
  /** The failing schedule before and after shrinking. */
  shrink?: { before: ScheduleSize; after: ScheduleSize; runs: number };
  /** Complete schedules run. */
  explored: number;
  /** DFS: alternatives and executions skipped as reorderings of explored ones. */
  pruned: number;
  /** DFS: the bounded space was explored completely. */
  exhausted: boolean;
  /** Scheduler steps over all explored schedules. */
  steps: number;
  /** Event-log hash of the reported schedule (self-check). */
  hash?: number;
  /** A task body threw (verdict `error`). */
  error?: string;
  /** Why the verdict is `inconclusive` (step budget spent, a timed wait expired). */
  reason?: string;
  workers: number;
}

/** Resolved strategy parameters with defaults. */
export function strategyParams(o: ExploreOptions<unknown>): StrategyParams {
  if (o.strategy === 'replay') throw new DaxrefError('BAD_ARGUMENT', 'explore', 'replay has no shards');
  if (!['random', 'pct', 'dfs'].includes(o.strategy)) {
    throw new DaxrefError(
      'BAD_ARGUMENT',
      'explore',
      `unknown strategy '${String(o.strategy)}'; valid: random, pct, dfs, replay`,
    );
  }
  const budget = o.budget ?? 1000;
  if (!Number.isInteger(budget) || budget < 1)
    throw new DaxrefError('BAD_ARGUMENT', 'explore', `budget must be a positive integer, got ${budget}`);
  const bound = o.bound ?? 2;
  if (!Number.isInteger(bound) || bound < 0)
    throw new DaxrefError('BAD_ARGUMENT', 'explore', `bound must be a non-negative integer, got ${bound}`);
  const p: StrategyParams = {
    strategy: o.strategy,
    seed: o.seed ?? 1,
    budget,
    depth: o.depth ?? 3,
    bound,
    prune: o.prune ?? true,
  };
  if (o.maxSteps !== undefined) p.maxSteps = o.maxSteps;
  return p;
}

function policyId(f: PolicyFactory): string {
  const p = f();
  return p === null ? 'none' : `${p.name}@${p.variant}`;
}

function firstKind(vs: readonly Violation[]): ViolationKind | null {
  for (const k of VIOLATION_KINDS) if (vs.some((v) => v.kind === k)) return k;
  return null;
}

/** Turns merged unit results into a result: shrinks and self-checks a failing schedule. */
export function finishExplore<C>(
  o: ExploreOptions<C>,
  p: StrategyParams,
  m: Merged,
  workers: number,
): ExploreResult {
  const res: ExploreResult = {
    scenario: o.scenario.id,
    policy: policyId(o.policy),
    strategy: o.strategy,
    seed: p.seed,
    budget: p.budget,
    verdict: 'pass',
    violations: [],
    explored: m.explored,
    pruned: m.pruned,
    exhausted: p.strategy === 'dfs' && m.complete,
    steps: m.steps,
    workers,
  };
  const f = m.failure;
  if (f === null) return res;
  res.verdict = f.verdict;
  res.violations = f.violations;
  let dev = f.deviations;
  if (f.error !== undefined) res.error = f.error;
  if (f.reason !== undefined) res.reason = f.reason;
  const kind = firstKind(f.violations);
  if (kind !== null && o.shrink !== false) {
    const s = shrink(o.scenario, o.policy, dev, kind, { maxSteps: p.maxSteps });
    res.shrink = s;
    if (s.after.preemptions >= 0) {
      const r = replay(o.scenario, o.policy, s.after.schedule, { maxSteps: p.maxSteps });
      dev = r.deviations;
      res.violations = r.violations;
    }
  }
  res.schedule = encodeSchedule(dev);
  if (o.selfCheck !== false) res.hash = selfCheck(o.scenario, o.policy, res.schedule, p.maxSteps);
  return res;
}

/**
 * Explores the schedules of a scenario under a policy with a strategy, in this thread: `random`
 * and `pct` run `budget` seeded schedules, `dfs` every schedule within the preemption bound
 * (pruning reorderings of independent steps), `replay` the `schedule` token. Stops at the first
 * failing schedule, shrinks it, self-checks it and returns its token.
 */
export function explore<C>(o: ExploreOptions<C>): ExploreResult {
  if ((o.workers ?? 1) > 1) {
    throw new DaxrefError(
      'BAD_ARGUMENT',
      'explore',
      'workers > 1 needs exploreParallel() (worker threads are async)',
    );
  }
  if (o.strategy === 'replay') return exploreReplay(o);
  const p = strategyParams(o as ExploreOptions<unknown>);
  const units = planUnits(o.scenario, o.policy, p, 1);
  const results: UnitResult[] = runUnits(o.scenario, o.policy, p, units);
  // Units left unrun (budget spent) count as such: the space was not shown to be exhausted.
  return finishExplore(
    o,
    p,
    mergeUnits(
      units.map((_, i) => results[i]),
      p.budget,
    ),
    1,
  );
}

function exploreReplay<C>(o: ExploreOptions<C>): ExploreResult {
  if (o.schedule === undefined)
    throw new DaxrefError(
      'BAD_ARGUMENT',
      'explore',
      'strategy replay needs a schedule token (option schedule)',
    );
  const r = replay(o.scenario, o.policy, o.schedule, { maxSteps: o.maxSteps });
  const res: ExploreResult = {
    scenario: o.scenario.id,
    policy: policyId(o.policy),
    strategy: 'replay',
    seed: o.seed ?? 1,
    budget: 1,
    verdict: r.verdict,
    violations: r.violations,
    schedule: r.schedule,
    explored: 1,
    pruned: 0,
    exhausted: false,
    steps: r.steps,
    workers: 1,
  };
  if (r.error !== undefined) res.error = r.error;
  if (r.reason !== undefined) res.reason = r.reason;
  if (o.selfCheck !== false) res.hash = selfCheck(o.scenario, o.policy, o.schedule, o.maxSteps);
  return res;
}

/** Splits units into `n` contiguous shards (earlier units matter more: the merge stops early). */
export function shardUnits(units: readonly UnitSpec[], n: number): UnitSpec[][] {
  const out: UnitSpec[][] = [];
  const k = Math.max(1, Math.min(n, units.length));
  for (let i = 0; i < k; i++) {
    out.push(units.slice(Math.floor((units.length * i) / k), Math.floor((units.length * (i + 1)) / k)));
  }
  return out;
}
