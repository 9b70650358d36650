import { CostCounters } from './cost';
import type { MemoryDevice } from './device';
import { DaxrefError } from './errors';
import { Memmap, PG_FREE, PG_RESERVED } from './memmap';
import { RamAllocator } from './mm/ram';
import { PgmapRegistry } from './pgmap';
import type { Policy } from './policy';
import { type Chooser, type RunResult, Scheduler } from './sched/scheduler';
import { GracePeriod, VarWaits } from './sched/sync';
import type { KGen, Task } from './sched/task';
import type { KernelHooks } from './trace/hooks';
import type { Violation, ViolationKind } from './violations';

/** Options of `createKernel`. */
export interface KernelOptions {
  /** The design under test; null runs the core alone (no zone-device support: the baseline). */
  policy?: Policy | null;
  /** Simulated CPUs. Default 2. */
  cpus?: number;
  /** Who runs next. Default: round-robin. */
  chooser?: Chooser;
  /** Step budget of `run()`. Default 100000. */
  maxSteps?: number;
  /** Pages of system RAM (for anonymous memory, CoW copies, the zero page). Default 16384 (64 MiB). */
  ramPages?: number;
}

/** First pfn of system RAM in the model (16 MiB). */
export const RAM_START_PFN = 4096;

/** A device memory range the kernel knows, with the media behind it. */
export interface DeviceRange {
  readonly startPfn: number;
  readonly nrPages: number;
  readonly media: MemoryDevice;
  readonly pgmapId: number;
}

/**
 * The modelled machine: memmap, pgmaps, scheduler, waits, system RAM and the policy in force.
 * Kernel paths are generator functions over it (`mmap`, `pinUserPages`, `DaxFs.truncate`, …).
 */
export class Kernel {
  readonly sched: Scheduler;
  readonly memmap = new Memmap();
  readonly pgmaps = new PgmapRegistry();
  readonly waits = new VarWaits();
  /** RCU read sections and `synchronize_rcu`. */
  readonly rcu: GracePeriod;
  /** IRQ-disabled sections (gup-fast) that a TLB-flush IPI waits for. */
  readonly irq: GracePeriod;
  readonly policy: Policy | null;
  readonly ram: RamAllocator;
  /** The shared zero page (`ZERO_PAGE(0)`): reserved, never freed. */
  readonly zeroPfn: number;
  private hugeZero = -1;
  readonly violations: Violation[] = [];
  /** Device memory ranges, for `deviceAt`. */
  readonly devices: DeviceRange[] = [];
  /** `devmap_managed_key` (1-based designs): enabled while an FSDAX pgmap exists. */
  devmapManagedKey = 0;
  /**
   * `put_page()` tests `is_zone_device_page()` for every page: the static key is on, or the
   * design always branches (v4.5). The core reads this on the normal-page put path.
   */
  zoneDeviceOnPut = false;
  /** Like `zoneDeviceOnPut`, for `get_page()` (v4.5 only). */
  zoneDeviceOnGet = false;
  /** Some device memory was removed: accesses check `pfn_valid()` first. */
  anyRemoved = false;
  cost: CostCounters | null = null;
  /** Explorer / checker / trace hooks at kernel entry points, or null (one null check when off). */
  hooks: KernelHooks | null = null;
  private readonly warned = new Set<string>();
  private nextId = 1;

  constructor(opts: KernelOptions = {}) {
    this.policy = opts.policy ?? null;
    this.sched = new Scheduler({ cpus: opts.cpus ?? 2, chooser: opts.chooser, maxSteps: opts.maxSteps });
    this.rcu = new GracePeriod('rcu', 'rcu', this.sched);
    this.irq = new GracePeriod('tlb-flush IPI', 'irq', this.sched);
    this.sched.onTaskEnd = (t) => {
      if (this.waits.waiters(t).length > 0) this.waits.wake(t); // waiters on a task's exit
    };
    const ramPages = opts.ramPages ?? 16384;
    this.memmap.addRange({
      startPfn: RAM_START_PFN,
      nrPages: ramPages,
      refcount: 0,
      flags: PG_FREE,
      pgmapId: 0,
    });
    this.ram = new RamAllocator(this, RAM_START_PFN, ramPages);
    this.zeroPfn = this.ram.alloc();
    this.memmap.setFlags(this.zeroPfn, PG_RESERVED);
    const p = this.policy;
    if (p !== null) {
      this.zoneDeviceOnGet = p.caps.getPageHook;
      this.zoneDeviceOnPut = p.caps.getPageHook;
    }
  }

  /**
   * The huge zero folio (`mm_get_huge_zero_folio`): an order-9 RAM folio a read fault of a hole
   * maps with a PMD, allocated on first use and never freed. Returns its head pfn.
   */
  hugeZeroPfn(): number {
    if (this.hugeZero < 0) {
      const head = this.ram.allocAligned(512);
      if (head < 0) throw new DaxrefError('BAD_STATE', 'kernel', 'no RAM left for the huge zero folio');
      this.memmap.prepCompound(head, 9);
      this.memmap.setFlags(head, PG_RESERVED);
      this.hugeZero = head;
    }
    return this.hugeZero;
  }

  /** `is_zero_pfn()` or a page of the huge zero folio. */
  isZeroPfn(pfn: number): boolean {
    return pfn === this.zeroPfn || (this.hugeZero >= 0 && pfn >= this.hugeZero && pfn < this.hugeZero + 512);
  }

  /** A fresh id for an mm, inode, mapping or file (deterministic). */
  allocId(): number {
    return this.nextId++;
  }

  /** Starts a task; `body` is its kernel path. */
  spawn(name: string, body: (t: Task) => KGen<unknown>): Task {
    return this.sched.spawn(name, body);
  }

  /** Runs the scheduler (see `Scheduler.run`). */
  run(): RunResult {
    return this.sched.run();
  }

  /** Turns on the deterministic cost counters and returns them. */
  enableCost(): CostCounters {
    const c = this.cost ?? new CostCounters();
    this.cost = c;
    this.memmap.cost = c;
    this.pgmaps.cost = c;
    this.waits.cost = c;
    for (const p of this.pgmaps.all()) {
      p.ref.cost = c;
      p.done.cost = c;
    }
    return c;
  }

  /**
   * Why this run cannot be judged (a scenario helper's timed wait expired, ...): a run with a
   * reason and no violation is `inconclusive`, never `pass`.
   */
  readonly inconclusive: string[] = [];

  /** Marks the run inconclusive (a timed wait in a scenario helper timed out); see `inconclusive`. */
  markInconclusive(reason: string): void {
    const cur = this.sched.current;
    this.inconclusive.push(cur === null ? reason : `${cur.name}#${cur.id}: ${reason}`);
  }

  /** Records a violation found by the model. */
  report(kind: ViolationKind, message: string, pfn?: number, rule?: string): void {
    const cur = this.sched.current;
    const v: Violation = { kind, message, step: this.sched.steps };
    if (cur !== null) v.task = cur.name;
    if (pfn !== undefined) v.pfn = pfn;
    if (rule !== undefined) v.rule = rule;
    this.violations.push(v);
  }

  /** `WARN_ON_ONCE(cond)`: records a `warn` the first time `rule` fires; returns `cond`. */
  warnOnce(cond: boolean, rule: string, pfn?: number): boolean {
    if (cond && !this.warned.has(rule)) {
      this.warned.add(rule);
      this.report('warn', `WARN_ON_ONCE: ${rule}`, pfn, rule);
    }
    return cond;
  }

  /** The policy, or an error naming the operation that needs one. */
  needPolicy(what: string): Policy {
    if (this.policy === null) {
      throw new DaxrefError(
        'POLICY',
        'kernel',
        `${what} needs a reference-counting policy (the kernel was created with policy none)`,
      );
    }
    return this.policy;
  }

  /** Registers device media behind a pfn range. */
  addDevice(range: DeviceRange): void {
    this.devices.push(range);
  }

  /** The device range holding `pfn`, or null (RAM or nothing). */
  deviceAt(pfn: number): DeviceRange | null {
    for (const d of this.devices) if (pfn >= d.startPfn && pfn < d.startPfn + d.nrPages) return d;
    return null;
  }
}

/** Creates a kernel model. */
export function createKernel(opts: KernelOptions = {}): Kernel {
  return new Kernel(opts);
}
