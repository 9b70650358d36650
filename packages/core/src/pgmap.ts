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
  private readonly live: DevPagemap[] = [];
  private readonly freeIds: number[] = [];
  cost: CostCounters | null = null;

  /** Registers a pgmap (`devm_memremap_pages` → `xa_store_range`). */
  add(type: PgmapType, startPfn: number, nrPages: number, cpus: number, owner: string): DevPagemap {
    for (const p of this.live) {
      if (startPfn < p.startPfn + p.nrPages && p.startPfn < startPfn + nrPages) {
        throw new DaxrefError(
          'PFN_RANGE',
          'pgmap',
          `range [${startPfn}, ${startPfn + nrPages}) overlaps pgmap ${p.id} [${p.startPfn}, ${p.startPfn + p.nrPages})`,
        );
      }
    }
    // The id is the model's stand-in for the pgmap pointer in struct page: an id whose struct
    // pages were all removed can be handed out again (lowest first, deterministic).
    const id = this.freeIds.length > 0 ? this.freeIds.shift()! : this.byId.length;
    if (id > 0xffff) throw new DaxrefError('BAD_STATE', 'pgmap', 'more than 65535 live pgmaps');
    const pgmap = new DevPagemap(id, type, startPfn, nrPages, cpus, owner);
    pgmap.ref.cost = this.cost;
    if (id === this.byId.length) this.byId.push(pgmap);
    else this.byId[id] = pgmap;
    this.live.push(pgmap);
    return pgmap;
  }

  /** Forgets a pgmap whose memory was removed (`memunmap_pages` → `xa_store_range(NULL)`). */
  remove(pgmap: DevPagemap): void {
    const i = this.live.indexOf(pgmap);
    if (i < 0) throw new DaxrefError('BAD_STATE', 'pgmap', `pgmap ${pgmap.id} is not registered`);
    this.live.splice(i, 1);
    this.freeIds.push(pgmap.id);
    this.freeIds.sort((a, b) => a - b);
  }

  /** The pgmap with this id. */
  get(id: number): DevPagemap {
    const p = this.byId[id];
    if (p === undefined) throw new DaxrefError('BAD_ARGUMENT', 'pgmap', `no pgmap with id ${id}`);
    return p;
  }

  /** The registered (not removed) pgmaps. */
  all(): readonly DevPagemap[] {
    return this.live;
  }

  /** The registered pgmap covering `pfn` (`xa_load(&pgmap_array, pfn)`), or null. */
  lookup(pfn: number): DevPagemap | null {
    for (const p of this.live) if (p.contains(pfn)) return p;
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
