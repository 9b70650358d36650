import { formatChromeTrace, formatTraceText, type ReplayResult, replay } from '@daxref/core';
import { BenchError } from './errors';
import {
  DEFAULT_BUDGET,
  DEFAULT_SEED,
  DEFAULT_STRATEGY,
  type PolicyInput,
  policyInputs,
  runCell,
  type ScenarioInput,
  scenarioInputs,
} from './matrix';
import { allPolicies } from './policies';
import { SCENARIO_IDS } from './scenarios/index';
import { cellTag, splitToken } from './schedule-token';

/** Options of `traceScenario`. */
export interface TraceOptions {
  /** A catalogue id, a scenario object or entry, or a module ref. */
  scenario: ScenarioInput;
  /** One policy variant: an id (`1based@v6.14`), a factory or a module ref. */
  policy: PolicyInput;
  /**
   * A schedule token from `check` (bound to its scenario and policy), or a bare core token.
   * Default: the cell's counterexample, found the way `check` finds it (its default strategy,
   * budget and seed); the default schedule when the cell passes.
   */
  schedule?: string;
  format?: 'text' | 'chrome';
}

/** A replayed run and its trace, rendered. */
export interface TraceOutput {
  result: ReplayResult;
  text: string;
  /** The core token replayed. */
  schedule: string;
  /**
   * Where the schedule came from: `given` (the option), `counterexample` (found by exploring the
   * cell as `check` does), `default` (the cell passes: the default schedule).
   */
  origin: 'given' | 'counterexample' | 'default';
}

async function whoseTag(tag: string): Promise<string | null> {
  for (const s of SCENARIO_IDS)
    for (const p of await allPolicies()) if (cellTag(s, p.id) === tag) return `${s} under ${p.id}`;
  return null;
}

/**
 * Replays one schedule of a scenario under a policy, exactly, and renders its event log as text
 * (one line per step, violations marked) or Chrome trace-event JSON (Perfetto). Without a
 * schedule it replays the cell's counterexample (`origin` says which schedule ran).
 */
export async function traceScenario(opts: TraceOptions): Promise<TraceOutput> {
  const [s] = await scenarioInputs([opts.scenario]);
  const policies = await policyInputs([opts.policy]);
  if (policies.length !== 1)
    throw new BenchError(
      'USAGE',
      `trace takes one policy variant; '${String(opts.policy)}' is ${policies.length}: ${policies.map((p) => p.id).join(', ')}`,
    );
  const policy = policies[0]!;
  const entry = s!.entry;
  const id = entry.scenario.id;
  const reason = entry.applies?.(policy.create()) ?? null;
  if (reason !== null) throw new BenchError('USAGE', `scenario ${id} is n/a under ${policy.id}: ${reason}`);
  let token: string;
  let origin: TraceOutput['origin'];
  if (opts.schedule !== undefined) {
    const split = splitToken(opts.schedule);
    if (split.tag !== null && split.tag !== cellTag(id, policy.id)) {
      const owner = await whoseTag(split.tag);
      throw new BenchError(
        'BAD_TOKEN',
        `schedule '${opts.schedule}' was recorded for ${owner ?? 'another scenario or policy'}, not ${id} under ${policy.id}`,
      );
    }
    token = split.token;
    origin = 'given';
  } else {
    const cell = await runCell(
      {
        scenario: id,
        policy: policy.id,
        strategy: DEFAULT_STRATEGY,
        seed: DEFAULT_SEED,
        budget: DEFAULT_BUDGET,
      },
      entry,
      policy,
    );
    token = cell.schedule === undefined ? 'd1.' : splitToken(cell.schedule).token;
    origin = cell.schedule === undefined ? 'default' : 'counterexample';
  }
  let result: ReplayResult;
  try {
    result = replay(entry.scenario, () => policy.create(), token, { trace: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'BAD_ARGUMENT' || code === 'NONDETERMINISM') {
      throw new BenchError(
        'BAD_TOKEN',
        `schedule '${token}' does not replay on ${id} under ${policy.id}: ${(e as Error).message}`,
      );
    }
    throw e;
  }
  const log = result.log!;
  const text =
    opts.format === 'chrome' ? `${JSON.stringify(formatChromeTrace(log))}\n` : `${formatTraceText(log)}\n`;
  return { result, text, schedule: token, origin };
}
