import { formatChromeTrace, formatTraceText, type ReplayResult, replay } from '@daxref/core';
import { BenchError } from './errors';
import { fuzzScenario } from './fuzz/scenario';
import { decodeWorkload, FUZZ_PREFIX } from './fuzz/workload';
import { resolvePolicies } from './policies';
import { selectScenarios } from './scenarios/index';

/** Options of `traceScenario`. */
export interface TraceOptions {
  scenario: string;
  policy: string;
  /** A schedule token from `check`; default: the default schedule (no deviation). */
  schedule?: string;
  format?: 'text' | 'chrome';
}

/** A replayed run and its trace, rendered. */
export interface TraceOutput {
  result: ReplayResult;
  text: string;
}

/**
 * Replays one schedule of a scenario under a policy, exactly, and renders its event log as text
 * (one line per step, violations marked) or Chrome trace-event JSON (Perfetto).
 */
export async function traceScenario(opts: TraceOptions): Promise<TraceOutput> {
  // A fuzz finding's workload is its own id (`fuzz:…`); anything else is a catalogue scenario.
  const fuzz = opts.scenario.startsWith(FUZZ_PREFIX);
  const entry = fuzz ? null : selectScenarios([opts.scenario])[0]!;
  const scenario = entry?.scenario ?? fuzzScenario(decodeWorkload(opts.scenario));
  const [policy] = await resolvePolicies([opts.policy]);
  if (policy === undefined) throw new BenchError('UNKNOWN_POLICY', `unknown policy '${opts.policy}'`);
  const reason = entry?.applies?.(policy.create()) ?? null;
  if (reason !== null)
    throw new BenchError('USAGE', `scenario ${opts.scenario} is n/a under ${policy.id}: ${reason}`);
  const token = opts.schedule ?? 'd1.';
  let result: ReplayResult;
  try {
    result = replay(scenario, () => policy.create(), token, { trace: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'BAD_ARGUMENT' || code === 'NONDETERMINISM') {
      throw new BenchError(
        'BAD_TOKEN',
        `schedule '${token}' does not replay on ${opts.scenario} under ${policy.id}: ${(e as Error).message}`,
      );
    }
    throw e;
  }
  const log = result.log!;
  const text =
    opts.format === 'chrome' ? `${JSON.stringify(formatChromeTrace(log))}\n` : `${formatTraceText(log)}\n`;
  return { result, text };
}
