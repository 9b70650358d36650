import type { RefLedger } from '../check/ledger';
import { DaxrefError } from '../errors';
import type { Kernel } from '../kernel';
import type { TraceLog } from '../trace/events';
import { RunObserver } from '../trace/observer';
import { ReplayStrategy } from './choosers';
import { type RunWithKernel, runSchedule } from './run';
import type { PolicyFactory, Scenario } from './scenario';
import { decodeSchedule, encodeSchedule } from './token';

/** Options of `replay`. */
export interface ReplayOptions {
  /** Keep the typed event log (for text / Chrome trace output). */
  trace?: boolean;
  /** Hash the event log. */
  hash?: boolean;
  /** Lenient: ignore recorded picks that cannot run (shrinking); default strict. */
  lenient?: boolean;
  maxSteps?: number;
}

/** A replayed run, with its event log when asked for. */
export interface ReplayResult extends RunWithKernel {
  /** The schedule token of what actually ran. */
  schedule: string;
  /** The event log hash (with `hash`). */
  hash?: number;
  /** The event log (with `trace`). */
  log?: TraceLog;
}

/**
 * Replays a schedule (a token or deviations) exactly. A strict replay throws
 * `DaxrefError('NONDETERMINISM')` when the run leaves its recording.
 */
export function replay<C>(
  scenario: Scenario<C>,
  policy: PolicyFactory,
  schedule: string | readonly number[],
  opts: ReplayOptions = {},
): ReplayResult {
  const dev = typeof schedule === 'string' ? decodeSchedule(schedule) : schedule;
  const ch = new ReplayStrategy();
  ch.reset(dev, opts.lenient !== true, 0);
  const want = opts.trace === true || opts.hash === true;
  const r = runSchedule(scenario, policy, ch, {
    maxSteps: opts.maxSteps,
    observe: want
      ? (k: Kernel, ledger: RefLedger | null) =>
          new RunObserver(k, { events: opts.trace, hash: opts.hash, ledger })
      : undefined,
  }) as ReplayResult;
  if (opts.lenient !== true && ch.unused() > 0) {
    throw new DaxrefError(
      'NONDETERMINISM',
      'replay',
      `the run ended after ${r.points} choice points, but the schedule has ${ch.unused()} more pick(s): ` +
        'the run diverged from its recording',
    );
  }
  r.schedule = encodeSchedule(r.deviations);
  if (opts.hash === true) r.hash = r.observer!.hash >>> 0;
  if (opts.trace === true) {
    r.log = {
      tasks: r.tasks,
      events: r.observer!.events!,
      scenario: scenario.id,
      policy: r.kernel.policy === null ? 'none' : `${r.kernel.policy.name}@${r.kernel.policy.variant}`,
      schedule: r.schedule,
    };
  }
  return r;
}

/**
 * The nondeterminism self-check: replays `schedule` twice and compares the event-log hashes.
 * Returns the hash; throws `DaxrefError('NONDETERMINISM')` naming the first step that differs.
 */
export function selfCheck<C>(
  scenario: Scenario<C>,
  policy: PolicyFactory,
  schedule: string,
  maxSteps?: number,
): number {
  const a = replay(scenario, policy, schedule, { hash: true, maxSteps });
  const b = replay(scenario, policy, schedule, { hash: true, maxSteps });
  if (a.hash === b.hash) return a.hash!;
  const ha = a.observer!.stepHashes;
  const hb = b.observer!.stepHashes;
  let i = 0;
  while (i < ha.length && i < hb.length && ha[i] === hb[i]) i++;
  const where =
    i < Math.max(ha.length, hb.length)
      ? `they first differ at step ${i + 1} of the run (${ha.length} vs ${hb.length} steps)`
      : 'the steps agree but the end-of-run checks differ';
  throw new DaxrefError(
    'NONDETERMINISM',
    'self-check',
    `replaying schedule ${schedule} of scenario ${scenario.id} twice gave different event logs ` +
      `(hash ${a.hash!.toString(16)} vs ${b.hash!.toString(16)}); ${where}. A task body or the policy depends ` +
      'on state outside the model (Math.random, Date.now, module-level variables, iteration over unordered data)',
  );
}
