import { DaxrefError } from '../errors';
import { Rng } from './rng';
import { syscall } from './signal';
import { signalEndsWait } from './sync';
import { BLOCK, type Blocker, EXIT, type KGen, PREEMPT, Task, type TaskState } from './task';

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

  /**
   * Blocks `t` for `ticks` of simulated time (`schedule_timeout`), uninterruptibly unless `state`
   * says otherwise (then a signal ends the sleep early, see `signal`).
   */
  *sleep(t: Task, ticks: number, fn = 'schedule_timeout', state?: 'interruptible' | 'killable'): KGen {
    const deadline = this.now + ticks;
    if (state !== undefined && signalEndsWait(t, state)) return;
    t.block({
      kind: 'timer',
      fn,
      what: `until tick ${deadline}`,
      ready: () => this.now >= deadline,
      ...(state !== undefined ? { interruptible: state } : {}),
    });
    this.armTimer(t, deadline);
    yield BLOCK;
  }

  /**
   * `nanosleep()` from user space: an interruptible sleep (`do_nanosleep`) as a system call, so a
   * SIGKILL ends it and the task exits on its return to user space.
   */
  *nanosleep(t: Task, ticks: number): KGen {
    yield* syscall(t, this.sleep(t, ticks, 'do_nanosleep', 'interruptible'));
  }

  /** Wakes `t` at `deadline` if it is still in the wait it is blocked in now (a timed wait). */
  armTimer(t: Task, deadline: number): void {
    if (t.blocker === null) throw new DaxrefError('SCHEDULER', 'sched', `armTimer: ${t} is not blocked`);
    this.timers.push({ deadline, task: t, blocker: t.blocker });
  }

  /**
   * Sends `sig` to `t` (`send_signal()` → `complete_signal()` → `signal_wake_up()`): it becomes
   * pending (a standard signal is not queued twice); SIGKILL makes `fatal_signal_pending()` true.
   * A task asleep in TASK_INTERRUPTIBLE is woken by any signal, one in TASK_KILLABLE by a fatal
   * one; an uninterruptible sleep is not disturbed. The task acts on it only where the kernel
   * does: at its explicit checks (the wait loops, `__get_user_pages`) and, for a fatal signal, on
   * its way back to user space (`syscall()`) or when its body ends, where it runs `do_exit`.
   * Returns false if `t` has already exited.
   */
  signal(t: Task, sig: string): boolean {
    if (t.state === 'done' || t.state === 'killed') return false;
    if (!t.signals.includes(sig)) t.signals.push(sig);
    if (sig === 'SIGKILL') t.fatal = true;
    const b = t.blocker;
    if (
      t.state === 'blocked' &&
      b !== null &&
      (b.interruptible === 'interruptible' || (b.interruptible === 'killable' && t.fatal))
    ) {
      t.wake();
    }
    return true;
  }

  /**
   * `kill(pid, SIGKILL)`: see `signal`. The task is not unwound where it stands: it keeps what it
   * holds until it returns to user space (the pages a GUP already pinned included), then its exit
   * hooks run in its own context, as `do_exit` would (close files, unpin, unmap). Wait for
   * `t.state === 'killed'` (the kernel wakes waiters keyed on the task when it ends).
   */
  kill(t: Task): boolean {
    return this.signal(t, 'SIGKILL');
  }

  /** `do_exit()`: unwinds the user-level body and runs the exit hooks as the task itself. */
  private exit(t: Task, gen: KGen<unknown>): void {
    t.exiting = true;
    t.sysDepth = 0;
    gen.return(undefined); // only user-level frames are live here: no kernel cleanup is skipped
    const hooks = t.exitHooks.splice(0);
    t.gen = (function* () {
      for (const h of hooks) yield* h(t);
    })();
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
    const state = t.state as TaskState; // the body may have blocked
    if (r.done) {
      if (t.exitPending() && !t.exiting) {
        // The body ended with a fatal signal pending: the process dies of it (do_exit).
        t.result = r.value;
        this.exit(t, gen);
      } else {
        t.state = t.exiting ? 'killed' : 'done';
        if (!t.exiting) t.result = r.value;
        t.gen = null;
        this.onTaskEnd?.(t);
      }
    } else if (r.value === EXIT) {
      if (!t.exitPending() || t.exiting || t.sysDepth !== 0) {
        throw new DaxrefError('SCHEDULER', 'sched', `task ${t} yielded EXIT outside a return to user space`);
      }
      this.exit(t, gen);
    } else if (r.value === BLOCK) {
      if (state !== 'blocked' && !t.woken) {
        throw new DaxrefError('SCHEDULER', 'sched', `task ${t} yielded BLOCK without registering a waiter`);
      }
    } else if (r.value !== PREEMPT) {
      throw new DaxrefError(
        'SCHEDULER',
        'sched',
        `task ${t} yielded ${String(r.value)}; a kernel path yields PREEMPT, BLOCK or EXIT`,
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
