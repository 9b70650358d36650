import type { RefLedger } from '../check/ledger';
import type { Kernel } from '../kernel';
import { type MemmapField, PG_ZONE_DEVICE } from '../memmap';
import type { Task } from '../sched/task';
import type { Violation } from '../violations';
import type { StepEnd, TraceEvent } from './events';
import type { KernelHooks } from './hooks';

const FIELD_CODE: Record<MemmapField, number> = { refcount: 1, mapcount: 2, mapping: 3, index: 4, flags: 5 };
const END_CODE: Record<StepEnd, number> = { preempt: 1, block: 2, done: 3, error: 4, killed: 5 };

function mix(h: number, v: number): number {
  // FNV-1a over 32-bit words.
  return Math.imul(h ^ (v | 0), 0x01000193);
}

/** What a `RunObserver` collects; each part costs nothing unless asked for. */
export interface ObserverOptions {
  /** Keep the typed event log. */
  events?: boolean;
  /** Hash the event log (the nondeterminism self-check), with a hash per step. */
  hash?: boolean;
  /** The reference ledger to feed. */
  ledger?: RefLedger | null;
}

/**
 * Watches one run: installs itself as `Kernel.hooks`, `Memmap.onChange` and `Scheduler.onStep`,
 * tracks each task's current kernel function, and feeds the event log, its hash and the
 * reference ledger. Only what is asked for is installed.
 */
export class RunObserver implements KernelHooks {
  readonly k: Kernel;
  /** The innermost kernel function entered in the current step, per task id. */
  private readonly fn: string[] = [];
  /** Stacks of `kcall` operations, per task id. */
  private readonly ops: string[][] = [];
  readonly events: TraceEvent[] | null;
  readonly ledger: RefLedger | null;
  private readonly hashing: boolean;
  hash = 0x811c9dc5;
  /** The hash after each step, for locating a divergence. */
  readonly stepHashes: number[] = [];
  private seenViolations = 0;
  private readonly pgmapRefs: number[] = [];
  /** Extra per-step callback (the DFS footprint). */
  afterStep: ((t: Task) => void) | null = null;

  constructor(k: Kernel, opts: ObserverOptions) {
    this.k = k;
    this.events = opts.events ? [] : null;
    this.hashing = opts.hash === true;
    this.ledger = opts.ledger ?? null;
  }

  /** Installs the hooks the options need. */
  install(): void {
    const k = this.k;
    k.hooks = this;
    if (this.events !== null || this.hashing || this.ledger !== null) {
      k.memmap.onChange = (pfn, field, before, after) => this.change(pfn, field, before, after);
    }
    k.sched.onStep = (t) => this.step(t);
    this.seenViolations = k.violations.length;
    if (this.events !== null) this.samplePgmaps(k.sched.steps);
  }

  /** Removes the hooks. */
  uninstall(): void {
    const k = this.k;
    k.hooks = null;
    k.memmap.onChange = null;
    k.sched.onStep = null;
  }

  /** The kernel function task `t` is in: the innermost entry point or traced operation. */
  fnOf(t: Task | null): string {
    if (t === null) return '';
    const f = this.fn[t.id];
    const stack = this.ops[t.id];
    const op = stack !== undefined && stack.length > 0 ? stack[stack.length - 1]! : '';
    if (f === undefined || f === '') return op;
    return op === '' ? f : `${op}/${f}`;
  }

  enter(t: Task, fn: string, pfn: number): void {
    this.fn[t.id] = fn;
    if (this.events !== null)
      this.events.push({ type: 'call', step: this.k.sched.steps, task: t.id, fn: this.fnOf(t), pfn });
  }

  begin(t: Task, fn: string): void {
    let s = this.ops[t.id];
    if (s === undefined) {
      s = [];
      this.ops[t.id] = s;
    }
    s.push(fn);
    if (this.events !== null)
      this.events.push({ type: 'op', step: this.k.sched.steps, task: t.id, fn, phase: 'begin' });
  }

  end(t: Task, fn: string): void {
    const s = this.ops[t.id];
    if (s !== undefined && s.length > 0) s.pop();
    if (this.events !== null)
      this.events.push({ type: 'op', step: this.k.sched.steps, task: t.id, fn, phase: 'end' });
  }

  private change(pfn: number, field: MemmapField, before: number, after: number): void {
    const k = this.k;
    const t = k.sched.current;
    const step = k.sched.steps;
    if (this.hashing) {
      let h = mix(this.hash, pfn);
      h = mix(h, FIELD_CODE[field]);
      this.hash = mix(h, after);
    }
    if (this.events !== null) {
      this.events.push({
        type: 'change',
        step,
        task: t?.id ?? 0,
        fn: this.fnOf(t),
        pfn,
        field,
        before,
        after,
      });
    }
    const l = this.ledger;
    if (
      l !== null &&
      field === 'refcount' &&
      before !== after &&
      (k.memmap.flags(pfn) & PG_ZONE_DEVICE) !== 0
    ) {
      // onChange fires after a refAdd store (the count reads `after`) and before a setRefcount
      // store (it still reads `before`): a set re-initialises the page, it is not a reference.
      const set = k.memmap.refcount(pfn) !== after;
      l.change(pfn, before, after, set, t === null ? '-' : `${t.name}#${t.id}`, this.fnOf(t), step);
    }
  }

  private step(t: Task): void {
    const k = this.k;
    const step = k.sched.steps;
    const end: StepEnd =
      t.error !== undefined
        ? 'error'
        : t.state === 'blocked'
          ? 'block'
          : t.state === 'done'
            ? 'done'
            : t.state === 'killed'
              ? 'killed'
              : 'preempt';
    if (this.hashing) {
      this.hash = mix(mix(this.hash, t.id), END_CODE[end]);
      this.stepHashes.push(this.hash);
    }
    const ev = this.events;
    if (ev !== null) {
      const e: {
        type: 'step';
        step: number;
        task: number;
        name: string;
        fn: string;
        end: StepEnd;
        what?: string;
      } = { type: 'step', step, task: t.id, name: t.name, fn: this.fnOf(t), end };
      if (end === 'block' && t.blocker !== null) e.what = `${t.blocker.fn}: ${t.blocker.what}`;
      this.samplePgmaps(step);
      ev.push(e);
    }
    const vs = k.violations;
    if (vs.length > this.seenViolations) {
      for (let i = this.seenViolations; i < vs.length; i++) {
        const v = vs[i]!;
        if (this.hashing) this.hash = mix(this.hash, v.kind.length * 31 + v.step);
        if (ev !== null) ev.push({ type: 'violation', ...v });
      }
      this.seenViolations = vs.length;
    }
    this.fn[t.id] = '';
    if (this.afterStep !== null) this.afterStep(t);
  }

  /** Records pgmap reference counts that changed (the trace's pgmap counter tracks). */
  private samplePgmaps(step: number): void {
    for (const p of this.k.pgmaps.all()) {
      const r = p.ref.count();
      if (this.pgmapRefs[p.id] !== r) {
        this.pgmapRefs[p.id] = r;
        this.events!.push({ type: 'pgmap', step, id: p.id, ref: r });
      }
    }
  }

  /** Appends end-of-run violations (hangs, leaks) to the log and the hash. */
  addViolations(vs: readonly Violation[]): void {
    for (const v of vs) {
      if (this.hashing) this.hash = mix(this.hash, v.kind.length * 31 + v.step);
      if (this.events !== null) this.events.push({ type: 'violation', ...v });
    }
  }
}
