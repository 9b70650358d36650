import { DaxrefError } from '../errors';
import { Rng } from '../sched/rng';
import type { Chooser, Scheduler } from '../sched/scheduler';
import type { Task } from '../sched/task';

/**
 * A strategy's chooser. It records the schedule as deviations from the default continuation
 * (the last task if it can still run, else the lowest id), which is what a token stores, and
 * counts preemptions (a switch away from a task that could have kept running).
 */
export abstract class StrategyChooser implements Chooser {
  /** Flat pairs (choice-point index, task id) where the pick differed from the default. */
  deviations: number[] = [];
  /** Choice points so far (steps where more than one task was runnable). */
  points = 0;
  preemptions = 0;
  /** Set by a strategy to stop the run (a DFS branch that only repeats explored orders). */
  aborted = false;
  /** `sched.steps` when the scenario's tasks started. */
  base = 0;

  /** Clears the record for a new run. */
  resetRecord(base: number): void {
    this.deviations = [];
    this.points = 0;
    this.preemptions = 0;
    this.aborted = false;
    this.base = base;
  }

  choose(runnable: readonly Task[], last: Task | null, sched: Scheduler): number {
    const at = this.points++;
    let def = 0;
    let lastRunnable = false;
    if (last !== null && last.state === 'runnable') {
      lastRunnable = true;
      while (runnable[def] !== last) def++;
    }
    const i = this.pick(runnable, def, lastRunnable, at, sched);
    if (i !== def) {
      this.deviations.push(at, runnable[i]!.id);
      if (lastRunnable) this.preemptions++;
    }
    return i;
  }

  /** The strategy's pick: an index into `runnable`; `def` is the default continuation's index. */
  protected abstract pick(
    runnable: readonly Task[],
    def: number,
    lastRunnable: boolean,
    at: number,
    sched: Scheduler,
  ): number;
}

/** 32-bit mix of a base seed and a schedule index (each schedule of a run gets its own stream). */
export function scheduleSeed(seed: number, index: number): number {
  let h = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h | 0;
}

/** `random`: a uniformly random runnable task at every choice point, from a seeded generator. */
export class RandomStrategy extends StrategyChooser {
  private rng = new Rng(0);
  /** Starts schedule `index` of a run with base `seed`. */
  reset(seed: number, index: number, base: number): void {
    this.rng = new Rng(scheduleSeed(seed, index));
    this.resetRecord(base);
  }
  protected pick(runnable: readonly Task[]): number {
    return this.rng.below(runnable.length);
  }
}

/**
 * `pct` (Burckhardt et al., "A randomized scheduler with probabilistic guarantees of finding
 * bugs", ASPLOS 2010): random distinct task priorities ≥ d, and d−1 change points drawn over the
 * expected run length; at change point i the running task drops to priority d−1−i. The highest
 * priority runnable task runs. Finds any bug of depth d with probability ≥ 1/(n·k^(d−1)).
 */
export class PctStrategy extends StrategyChooser {
  readonly depth: number;
  private rng = new Rng(0);
  private prio: number[] = [];
  private changes: number[] = [];
  /** Priorities not yet handed out, in the order tasks are first seen. */
  private fresh: number[] = [];
  constructor(depth: number) {
    super();
    if (!Number.isInteger(depth) || depth < 1)
      throw new DaxrefError('BAD_ARGUMENT', 'explore', `pct depth must be an integer >= 1, got ${depth}`);
    this.depth = depth;
  }
  /** Starts schedule `index`; `length` is the expected number of steps (change points fall in it). */
  reset(seed: number, index: number, base: number, tasks: number, length: number): void {
    const rng = new Rng(scheduleSeed(seed, index));
    this.rng = rng;
    this.resetRecord(base);
    const d = this.depth;
    // Random permutation of priorities d .. d+tasks-1, handed to tasks as they are first seen.
    const perm: number[] = [];
    for (let i = 0; i < tasks; i++) perm.push(d + i);
    for (let i = tasks - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      const x = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = x;
    }
    this.prio = [];
    this.fresh = perm;
    const ch: number[] = [];
    for (let i = 0; i < d - 1; i++) ch.push(1 + rng.below(Math.max(1, length)));
    this.changes = ch; // change point i lowers to d-1-i, in draw order (PCT's k_i)
  }
  protected pick(
    runnable: readonly Task[],
    def: number,
    lastRunnable: boolean,
    at: number,
    sched: Scheduler,
  ): number {
    const now = sched.steps - this.base;
    const last = sched.current;
    const ch = this.changes;
    for (let i = 0; i < ch.length; i++) {
      if (ch[i]! > 0 && now >= ch[i]!) {
        ch[i] = -1;
        if (last !== null) this.prio[last.id] = this.depth - 1 - i;
      }
    }
    let best = 0;
    let bp = -1;
    const tasksBound = sched.tasks.length;
    for (let i = 0; i < runnable.length; i++) {
      const id = runnable[i]!.id;
      let p = this.prio[id];
      if (p === undefined) {
        // First sight of a task: the next priority of the permutation; a task beyond the
        // scenario's (an exit task) gets a random one above every change point's.
        p = this.fresh.length > 0 ? this.fresh.shift()! : this.depth + tasksBound + this.rng.below(1 << 16);
        this.prio[id] = p;
      }
      if (p > bp) {
        bp = p;
        best = i;
      }
    }
    return best;
  }
}

/**
 * `replay`: follows a token's deviations and the default continuation elsewhere. Strict replay
 * throws NONDETERMINISM when a recorded task cannot run; lenient replay (shrinking) ignores it.
 */
export class ReplayStrategy extends StrategyChooser {
  private dev: readonly number[] = [];
  private di = 0;
  strict = true;
  /** Starts a replay of `deviations`. */
  reset(deviations: readonly number[], strict: boolean, base: number): void {
    this.dev = deviations;
    this.di = 0;
    this.strict = strict;
    this.resetRecord(base);
  }
  /** Deviations the run never reached (a strict replay that ended early diverged). */
  unused(): number {
    return (this.dev.length - this.di) / 2;
  }
  protected pick(runnable: readonly Task[], def: number, lastRunnable: boolean, at: number): number {
    const dev = this.dev;
    while (this.di < dev.length && dev[this.di]! < at) this.di += 2;
    if (this.di < dev.length && dev[this.di] === at) {
      const id = dev[this.di + 1]!;
      this.di += 2;
      for (let i = 0; i < runnable.length; i++) if (runnable[i]!.id === id) return i;
      if (this.strict) {
        throw new DaxrefError(
          'NONDETERMINISM',
          'replay',
          `at choice point ${at} the schedule picks task ${id}, but the runnable tasks are ` +
            `[${runnable.map((t) => `${t.name}#${t.id}`).join(', ')}]: the run diverged from its recording ` +
            '(a task body depends on something outside the model: Math.random, Date.now, module state)',
        );
      }
    }
    return def;
  }
}
