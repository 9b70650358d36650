import { DaxrefError } from '../errors';
import { Rng } from './rng';
import { BLOCK, type Blocker, type KGen, PREEMPT, Task, type TaskState } from './task';

/** Picks which runnable task runs next. Strategies (random, PCT, DFS, replay) implement this. */
export interface Chooser {
  /** Index into `runnable` (sorted by task id) of the task to run; `last` ran the previous step. */
  choose(runnable: readonly Task[], last: Task | null, sched: Scheduler): number;
}

/** Runs the task after the last one, in id order, at every step: maximal interleaving. */
export class RoundRobin implements Chooser {
  choose(runnable: readonly Task[], last: Task | null): number {
    if (last === null) return 0;
    for (let i = 0; i < runnable.length; i++) if (runnable[i]!.id > last.id) return i;
    return 0;
  }
}

/** Keeps running the last task until it blocks or ends, then the lowest id: no preemption. */
export class NonPreemptive implements Chooser {
  choose(runnable: readonly Task[], last: Task | null): number {
    if (last !== null) {
      const i = runnable.indexOf(last);
      if (i >= 0) return i;
    }
    return 0;
  }
}

/** A uniformly random runnable task at every step, from a seeded generator. */
export class RandomChooser implements Chooser {
  readonly rng: Rng;
  constructor(seed: number) {
    this.rng = new Rng(seed);
  }
  choose(runnable: readonly Task[]): number {
    return this.rng.below(runnable.length);
  }
}

/** How a run ended. */
export type RunStatus = 'done' | 'stuck' | 'budget' | 'error';

/** The outcome of `Scheduler.run()`. */
export interface RunResult {
  status: RunStatus;
  steps: number;
  /** Tasks still blocked when the run stopped. */
  blocked: Task[];
  /** The first task body that threw, if any. */
  error?: { task: Task; error: unknown };
}

interface Timer {
  deadline: number;
  task: Task;
  /** The wait the timer ends; a task that already left it is not woken. */
  blocker: Blocker;
}

/** Options of a scheduler. */
export interface SchedulerOptions {
  /** Simulated CPUs; task `i` runs on CPU `i % cpus`. Default 2. */
  cpus?: number;
  /** Who runs next. Default: round-robin. */
  chooser?: Chooser;
  /** A run stops with `budget` after this many steps. Default 100000. */
  maxSteps?: number;
}

/**
 * The deterministic scheduler. Tasks are generators; a step resumes one runnable task until its
 * next yield. Code between two yields is atomic, as an atomic operation or a spinlocked region
 * is in the kernel. The clock advances one tick per step; timers fire when nothing can run.
 */
export class Scheduler {
  readonly tasks: Task[] = [];
  readonly cpus: number;
  chooser: Chooser;
  maxSteps: number;
  /** Simulated time in ticks. */
  now = 0;
  steps = 0;
  /** Ids of the tasks chosen at each step where more than one was runnable. */
  readonly choices: number[] = [];
  /** The task running now (inside `step`), or the last one that ran. */
  current: Task | null = null;
  private readonly timers: Timer[] = [];
  private runnableCache: Task[] = [];
  /** Called after every step with the task that ran (the checkers and the trace hook in here). */
  onStep: ((t: Task) => void) | null = null;
  /** Called when a task's body ends (returns or throws); the kernel wakes waiters on the task. */
  onTaskEnd: ((t: Task) => void) | null = null;

  constructor(opts: SchedulerOptions = {}) {
    this.cpus = opts.cpus ?? 2;
    this.chooser = opts.chooser ?? new RoundRobin();
    this.maxSteps = opts.maxSteps ?? 100_000;
  }

  /** Creates a task running `body`; it starts runnable. */
  spawn(name: string, body: (t: Task) => KGen<unknown>): Task {
    const t = new Task(this.tasks.length + 1, name, this.tasks.length % this.cpus);
    t.gen = body(t);
    this.tasks.push(t);
    return t;
  }

  /** The runnable tasks, in id order. */
  runnable(): Task[] {
    const out = this.runnableCache;
    out.length = 0;
    for (const t of this.tasks) if (t.state === 'runnable') out.push(t);
    return out;
  }

  /** Tasks that are blocked. */
  blocked(): Task[] {
    return this.tasks.filter((t) => t.state === 'blocked');
  }

  /** Blocks `t` for `ticks` of simulated time (`schedule_timeout`). */
  *sleep(t: Task, ticks: number, fn = 'schedule_timeout'): KGen {
    const deadline = this.now + ticks;
    t.block({ kind: 'timer', fn, what: `until tick ${deadline}`, ready: () => this.now >= deadline });
    this.armTimer(t, deadline);
    yield BLOCK;
  }

  /** Wakes `t` at `deadline` if it is still in the wait it is blocked in now (a timed wait). */
  armTimer(t: Task, deadline: number): void {
    if (t.blocker === null) throw new DaxrefError('SCHEDULER', 'sched', `armTimer: ${t} is not blocked`);
    this.timers.push({ deadline, task: t, blocker: t.blocker });
  }

  /**
   * Kills `t` (SIGKILL): its body is unwound at once (its `finally` blocks release what it
   * held) and its exit hooks run as a new task, as `do_exit` would (closing files, unpinning,
   * unmapping). Returns the exit task, or null if `t` had already ended.
   */
  kill(t: Task): Task | null {
    if (t.state === 'done' || t.state === 'killed') return null;
    t.fatal = true;
    t.signals.push('SIGKILL');
    const gen = t.gen;
    t.gen = null;
    t.state = 'killed';
    t.blocker = null;
    gen?.return(undefined);
    const hooks = t.exitHooks.splice(0);
    return this.spawn(`${t.name}:exit`, function* (exit) {
      for (const h of hooks) yield* h(exit);
    });
  }

  /** Resumes task `t` for one step. Returns false if it could not run. */
  stepTask(t: Task): boolean {
    const gen = t.gen;
    if (t.state !== 'runnable' || gen === null) return false;
    const ran = this.resume(t, gen);
    this.now++; // one tick per step, after it ran
    return ran;
  }

  private resume(t: Task, gen: KGen<unknown>): boolean {
    this.current = t;
    this.steps++;
    t.steps++;
    let r: IteratorResult<number, unknown>;
    try {
      r = gen.next();
    } catch (error) {
      t.state = 'done';
      t.error = error;
      t.gen = null;
      this.onTaskEnd?.(t);
      this.onStep?.(t);
      return true;
    }
    const state = t.state as TaskState; // the body may have blocked or been killed
    if (r.done) {
      t.state = state === 'killed' ? 'killed' : 'done';
      t.result = r.value;
      t.gen = null;
      this.onTaskEnd?.(t);
    } else if (r.value === BLOCK) {
      if (state !== 'blocked' && !t.woken) {
        throw new DaxrefError('SCHEDULER', 'sched', `task ${t} yielded BLOCK without registering a waiter`);
      }
    } else if (r.value !== PREEMPT) {
      throw new DaxrefError(
        'SCHEDULER',
        'sched',
        `task ${t} yielded ${String(r.value)}; a kernel path yields PREEMPT or BLOCK`,
      );
    }
    this.onStep?.(t);
    return true;
  }

  /** Runs one step of the task the chooser picks; false if nothing can run (after firing timers). */
  step(): boolean {
    let run = this.runnable();
    if (run.length === 0) {
      if (!this.fireTimers()) return false;
      run = this.runnable();
    }
    const last = this.current;
    let i = 0;
    if (run.length > 1) {
      i = this.chooser.choose(run, last, this);
      if (!(i >= 0 && i < run.length)) {
        throw new DaxrefError(
          'SCHEDULER',
          'sched',
          `chooser picked index ${i} of ${run.length} runnable tasks`,
        );
      }
      this.choices.push(run[i]!.id);
    }
    return this.stepTask(run[i]!);
  }

  /** Advances the clock to the earliest timer and wakes its task; false if there is none. */
  private fireTimers(): boolean {
    if (this.timers.length === 0) return false;
    let min = Number.POSITIVE_INFINITY;
    for (const tm of this.timers) if (tm.deadline < min && tm.task.blocker === tm.blocker) min = tm.deadline;
    if (min === Number.POSITIVE_INFINITY) {
      this.timers.length = 0;
      return false;
    }
    if (min > this.now) this.now = min;
    let fired = false;
    for (let i = this.timers.length - 1; i >= 0; i--) {
      const tm = this.timers[i]!;
      if (tm.deadline <= this.now) {
        this.timers.splice(i, 1);
        if (tm.task.blocker === tm.blocker) fired = tm.task.wake() || fired;
      }
    }
    return fired || this.runnable().length > 0;
  }

  /** Runs until every task has ended, nothing can run, a body throws, or the step budget is spent. */
  run(): RunResult {
    while (this.steps < this.maxSteps) {
      if (!this.step()) break;
      const err = this.tasks.find((t) => t.error !== undefined);
      if (err)
        return {
          status: 'error',
          steps: this.steps,
          blocked: this.blocked(),
          error: { task: err, error: err.error },
        };
    }
    const blocked = this.blocked();
    const live = this.tasks.some((t) => t.state === 'runnable');
    const status: RunStatus = live ? 'budget' : blocked.length > 0 ? 'stuck' : 'done';
    return { status, steps: this.steps, blocked };
  }

  /** Runs task `t` alone until it blocks or ends (hand-scheduled tests). Returns its state. */
  runTask(t: Task, maxSteps = 10_000): Task['state'] {
    for (let i = 0; i < maxSteps && t.state === 'runnable'; i++) this.stepTask(t);
    if (t.error !== undefined) throw t.error;
    return t.state;
  }
}
