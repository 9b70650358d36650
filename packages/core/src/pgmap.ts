import { type CostCounters, pgmapLine } from './cost';
import { DaxrefError } from './errors';
import { PercpuRef } from './percpu-ref';
import { Completion } from './sched/sync';

/** `enum memory_type` (include/linux/memremap.h). */
export type PgmapType = 'fsdax' | 'private' | 'generic' | 'coherent';

/** `struct dev_pagemap`. */
export class DevPagemap {
  readonly id: number;
  readonly type: PgmapType;
  readonly startPfn: number;
  readonly nrPages: number;
  readonly ref: PercpuRef;
  /** `pgmap->done`: completed by the percpu_ref release. */
  readonly done: Completion;
  /** The device that owns it (for the hardware model). */
  readonly owner: string;
  /** Static references taken by `pagemap_range()` (dropped by `memunmap_pages()`). */
  staticRefs = 0;
  /** `memunmap_pages()` removed the memory: struct pages are gone. */
  removed = false;

  constructor(id: number, type: PgmapType, startPfn: number, nrPages: number, cpus: number, owner: string) {
    this.id = id;
    this.type = type;
    this.startPfn = startPfn;
    this.nrPages = nrPages;
    this.owner = owner;
    this.done = new Completion(`pgmap${id}->done`);
    // dev_pagemap_percpu_release() → complete(&pgmap->done)
    this.ref = new PercpuRef(`pgmap${id}->ref`, cpus, id, () => this.done.complete());
  }

  /** The pfn lies in this pgmap's range. */
  contains(pfn: number): boolean {
    return pfn >= this.startPfn && pfn < this.startPfn + this.nrPages;
  }

  /** `percpu_ref_is_dying(&pgmap->ref)`. */
  get dying(): boolean {
    return this.ref.dead;
  }
}

/**
 * The registry of pgmaps (`pgmap_array`, an xarray keyed by pfn in mm/memremap.c).
 */
export class PgmapRegistry {
  private readonly byId: (DevPagemap | undefined)[] = [undefined];
  cost: CostCounters | null = null;

  /** Registers a pgmap (`devm_memremap_pages` → `xa_store_range`). */
  add(type: PgmapType, startPfn: number, nrPages: number, cpus: number, owner: string): DevPagemap {
    for (const p of this.byId) {
      if (
        p !== undefined &&
        !p.removed &&
        startPfn < p.startPfn + p.nrPages &&
        p.startPfn < startPfn + nrPages
      ) {
        throw new DaxrefError(
          'PFN_RANGE',
          'pgmap',
          `range [${startPfn}, ${startPfn + nrPages}) overlaps pgmap ${p.id} [${p.startPfn}, ${p.startPfn + p.nrPages})`,
        );
      }
    }
    if (this.byId.length > 0xffff) throw new DaxrefError('BAD_STATE', 'pgmap', 'more than 65535 pgmaps');
    const pgmap = new DevPagemap(this.byId.length, type, startPfn, nrPages, cpus, owner);
    pgmap.ref.cost = this.cost;
    this.byId.push(pgmap);
    return pgmap;
  }

  /** The pgmap with this id. */
  get(id: number): DevPagemap {
    const p = this.byId[id];
    if (p === undefined) throw new DaxrefError('BAD_ARGUMENT', 'pgmap', `no pgmap with id ${id}`);
    return p;
  }

  /** Every pgmap ever registered. */
  all(): readonly DevPagemap[] {
    return this.byId.filter((p): p is DevPagemap => p !== undefined);
  }

  /** The live (not removed) pgmap covering `pfn` (`xa_load(&pgmap_array, pfn)`), or null. */
  lookup(pfn: number): DevPagemap | null {
    for (let i = 1; i < this.byId.length; i++) {
      const p = this.byId[i]!;
      if (!p.removed && p.contains(pfn)) return p;
    }
    return null;
  }

  /**
   * `get_dev_pagemap(pfn, pgmap)`: with a cached pgmap covering `pfn`, returns it (the caller
   * already holds a live reference); otherwise drops the cached one, looks the pfn up and takes
   * a `tryget_live` reference, or returns null if there is none or it is dying.
   */
  getDevPagemap(pfn: number, cached: DevPagemap | null, cpu: number): DevPagemap | null {
    const c = this.cost;
    if (c !== null) c.pgmapLookups++;
    if (cached !== null) {
      if (c !== null) c.touch(pgmapLine(cached.id));
      if (cached.contains(pfn)) return cached;
      this.putDevPagemap(cached, cpu);
    }
    const p = this.lookup(pfn);
    if (p === null || !p.ref.tryGetLive(cpu)) return null;
    return p;
  }

  /** `put_dev_pagemap()`. */
  putDevPagemap(pgmap: DevPagemap, cpu: number): void {
    pgmap.ref.putMany(cpu, 1);
  }
}
