// One workload under the selected designs: explored (bounded DFS, then seeded random schedules),
// each design's outcome reduced to one string, and a failing workload shrunk by fast-check's
// shrinker while it keeps its differential signature.
import { type ExploreResult, explore, VIOLATION_KINDS } from '@daxref/core';
import type fc from 'fast-check';
import type { ResolvedPolicy } from '../policies';
import { fuzzScenario } from './scenario';
import { encodeWorkload, type Workload, workloadSeed } from './workload';

/** Exploration settings per workload and design. */
export interface ExploreSettings {
  /** Schedules per workload and design: half for bounded DFS, the rest random (`--budget`). */
  readonly budget: number;
  /** DFS preemption bound. */
  readonly bound: number;
}

/** The default exploration settings. */
export const DEFAULT_EXPLORE: ExploreSettings = { budget: 60, bound: 2 };

/** A design's outcome on a workload: `pass`, a violation kind, or another verdict (`error`…). */
export interface Outcome {
  readonly outcome: string;
  /** Schedule token of the failing schedule (absent on pass). */
  readonly schedule?: string;
  /** Schedules explored. */
  readonly explored: number;
  /** The message of the first violation of that kind, or the error (absent on pass). */
  readonly detail?: string;
}

const KIND_ORDER = new Map<string, number>(VIOLATION_KINDS.map((k, i) => [k, i]));

/**
 * The one string a result reduces to: `pass`, the first violation kind in the model's kind order
 * (kinds it does not know yet sort after, by name), or the verdict itself when it is neither pass
 * nor fail (`error`, and whatever verdicts the explorer grows).
 */
export function outcomeOf(r: Pick<ExploreResult, 'verdict' | 'violations'>): string {
  if (r.verdict === 'pass') return 'pass';
  if (r.verdict !== 'fail' || r.violations.length === 0) return r.verdict;
  const kinds = [...new Set(r.violations.map((v) => v.kind as string))];
  kinds.sort(
    (a, b) => (KIND_ORDER.get(a) ?? 1e9) - (KIND_ORDER.get(b) ?? 1e9) || (a < b ? -1 : a > b ? 1 : 0),
  );
  return kinds[0]!;
}

/** Explores workload `w` under one design: bounded DFS, and if that passes, random schedules. */
export function exploreWorkload(w: Workload, p: ResolvedPolicy, s: ExploreSettings, seed: number): Outcome {
  try {
    return exploreOnce(w, p, s, seed);
  } catch (e) {
    // The model threw outside a task body (a checker, the teardown's ledger, the explorer's
    // shrink or replay): a model bug this workload exposes, reported as its own outcome.
    return {
      outcome: 'error',
      schedule: 'd1.',
      explored: 0,
      detail: `explore threw: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

function exploreOnce(w: Workload, p: ResolvedPolicy, s: ExploreSettings, seed: number): Outcome {
  const scenario = fuzzScenario(w);
  const policy = () => p.create();
  const dfsBudget = Math.max(1, Math.ceil(s.budget / 2));
  let r = explore({ scenario, policy, strategy: 'dfs', bound: s.bound, budget: dfsBudget, selfCheck: false });
  let explored = r.explored;
  if (r.verdict === 'pass' && !r.exhausted && s.budget - dfsBudget > 0) {
    r = explore({
      scenario,
      policy,
      strategy: 'random',
      seed,
      budget: s.budget - dfsBudget,
      selfCheck: false,
    });
    explored += r.explored;
  }
  const outcome = outcomeOf(r);
  if (outcome === 'pass') return { outcome, explored };
  const detail = r.error ?? r.violations.find((v) => v.kind === outcome)?.message ?? '';
  return { outcome, schedule: r.schedule ?? 'd1.', explored, detail };
}

/** Every selected design's outcome on a workload, in the order of `policies`. */
export function exploreAll(
  w: Workload,
  policies: readonly ResolvedPolicy[],
  s: ExploreSettings,
  seed: number,
): Outcome[] {
  return policies.map((p) => exploreWorkload(w, p, s, seed));
}

/**
 * The differential signatures of a workload's outcomes: one per non-pass outcome, with the
 * designs (indices into the policy list) that show it. `hang under 0based@v6.15 only` is one
 * signature; the same kind under two designs is one signature listing both.
 */
export function signatures(outcomes: readonly Outcome[]): { kind: string; designs: number[] }[] {
  const by = new Map<string, number[]>();
  outcomes.forEach((o, i) => {
    if (o.outcome === 'pass') return;
    const l = by.get(o.outcome);
    if (l) l.push(i);
    else by.set(o.outcome, [i]);
  });
  return [...by].map(([kind, designs]) => ({ kind, designs }));
}

/** The result of shrinking a workload. */
export interface Shrunk {
  readonly workload: Workload;
  /** The outcome of the first design of the signature on the shrunk workload (its schedule). */
  readonly outcome: Outcome;
  /** Candidate workloads tried. */
  readonly tries: number;
}

/**
 * Shrinks a workload with fast-check's shrinker (fewer ops, smaller indices, fewer tasks and
 * files) while it keeps its signature exactly: outcome `kind` under the designs in `designs` and
 * under no other selected design. At most `maxTries` candidates are explored.
 */
export function shrinkWorkload(
  arb: fc.Arbitrary<Workload>,
  start: fc.Value<Workload>,
  policies: readonly ResolvedPolicy[],
  sig: { kind: string; designs: readonly number[] },
  s: ExploreSettings,
  seed: number,
  maxTries = 120,
): Shrunk {
  const inSig = new Set(sig.designs);
  // designs of the signature first: most candidates fail there, cheaply
  const order = [...sig.designs, ...policies.map((_, i) => i).filter((i) => !inSig.has(i))];
  const seen = new Map<string, Outcome | null>();
  const keeps = (w: Workload): Outcome | null => {
    const key = encodeWorkload(w);
    const hit = seen.get(key);
    if (hit !== undefined) return hit;
    let first: Outcome | null = null;
    for (const i of order) {
      const o = exploreWorkload(w, policies[i]!, s, seed);
      if ((o.outcome === sig.kind) !== inSig.has(i)) {
        seen.set(key, null);
        return null;
      }
      first ??= o;
    }
    seen.set(key, first);
    return first;
  };
  let cur = start;
  let best: Outcome | null = null;
  let tries = 0;
  for (let progress = true; progress && tries < maxTries; ) {
    progress = false;
    for (const cand of arb.shrink(cur.value, cur.context)) {
      if (tries >= maxTries) break;
      const key = encodeWorkload(cand.value);
      if (!seen.has(key)) tries++;
      const o = cand.value.tasks.length > 0 ? keeps(cand.value) : null;
      if (o !== null) {
        cur = cand;
        best = o;
        progress = true;
        break;
      }
    }
  }
  return {
    workload: cur.value,
    outcome: best ?? exploreWorkload(cur.value, policies[sig.designs[0]!]!, s, seed),
    tries,
  };
}

export { workloadSeed };
