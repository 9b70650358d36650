import type { Kernel, KernelOptions } from '../kernel';
import type { Policy } from '../policy';
import type { KGen, Task } from '../sched/task';
import type { Violation } from '../violations';

/**
 * A run's outcome: `pass`, `fail` (violations found), `error` (a task body threw: a model bug),
 * or `inconclusive`: no violation was found but the run cannot be judged (the step budget ran
 * out, or a scenario helper's timed wait expired); it is never counted as a pass.
 */
export type Verdict = 'pass' | 'fail' | 'error' | 'inconclusive';

/** One task of a scenario: a kernel path run as a simulated task. */
export interface ScenarioTask<C> {
  /** Task name in traces and violations (`pin`, `trunc`). */
  readonly name: string;
  /** The task body; `ctx` is what `setup` returned for this run. */
  body(k: Kernel, t: Task, ctx: C): KGen<unknown>;
}

/**
 * A small multi-task program against the model (DOMAIN §6). It is built fresh for every schedule:
 * the explorer creates a new kernel with the policy under test, calls `setup`, spawns `tasks`, runs
 * them under a strategy, then (if given) runs `teardown` alone and checks the reference ledger.
 */
export interface Scenario<C = unknown> {
  /** Catalogue id (`unpin-missed-wakeup`). */
  readonly id: string;
  /** One-line title. */
  readonly title: string;
  /** Where it comes from: a seed thread, a commit, a DOMAIN section. */
  readonly source: string;
  /** Kernel options (cpus, RAM pages, step budget); the policy and chooser are the explorer's. */
  readonly kernel?: Omit<KernelOptions, 'policy' | 'chooser'>;
  /** Builds the world before the tasks start (devices, files, mappings); runs with no preemption. */
  setup(k: Kernel): C;
  /** The concurrent tasks, spawned in this order (task ids 1.. after any setup tasks). */
  readonly tasks: readonly ScenarioTask<C>[];
  /**
   * Full teardown, run alone once every task has ended (unmap, close, unbind). When present, the
   * reference ledger is kept and every reference left afterwards is a `leak`.
   */
  teardown?(k: Kernel, t: Task, ctx: C): KGen<unknown>;
  /** Extra end-of-run checks; report through `k.report`. */
  check?(k: Kernel, ctx: C): void;
  /** Keep the reference ledger and check for leaks at the end even without a `teardown`. */
  readonly leakCheck?: boolean;
  /** Expected verdicts by full policy id (`1based@v6.14`), for reports; never used to decide a verdict. */
  readonly expected?: Readonly<Record<string, Verdict | 'n/a'>>;
}

/** Creates the policy under test, fresh for each schedule (null: the core alone). */
export type PolicyFactory = () => Policy | null;

/**
 * A module export, so worker threads can load a scenario or policy factory: `module` is an
 * import specifier or a `file:` URL; `export` names the export; for a policy, the export is a
 * function called with `args` to create the policy for each schedule.
 */
export interface ModuleRef {
  readonly module: string;
  readonly export: string;
  readonly args?: readonly unknown[];
}

/** A violation as the explorer reports it (the model's, plus the checkers'). */
export type { Violation };
