import { AddressSpace, DaxEntry } from '../fs/address-space';
import { DaxDevice } from '../fs/dax-device';
import { BlockAllocator, DaxFs, Inode } from '../fs/dax-fs';
import { Kernel } from '../kernel';
import { Memmap } from '../memmap';
import { MmuGather } from '../mm/mmu-gather';
import { PageTable } from '../mm/page-table';
import { RamAllocator } from '../mm/ram';
import { Mm, Vma } from '../mm/vma';
import { PercpuRef } from '../percpu-ref';
import { DevPagemap, PgmapRegistry } from '../pgmap';
import { Scheduler } from '../sched/scheduler';
import { Completion, GracePeriod, RwSem, VarWaits } from '../sched/sync';
import { Task } from '../sched/task';

/**
 * Per-step footprints for DFS pruning: which pages, wait keys and kernel objects a step touched.
 * Collected by wrapping the methods of the model's classes for the duration of a DFS exploration
 * only (prototypes are restored afterwards), so normal runs pay nothing. Pages are tracked per
 * pfn, `wait_var_event` keys per key, other objects per (class, id or name) so ids are stable
 * across re-executions; an object with neither is tracked per class (conservative).
 *
 * Any call counts as a touch, read or write, so two steps are independent only if they touched
 * nothing in common; a step that touched nothing the wrappers see is treated as dependent on
 * every step. A step that touched something also touches its own task (its pending signals,
 * which `Scheduler.signal` touches), so a signal and the steps of its target never commute.
 * Hardware models register their classes (`trackFootprintClasses`: the DMA engine, the media).
 * Plain field reads that bypass every method are not seen: the pruning is as sound as that
 * coverage (see the DFS notes in the explorer).
 */

/** A footprint: sorted distinct ids (pfn ≥ 0; other objects < 0); empty = touches everything. */
export type Footprint = readonly number[];

const names = new Map<string, number>();
function nameId(s: string): number {
  let id = names.get(s);
  if (id === undefined) {
    id = -1 - names.size;
    names.set(s, id);
  }
  return id;
}

/** Touches past which a step counts as touching everything (a 1 GiB folio walked page by page). */
const MAX_TOUCHES = 4096;

/** Collects the current step's touches. */
export class FootprintCollector {
  private ids: number[] = [];
  /** The step touched more than `MAX_TOUCHES` things: its footprint is "everything" (sound, cheap). */
  private all = false;
  pfn(p: number): void {
    if (this.ids.length >= MAX_TOUCHES) this.all = true;
    else this.ids.push(p);
  }
  obj(o: object): void {
    const r = o as { id?: unknown; name?: unknown; constructor: { name: string } };
    const tag =
      typeof r.id === 'number' || typeof r.id === 'string' ? r.id : typeof r.name === 'string' ? r.name : '';
    if (this.ids.length >= MAX_TOUCHES) this.all = true;
    else this.ids.push(nameId(`${r.constructor.name}:${String(tag)}`));
  }
  key(k: unknown): void {
    if (typeof k === 'number' || typeof k === 'string') this.ids.push(nameId(`var:${typeof k}:${k}`));
    else if (typeof k === 'object' && k !== null) this.obj(k);
  }
  /**
   * Ends the step: its footprint, sorted and deduplicated. A step that touched anything also
   * touches `self`, the task that ran it (its pending signals, read by plain field accesses).
   */
  take(self?: object): Footprint {
    if (this.all) {
      this.all = false;
      this.ids.length = 0;
      return []; // touches everything: dependent on every step
    }
    if (self !== undefined && this.ids.length > 0) this.obj(self);
    const ids = this.ids;
    this.ids = [];
    if (ids.length <= 1) return ids;
    ids.sort((a, b) => a - b);
    let w = 1;
    for (let i = 1; i < ids.length; i++) if (ids[i] !== ids[w - 1]) ids[w++] = ids[i]!;
    ids.length = w;
    return ids;
  }
  /** Drops what was collected. */
  clear(): void {
    this.all = false;
    this.ids.length = 0;
  }
}

/** True if two steps commute: both touched something visible and nothing in common. */
export function independent(a: Footprint, b: Footprint): boolean {
  if (a.length === 0 || b.length === 0) return false;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) return false;
    if (x < y) i++;
    else j++;
  }
  return true;
}

let active: FootprintCollector | null = null;
let installs = 0;
const saved: { proto: object; name: string; desc: PropertyDescriptor }[] = [];

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

function wrap(proto: object, name: string, touch: Touch) {
  const desc = Object.getOwnPropertyDescriptor(proto, name)!;
  saved.push({ proto, name, desc });
  if (typeof desc.value === 'function') {
    const orig = desc.value as AnyFn;
    Object.defineProperty(proto, name, {
      ...desc,
      value: function (this: object, ...args: unknown[]) {
        const c = active;
        if (c !== null) touch(c, this, args);
        return orig.apply(this, args);
      },
    });
  } else if (desc.get !== undefined) {
    const get = desc.get;
    Object.defineProperty(proto, name, {
      ...desc,
      get: function (this: object) {
        const c = active;
        if (c !== null) touch(c, this, []);
        return get.call(this);
      },
    });
  }
}

type Touch = (c: FootprintCollector, self: object, args: unknown[]) => void;
const byThis: Touch = (c, self) => c.obj(self);

function wrapAll(cls: { prototype: object }, touch: Touch = byThis, only?: readonly string[]): void {
  const proto = cls.prototype;
  for (const name of only ?? Object.getOwnPropertyNames(proto)) {
    if (name === 'constructor') continue;
    wrap(proto, name, touch);
  }
}

/** Classes whose instances are tracked as objects (besides the memmap, var waits and the kernel). */
const OBJECT_CLASSES: { prototype: object }[] = [
  RwSem,
  Completion,
  GracePeriod,
  PageTable,
  Mm,
  Vma,
  AddressSpace,
  DaxEntry,
  DaxFs,
  Inode,
  BlockAllocator,
  DaxDevice,
  PgmapRegistry,
  DevPagemap,
  PercpuRef,
  RamAllocator,
  MmuGather,
];

const registered = new Set<{ prototype: object }>();

/**
 * Registers classes whose instances are shared objects a step may touch (a hardware model's DMA
 * engine, media, bus): every DFS exploration tracks them from then on, in this thread and in
 * any worker that loads the registering module. Idempotent.
 */
export function trackFootprintClasses(classes: readonly { prototype: object }[]): void {
  for (const cls of classes) {
    if (registered.has(cls)) continue;
    registered.add(cls);
    if (installs > 0) wrapAll(cls); // collection is on now: track it from this step
  }
}

/**
 * Starts footprint collection into `c` (wrapping the model's classes on first use, plus `extra`
 * classes such as a hardware model's); returns a function that stops it and restores them.
 */
export function startFootprints(
  c: FootprintCollector,
  extra: readonly { prototype: object }[] = [],
): () => void {
  if (installs++ === 0) {
    wrapAll(Memmap, (col, self, args) => {
      if (typeof args[0] === 'number') col.pfn(args[0]);
      else col.obj(self);
    });
    wrapAll(
      VarWaits,
      (col, _self, args) => col.key(typeof args[0] === 'object' && args.length > 1 ? args[1] : args[0]),
      ['wait', 'prepare', 'finish', 'wake', 'waiters'],
    );
    wrapAll(Kernel, byThis, ['allocId', 'addDevice', 'deviceAt']);
    wrapAll(Scheduler, (col, _self, args) => col.obj(args[0] as object), ['signal', 'kill']);
    wrapAll(Task, byThis, ['hasSignal', 'takeSignal', 'signalPending']);
    for (const cls of OBJECT_CLASSES) wrapAll(cls);
    for (const cls of registered) wrapAll(cls);
    for (const cls of extra) if (!registered.has(cls)) wrapAll(cls);
  }
  const prev = active;
  active = c;
  return () => {
    active = prev;
    if (--installs === 0) {
      for (let i = saved.length - 1; i >= 0; i--) {
        const s = saved[i]!;
        Object.defineProperty(s.proto, s.name, s.desc);
      }
      saved.length = 0;
    }
  };
}
