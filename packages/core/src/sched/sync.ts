import { Errno } from '../constants';
import type { CostCounters } from '../cost';
import { DaxrefError } from '../errors';
import type { Scheduler } from './scheduler';
import { BLOCK, type KGen, type Task } from './task';

/** A `wait_var_event` key: the address the kernel hashes. Pages use `pageVarKey`. */
export type VarKey = number | string | object;

/** `&page->_refcount` (1-based designs wait here). */
export const KEY_REFCOUNT = 0;
/** `&folio->page` (6.15's `wait_page_idle` and `free_zone_device_folio` use this address). */
export const KEY_PAGE = 1;

/** The wait key of a field of struct page `pfn`: distinct addresses never wake each other. */
export function pageVarKey(pfn: number, field: typeof KEY_REFCOUNT | typeof KEY_PAGE): number {
  return pfn * 4 + field;
}

/** Options of a var wait. */
export interface WaitOptions {
  /**
   * `TASK_INTERRUPTIBLE` (any pending signal) or `TASK_KILLABLE` (a fatal one) ends the wait with
   * -ERESTARTSYS (`___wait_var_event` → `prepare_to_wait_event`); absent: TASK_UNINTERRUPTIBLE.
   */
  state?: 'interruptible' | 'killable';
  /** The page whose references the wait is for (a hang report names their holders). */
  pfn?: number;
  /** The predicate in kernel terms, for a hang report. */
  predicate?: string;
  /** A device-teardown wait: a hang here is an `unbind-hang`. */
  teardown?: boolean;
  /** The kernel function that waits. */
  fn?: string;
  /** The blocker kind for the checkers (`entry` for DAX entry locks). */
  kind?: 'var' | 'entry';
}

/**
 * `signal_pending_state(state, current)`: whether a pending signal ends a sleep in `state`
 * (TASK_INTERRUPTIBLE: any signal; TASK_KILLABLE: a fatal one; uninterruptible: never).
 */
export function signalEndsWait(t: Task, state: 'interruptible' | 'killable' | undefined): boolean {
  if (state === 'interruptible') return t.signalPending();
  if (state === 'killable') return t.fatal;
  return false;
}

/**
 * `wait_var_event()` / `wake_up_var()` (kernel/sched/wait_bit.c). A waiter is (key, predicate);
 * `wake_up_var(key)` wakes the waiters on exactly that key, which re-check their predicate.
 */
export class VarWaits {
  private readonly queues = new Map<VarKey, Task[]>();
  cost: CostCounters | null = null;
  /** Called on every wake with the key and the number of tasks woken (trace hook). */
  onWake: ((key: VarKey, woken: number) => void) | null = null;

  /**
   * `___wait_var_event(var, condition, state)`: returns 0 once `cond()` holds, or -ERESTARTSYS
   * when `state` lets a pending signal end the wait (the condition is tested first).
   */
  *wait(t: Task, key: VarKey, cond: () => boolean, what: string, opts: WaitOptions = {}): KGen<number> {
    for (;;) {
      if (cond()) return 0;
      if (signalEndsWait(t, opts.state)) return -Errno.ERESTARTSYS;
      this.prepare(t, key, cond, what, opts);
      try {
        yield BLOCK;
      } finally {
        this.finish(t, key); // also when the task is killed while asleep
      }
    }
  }

  /**
   * `prepare_to_wait_event()`: queues `t` on `key` and marks it blocked. The caller may then
   * drop locks (the `cmd` of `___wait_var_event`), yield `BLOCK`, and call `finish`.
   */
  prepare(t: Task, key: VarKey, cond: () => boolean, what: string, opts: WaitOptions = {}): void {
    let q = this.queues.get(key);
    if (q === undefined) {
      q = [];
      this.queues.set(key, q);
    }
    q.push(t);
    t.block({
      kind: opts.kind ?? 'var',
      fn: opts.fn ?? '___wait_var_event',
      what,
      ready: cond,
      teardown: opts.teardown ?? false,
      ...(opts.state !== undefined ? { interruptible: opts.state } : {}),
      ...(opts.pfn !== undefined ? { pfn: opts.pfn } : {}),
      ...(opts.predicate !== undefined ? { predicate: opts.predicate } : {}),
    });
  }

  /** `finish_wait()`: dequeues `t` from `key`. */
  finish(t: Task, key: VarKey): void {
    const q = this.queues.get(key);
    if (q === undefined) return;
    const i = q.indexOf(t);
    if (i >= 0) q.splice(i, 1);
    if (q.length === 0) this.queues.delete(key);
  }

  /** `wake_up_var(var)`: wakes every task waiting on `key`; returns how many were woken. */
  wake(key: VarKey): number {
    if (this.cost !== null) this.cost.wakes++;
    const q = this.queues.get(key);
    let n = 0;
    if (q !== undefined) for (const t of q) if (t.wake()) n++;
    this.onWake?.(key, n);
    return n;
  }

  /** Tasks waiting on `key`. */
  waiters(key: VarKey): readonly Task[] {
    return this.queues.get(key) ?? [];
  }
}

/** `struct rw_semaphore` (MMAPLOCK / invalidate_lock, mmap_lock): FIFO, writers not starved. */
export class RwSem {
  readonly name: string;
  private readers = new Set<Task>();
  private writer: Task | null = null;
  private readonly queue: { t: Task; write: boolean }[] = [];
  constructor(name: string) {
    this.name = name;
  }

  /** The tasks holding the lock. */
  owners(): Task[] {
    return this.writer !== null ? [this.writer] : [...this.readers];
  }

  /** True if `t` holds it for reading or writing. */
  heldBy(t: Task): boolean {
    return this.writer === t || this.readers.has(t);
  }

  /** True if anyone holds it for writing. */
  get writeLocked(): boolean {
    return this.writer !== null;
  }

  private canRead(t: Task): boolean {
    return this.writer === null && (this.queue.length === 0 || this.queue[0]!.t === t);
  }

  private canWrite(t: Task): boolean {
    return (
      this.writer === null && this.readers.size === 0 && (this.queue.length === 0 || this.queue[0]!.t === t)
    );
  }

  /** `down_read()`. */
  *downRead(t: Task): KGen {
    if (this.heldBy(t))
      throw new DaxrefError('BAD_STATE', 'rwsem', `${this.name}: ${t} takes it recursively (self-deadlock)`);
    if (!this.canRead(t)) yield* this.enqueue(t, false, 'down_read');
    this.readers.add(t);
    this.dequeue(t);
    this.wakeFront();
  }

  /** `down_write()`. */
  *downWrite(t: Task): KGen {
    if (this.heldBy(t))
      throw new DaxrefError('BAD_STATE', 'rwsem', `${this.name}: ${t} takes it recursively (self-deadlock)`);
    if (!this.canWrite(t)) yield* this.enqueue(t, true, 'down_write');
    this.writer = t;
    this.dequeue(t);
  }

  /** `down_read_trylock()`. */
  tryRead(t: Task): boolean {
    if (!this.canRead(t) || this.queue.length > 0) return false;
    this.readers.add(t);
    return true;
  }

  private *enqueue(t: Task, write: boolean, fn: string): KGen {
    this.queue.push({ t, write });
    const ready = () => (write ? this.canWrite(t) : this.canRead(t));
    let ok = false;
    try {
      while (!ready()) {
        t.block({ kind: 'rwsem', fn, what: this.name, ready, owners: () => this.owners() });
        yield BLOCK;
      }
      ok = true;
    } finally {
      if (!ok) {
        this.dequeue(t); // killed while waiting: leave the queue and let the next waiter in
        this.wakeFront();
      }
    }
  }

  private dequeue(t: Task): void {
    const i = this.queue.findIndex((w) => w.t === t);
    if (i >= 0) this.queue.splice(i, 1);
  }

  private wakeFront(): void {
    const front = this.queue[0];
    if (front !== undefined && (front.write ? this.canWrite(front.t) : this.canRead(front.t))) front.t.wake();
  }

  /** `up_read()`. */
  upRead(t: Task): void {
    if (!this.readers.delete(t))
      throw new DaxrefError('BAD_STATE', 'rwsem', `${this.name}: up_read by ${t}, which does not hold it`);
    this.wakeFront();
  }

  /** `up_write()`. */
  upWrite(t: Task): void {
    if (this.writer !== t)
      throw new DaxrefError('BAD_STATE', 'rwsem', `${this.name}: up_write by ${t}, which does not hold it`);
    this.writer = null;
    this.wakeFront();
  }
}

/** `struct completion`. */
export class Completion {
  readonly name: string;
  done = 0;
  private readonly waiters: Task[] = [];
  cost: CostCounters | null = null;
  constructor(name: string) {
    this.name = name;
  }

  /** `wait_for_completion()`; `teardown` marks a device-teardown wait (an `unbind-hang` if it never ends). */
  *wait(t: Task, opts: { teardown?: boolean } = {}): KGen {
    while (this.done === 0) {
      this.waiters.push(t);
      t.block({
        kind: 'completion',
        fn: 'wait_for_completion',
        what: this.name,
        ready: () => this.done > 0,
        teardown: opts.teardown ?? false,
      });
      yield BLOCK;
      const i = this.waiters.indexOf(t);
      if (i >= 0) this.waiters.splice(i, 1);
    }
    if (this.done !== Number.POSITIVE_INFINITY) this.done--;
  }

  /** `complete()`. */
  complete(): void {
    if (this.done !== Number.POSITIVE_INFINITY) this.done++;
    if (this.cost !== null) this.cost.wakes++;
    for (const w of this.waiters) if (w.wake()) break;
  }

  /** `complete_all()`. */
  completeAll(): void {
    this.done = Number.POSITIVE_INFINITY;
    if (this.cost !== null) this.cost.wakes++;
    for (const t of this.waiters) t.wake();
  }
}

/**
 * A grace period over read-side sections: RCU (`rcu_read_lock` / `synchronize_rcu`), and the
 * IRQ-disabled sections that a TLB-flush IPI must wait for (gup-fast runs with IRQs off).
 * `synchronize` waits for every section open when it was called to end.
 */
export class GracePeriod {
  readonly name: string;
  private readonly field: 'rcu' | 'irq';
  private readonly sched: Scheduler;
  private readonly waiters: Task[] = [];
  constructor(name: string, field: 'rcu' | 'irq', sched: Scheduler) {
    this.name = name;
    this.field = field;
    this.sched = sched;
  }

  /** Enters a read-side section (`rcu_read_lock` / `local_irq_save`). */
  enter(t: Task): void {
    if (this.field === 'rcu') t.rcuDepth++;
    else t.irqOff++;
  }

  /** Leaves a read-side section; the outermost exit ends a grace period for this task. */
  exit(t: Task): void {
    if (this.field === 'rcu') {
      if (--t.rcuDepth === 0) t.rcuExits++;
      else if (t.rcuDepth < 0) throw new DaxrefError('BAD_STATE', this.name, `${t}: unbalanced read unlock`);
    } else if (--t.irqOff === 0) t.irqExits++;
    else if (t.irqOff < 0) throw new DaxrefError('BAD_STATE', this.name, `${t}: unbalanced irq restore`);
    for (const w of this.waiters) w.wake();
  }

  /** `synchronize_rcu()` / the TLB-flush IPI: waits for every other task's open section to end. */
  *synchronize(t: Task, fn: string): KGen {
    const f = this.field;
    const snap = this.sched.tasks
      .filter((o) => o !== t && (f === 'rcu' ? o.rcuDepth : o.irqOff) > 0)
      .map((o) => ({ o, exits: f === 'rcu' ? o.rcuExits : o.irqExits }));
    const ready = () =>
      snap.every(
        ({ o, exits }) =>
          (f === 'rcu' ? o.rcuExits : o.irqExits) > exits || o.state === 'done' || o.state === 'killed',
      );
    while (!ready()) {
      this.waiters.push(t);
      t.block({ kind: 'grace', fn, what: this.name, ready, owners: () => snap.map((s) => s.o) });
      yield BLOCK;
      const i = this.waiters.indexOf(t);
      if (i >= 0) this.waiters.splice(i, 1);
    }
  }
}
