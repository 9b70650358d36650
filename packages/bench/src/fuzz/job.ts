// The unit of fuzz work, as plain data so worker threads can run it: explore workload `index`
// under every selected design, or shrink a finding's representative workload.
import { type ResolvedPolicy, resolvePolicies } from '../policies';
import { classifyByDesign } from './classify';
import { type ExploreSettings, exploreAll, type Outcome, shrinkWorkload, signatures } from './explore';
import { scenarioSource } from './scenario';
import {
  describeOps,
  encodeWorkload,
  type GeneratorSettings,
  generateWorkload,
  workloadSeed,
} from './workload';

/** What every job of a run shares. */
export interface FuzzPlan {
  readonly policies: readonly string[];
  readonly seed: number;
  readonly generator: GeneratorSettings;
  readonly explore: ExploreSettings;
  readonly shrinkTries: number;
}

/** A fuzz job: explore one workload, or shrink one finding. */
export type FuzzJob =
  | { readonly type: 'explore'; readonly plan: FuzzPlan; readonly index: number }
  | {
      readonly type: 'shrink';
      readonly plan: FuzzPlan;
      readonly index: number;
      readonly kind: string;
      readonly designs: readonly number[];
    };

/** Each design's outcome on one workload. */
export interface WorkloadOutcome {
  readonly index: number;
  readonly workload: string;
  readonly outcomes: readonly Outcome[];
}

/** A finding's shrunk representative, as the output file shows it. */
export interface ShrunkFinding {
  /** The catalogue scenario whose mechanism the finding shows under its first design. */
  readonly catalogue?: string;
  /** The same, per design of the finding (a signature shared by two designs may be two known bugs). */
  readonly catalogueByPolicy: Record<string, string>;
  readonly ops: string[];
  readonly workload: string;
  readonly scenarioSource: string;
  readonly schedule: string;
  readonly traceCommand: string;
  /** What the first design of the finding reported on the shrunk workload (violation message or error). */
  readonly detail: string;
  readonly shrinkTries: number;
}

let cache: { key: string; policies: ResolvedPolicy[] } | null = null;

async function policiesOf(plan: FuzzPlan): Promise<ResolvedPolicy[]> {
  const key = plan.policies.join(' ');
  if (cache?.key !== key) cache = { key, policies: await resolvePolicies(plan.policies) };
  return cache.policies;
}

/** Explores workload `index` of the plan's stream under every design. */
export async function runExploreJob(plan: FuzzPlan, index: number): Promise<WorkloadOutcome> {
  const policies = await policiesOf(plan);
  const { value } = generateWorkload(plan.generator, plan.seed, index);
  const outcomes = exploreAll(value.value, policies, plan.explore, workloadSeed(plan.seed, index));
  return { index, workload: encodeWorkload(value.value), outcomes };
}

/** A shell-quoted argument (single quotes). */
function sh(s: string): string {
  return /^[\w@./:=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Shrinks workload `index` while it keeps the signature (`kind` under exactly `designs`), and
 * renders the result: ops, a pasteable scenario, the schedule token and the trace command.
 */
export async function runShrinkJob(
  plan: FuzzPlan,
  index: number,
  kind: string,
  designs: readonly number[],
): Promise<ShrunkFinding> {
  const policies = await policiesOf(plan);
  const { arb, value } = generateWorkload(plan.generator, plan.seed, index);
  const s = shrinkWorkload(
    arb,
    value,
    policies,
    { kind, designs },
    plan.explore,
    workloadSeed(plan.seed, index),
    plan.shrinkTries,
  );
  return render(
    s.workload,
    s.outcome,
    kind,
    designs.map((d) => policies[d]!.id),
    s.tries,
  );
}

/** A finding's fields from a workload and schedule (unshrunk when a run was interrupted). */
export function render(
  w: Parameters<typeof encodeWorkload>[0],
  outcome: Outcome,
  kind: string,
  designs: readonly string[],
  tries: number,
): ShrunkFinding {
  const schedule = outcome.schedule ?? 'd1.';
  const id = encodeWorkload(w);
  const byPolicy = classifyByDesign(kind, designs, w);
  const catalogue = byPolicy[designs[0]!];
  return {
    ...(catalogue !== undefined ? { catalogue } : {}),
    catalogueByPolicy: byPolicy,
    ops: describeOps(w),
    workload: id,
    scenarioSource: scenarioSource(w, 'fuzzFinding'),
    schedule,
    traceCommand: `daxref trace ${sh(id)} --policy ${designs[0]} --schedule ${sh(schedule)}`,
    detail: outcome.detail ?? '',
    shrinkTries: tries,
  };
}

/** Runs any job (the worker thread's entry). */
export async function runJob(job: FuzzJob): Promise<WorkloadOutcome | ShrunkFinding> {
  return job.type === 'explore'
    ? runExploreJob(job.plan, job.index)
    : runShrinkJob(job.plan, job.index, job.kind, job.designs);
}

export { signatures };
