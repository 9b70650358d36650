import { classifyHangs } from '../check/hangs';
import { RefLedger } from '../check/ledger';
import { DaxrefError } from '../errors';
import { Kernel } from '../kernel';
import type { Task } from '../sched/task';
import { RunObserver } from '../trace/observer';
import type { Violation } from '../violations';
import type { StrategyChooser } from './choosers';
import type { PolicyFactory, Scenario, Verdict } from './scenario';

/** How a run ended: every task done, some left blocked, step budget spent, a body threw, or the strategy cut it. */
export type ScheduleStatus = 'done' | 'stuck' | 'budget' | 'error' | 'aborted';

/** The outcome of one schedule. */
export interface ScheduleOutcome {
  status: ScheduleStatus;
  verdict: Verdict;
  /** Scheduler steps taken by the scenario's tasks (and teardown). */
  steps: number;
  /** Choice points (steps where more than one task could run). */
  points: number;
  /** The schedule: deviations from the default continuation (flat pairs), as a token stores them. */
  deviations: number[];
  preemptions: number;
  violations: Violation[];
  /** The message of the task body that threw (status `error`). */
  error?: string;
  /** Why the run is `inconclusive` (step budget spent, a timed wait expired). */
  reason?: string;
  /** Task names by id. */
  tasks: string[];
}

/** Per-run extras: an observer (trace, hash, ledger) and a per-step callback. */
export interface RunExtras {
  /** Builds the observer for this run's kernel (tracing, hashing); the ledger is added when the scenario needs it. */
  observe?: (k: Kernel, ledger: RefLedger | null) => RunObserver;
  /** Called with the kernel once the tasks are spawned (DFS hooks its footprints here). */
  started?: (k: Kernel, obs: RunObserver | null) => void;
  /** Step budget (default: the scenario's `kernel.maxSteps`, else 100000). */
  maxSteps?: number;
}

/** The kernel of the last run, for callers that inspect it (trace export). */
export interface RunWithKernel extends ScheduleOutcome {
  kernel: Kernel;
  observer: RunObserver | null;
}

function errMessage(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * Runs one schedule of `scenario` under a fresh kernel with the policy from `policy`, the
 * strategy `chooser` deciding every choice point. The checkers run on every run: violations the
 * model reports as they happen (use-after-free, dma-corruption, vm-bug-on, warn), hangs at
 * quiescence (missed-wakeup, deadlock, hang, unbind-hang) and, after a full teardown, leaks. A run
 * that spends its step budget, or whose scenario marked it inconclusive, is `inconclusive`.
 */
export function runSchedule<C>(
  scenario: Scenario<C>,
  policy: PolicyFactory,
  chooser: StrategyChooser,
  extras: RunExtras = {},
): RunWithKernel {
  const k = new Kernel({ ...scenario.kernel, policy: policy(), chooser });
  const s = k.sched;
  const ledger = scenario.teardown !== undefined || scenario.leakCheck === true ? new RefLedger() : null;
  let obs: RunObserver | null = null;
  if (extras.observe !== undefined) obs = extras.observe(k, ledger);
  else if (ledger !== null) obs = new RunObserver(k, { ledger });
  if (obs !== null) obs.install(); // before setup: references taken there are in the ledger too
  const ctx = scenario.setup(k);
  const base = s.steps;
  chooser.resetRecord(base);
  for (const st of scenario.tasks) {
    const body = st.body;
    s.spawn(st.name, (t: Task) => body(k, t, ctx));
  }
  extras.started?.(k, obs);
  const max = extras.maxSteps ?? scenario.kernel?.maxSteps ?? 100_000;
  let status: ScheduleStatus = 'done';
  let failed: Task | null = null;
  let tornDown = scenario.teardown === undefined;
  for (;;) {
    if (s.steps - base >= max) {
      status = 'budget';
      break;
    }
    if (!s.step()) {
      let blocked = false;
      for (const t of s.tasks) if (t.state === 'blocked') blocked = true;
      if (blocked) {
        status = 'stuck';
        break;
      }
      if (!tornDown) {
        tornDown = true;
        const td = scenario.teardown!;
        s.spawn('teardown', (t: Task) => td(k, t, ctx));
        continue;
      }
      status = 'done';
      break;
    }
    const cur = s.current!;
    if (cur.error !== undefined) {
      failed = cur;
      status = 'error';
      break;
    }
    if (chooser.aborted) {
      status = 'aborted';
      break;
    }
  }
  const step = s.steps - base;
  const extra: Violation[] = [];
  if (status === 'stuck') {
    const holders = ledger === null ? undefined : (pfn: number) => ledger.holders(pfn);
    for (const v of classifyHangs(s.blocked(), s.steps, holders)) extra.push(v);
  }
  if (status === 'done') {
    scenario.check?.(k, ctx);
    // one leak per page: a loop, not a spread (a 1 GiB folio has 262144 pages)
    if (ledger !== null && tornDown) for (const v of ledger.leaks(s.steps)) extra.push(v);
  }
  if (obs !== null) {
    obs.addViolations(extra);
    obs.uninstall();
  }
  const violations = k.violations.slice();
  for (const v of extra) violations.push(v);
  // A run that did not end is never a pass: the step budget (a task that spins, a livelock) or a
  // scenario helper's timed wait that expired leaves the run inconclusive unless a violation was
  // found regardless.
  const reasons: string[] = [];
  if (status === 'budget') {
    const live = s.tasks.filter((t) => t.state === 'runnable').map((t) => `${t.name}#${t.id}`);
    reasons.push(`step budget of ${max} reached with ${live.join(', ') || 'no task'} still runnable`);
  }
  for (const r of k.inconclusive) reasons.push(r);
  const out: RunWithKernel = {
    status,
    verdict:
      status === 'error'
        ? 'error'
        : violations.length > 0
          ? 'fail'
          : reasons.length > 0 && status !== 'aborted'
            ? 'inconclusive'
            : 'pass',
    steps: step,
    points: chooser.points,
    deviations: chooser.deviations,
    preemptions: chooser.preemptions,
    violations,
    tasks: ['', ...s.tasks.map((t) => t.name)],
    kernel: k,
    observer: obs,
  };
  if (out.verdict === 'inconclusive') out.reason = reasons.join('; ');
  if (failed !== null) {
    if (failed.error instanceof DaxrefError && failed.error.code === 'NONDETERMINISM') throw failed.error;
    out.error = `task ${failed.name}#${failed.id} threw: ${errMessage(failed.error)}`;
  }
  return out;
}
