import { DaxrefError } from '../errors';

/** A task yields this at a preemption point: the scheduler may switch to another task. */
export const PREEMPT = 0;
/** A task yields this after registering itself as a waiter: it runs again once woken. */
export const BLOCK = 1;

/**
 * A task yields this on its way back to user space with a fatal signal pending (`syscall()`):
 * the scheduler then runs `do_exit` in its place.
 */
export const EXIT = 2;

/** A kernel path: a generator that yields `PREEMPT` or `BLOCK` and returns its result. */
export type KGen<T = void> = Generator<number, T, undefined>;

/** Where a task is in its life. */
export type TaskState = 'runnable' | 'blocked' | 'done' | 'killed';

/** What a blocked task waits for, for the checkers and the trace. */
export interface Blocker {
  /** `var` (wait_var_event), `rwsem`, `completion`, `entry` (DAX entry lock), `grace` (RCU / IPI). */
  readonly kind: 'var' | 'rwsem' | 'completion' | 'entry' | 'grace' | 'timer';
  /** The kernel function that waits (`___wait_var_event`, `down_write`, …). */
  readonly fn: string;
  /** A short description of the object: `page 0x1000 _refcount`, `MMAPLOCK of inode 3`. */
  readonly what: string;
  /** The wait's condition: true means the task would proceed if woken. */
  readonly ready: () => boolean;
  /** Tasks that hold what this waits for (lock owners), for deadlock cycles. */
  readonly owners?: () => readonly Task[];
  /** The wait is part of device teardown (unbind): a hang here is an `unbind-hang`. */
  readonly teardown?: boolean;
  /** TASK_INTERRUPTIBLE / TASK_KILLABLE: a (fatal) signal wakes it; absent means uninterruptible. */
  readonly interruptible?: 'interruptible' | 'killable';
  /** The page whose references the wait is for (a page-idle wait), to name the holders of a hang. */
  readonly pfn?: number;
  /** The wait's predicate in kernel terms (`dax_page_is_idle: folio_ref_count == 0`). */
  readonly predicate?: string;
}

/** A simulated task: one thread of kernel execution, with the CPU it runs on. */
export class Task {
  readonly id: number;
  readonly name: string;
  readonly cpu: number;
  state: TaskState = 'runnable';
  gen: KGen<unknown> | null = null;
  /** What the body returned, once done. */
  result: unknown = undefined;
  /** What the body threw, once done (a model bug or API misuse). */
  error: unknown = undefined;
  blocker: Blocker | null = null;
  /** The task was woken since it last blocked (a wake with no waiter is lost, as in the kernel). */
  woken = false;
  /** `local_irq_save` depth (gup-fast). */
  irqOff = 0;
  /** `rcu_read_lock` depth. */
  rcuDepth = 0;
  /** Outermost irq-off / RCU sections exited, for grace periods. */
  irqExits = 0;
  rcuExits = 0;
  /** Signals delivered and not yet handled (SIGBUS, SIGIO, SIGKILL), in order. */
  readonly signals: string[] = [];
  /** A fatal signal is pending (`fatal_signal_pending()`: SIGKILL). */
  fatal = false;
  /** Nesting of kernel entries (`syscall()`): 0 in user space. */
  sysDepth = 0;
  /** The task is in `do_exit`: its exit hooks run in its own context. */
  exiting = false;
  /** Steps this task ran. */
  steps = 0;
  /** Run when the task is killed, in its own context (`do_exit`): close files, unpin, unmap. */
  exitHooks: ((exit: Task) => KGen<unknown>)[] = [];
  /** Scenario-visible per-task data. */
  readonly locals: Record<string, unknown> = {};
  constructor(id: number, name: string, cpu: number) {
    this.id = id;
    this.name = name;
    this.cpu = cpu;
  }

  /**
   * Signals delivered to the process's handler on a return to user space (`syscall()`), which
   * the scenario body, standing for the handler, takes with `takeSignal`.
   */
  readonly delivered: string[] = [];

  /** The task has a signal of this name pending or delivered to its handler and not yet taken. */
  hasSignal(sig: string): boolean {
    return this.signals.includes(sig) || this.delivered.includes(sig);
  }

  /**
   * Signals this process leaves at their default action (SIG_DFL), so a pending one kills it on
   * its way back to user space (`get_signal()` → `do_group_exit()`), as SIGBUS does a process
   * with no handler. Empty by default: the model's processes handle SIGBUS, SIGSEGV and SIGIO
   * (the scenario body takes them with `takeSignal`); only SIGKILL always kills.
   */
  readonly sigDefault = new Set<string>();

  /** A pending signal will kill the task at its next return to user space (SIGKILL, or one left at SIG_DFL). */
  exitPending(): boolean {
    if (this.fatal) return true;
    for (const s of this.signals) if (this.sigDefault.has(s)) return true;
    return false;
  }

  /** `signal_pending()`: any signal is pending (an interruptible sleep ends with -ERESTARTSYS). */
  signalPending(): boolean {
    return this.signals.length > 0;
  }

  /** Takes the first pending signal of this name; true if there was one. */
  takeSignal(sig: string): boolean {
    const d = this.delivered.indexOf(sig);
    if (d >= 0) {
      this.delivered.splice(d, 1);
      return true;
    }
    const i = this.signals.indexOf(sig);
    if (i < 0) return false;
    this.signals.splice(i, 1);
    return true;
  }

  /** Registers what the task waits for; the caller then yields `BLOCK`. */
  block(blocker: Blocker): void {
    if (this.state !== 'runnable') {
      throw new DaxrefError('SCHEDULER', 'sched', `task ${this.name} blocks while ${this.state}`);
    }
    this.state = 'blocked';
    this.blocker = blocker;
    this.woken = false;
  }

  /** `try_to_wake_up()`: makes a blocked task runnable; true if it was blocked. */
  wake(): boolean {
    if (this.state !== 'blocked') return false;
    this.state = 'runnable';
    this.blocker = null;
    this.woken = true;
    return true;
  }

  toString(): string {
    return `${this.name}#${this.id}`;
  }
}
