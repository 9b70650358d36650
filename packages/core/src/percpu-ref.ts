import { type CostCounters, pgmapLine } from './cost';
import { DaxrefError } from './errors';

/**
 * `struct percpu_ref` (lib/percpu-refcount.c). Starts in per-CPU mode holding the initial
 * reference; `kill()` marks it dead, switches it to atomic mode (summing the per-CPU counters)
 * and drops the initial reference; when the count reaches zero `release` runs once.
 */
export class PercpuRef {
  readonly name: string;
  /** Per-CPU counters (per-CPU mode). */
  readonly pcpu: Float64Array;
  /** The atomic counter: holds the initial reference, and everything once in atomic mode. */
  atomic = 1;
  /** `__PERCPU_REF_ATOMIC`. */
  atomicMode = false;
  /** `__PERCPU_REF_DEAD`: `percpu_ref_kill` was called; `tryget_live` fails. */
  dead = false;
  released = false;
  /** The pgmap id, for the cost model's cache lines. */
  readonly line: number;
  cost: CostCounters | null = null;
  private readonly release: () => void;

  constructor(name: string, cpus: number, line: number, release: () => void) {
    this.name = name;
    this.pcpu = new Float64Array(cpus);
    this.line = line;
    this.release = release;
  }

  /** The true count (what `percpu_ref_is_zero` would see after a mode switch). */
  count(): number {
    let n = this.atomic;
    for (const v of this.pcpu) n += v;
    return n;
  }

  private charge(): void {
    const c = this.cost;
    if (c !== null) {
      if (this.atomicMode) c.atomics++;
      else c.percpu++;
      c.touch(pgmapLine(this.line));
    }
  }

  /** `percpu_ref_get_many()`. */
  getMany(cpu: number, n: number): void {
    if (this.released) throw new DaxrefError('BAD_STATE', 'percpu_ref', `${this.name}: get after release`);
    this.charge();
    if (this.atomicMode) this.atomic += n;
    else this.pcpu[cpu] = this.pcpu[cpu]! + n;
  }

  /** `percpu_ref_tryget_live()`: fails once the ref is dying. */
  tryGetLive(cpu: number): boolean {
    this.charge();
    if (this.dead) return false;
    if (this.atomicMode) this.atomic++;
    else this.pcpu[cpu] = this.pcpu[cpu]! + 1;
    return true;
  }

  /** `percpu_ref_tryget()`: succeeds unless the count already reached zero. */
  tryGet(cpu: number): boolean {
    this.charge();
    if (this.released) return false;
    if (this.atomicMode) this.atomic++;
    else this.pcpu[cpu] = this.pcpu[cpu]! + 1;
    return true;
  }

  /** `percpu_ref_put_many()`: in atomic mode, reaching zero calls release. */
  putMany(cpu: number, n: number): void {
    this.charge();
    if (this.atomicMode) {
      this.atomic -= n;
      if (this.atomic < 0)
        throw new DaxrefError(
          'BAD_STATE',
          'percpu_ref',
          `${this.name}: count went negative (${this.atomic})`,
        );
      if (this.atomic === 0 && !this.released) {
        this.released = true;
        this.release();
      }
    } else {
      this.pcpu[cpu] = this.pcpu[cpu]! - n;
    }
  }

  /**
   * `percpu_ref_kill()`: marks dead, switches to atomic mode (the RCU-delayed sum is taken at
   * once here: gets after the kill already fail `tryget_live`), and drops the initial ref.
   */
  kill(cpu: number): void {
    if (this.dead) throw new DaxrefError('BAD_STATE', 'percpu_ref', `${this.name}: killed twice`);
    this.dead = true;
    this.atomicMode = true;
    for (let i = 0; i < this.pcpu.length; i++) {
      this.atomic += this.pcpu[i]!;
      this.pcpu[i] = 0;
    }
    this.putMany(cpu, 1);
  }
}
