import type { CostCounters } from './cost';
import { DaxrefError } from './errors';

/**
 * Per-page flag bits (a model of the `page->flags` bits and `memmap` properties daxref needs).
 */
export const PG_ZONE_DEVICE = 1 << 0; // zone_device: is_zone_device_page()
export const PG_HEAD = 1 << 1; // PG_head: first page of a large folio
export const PG_TAIL = 1 << 2; // tail page (compound_head bit 0 in the kernel)
export const PG_HWPOISON = 1 << 3; // PG_hwpoison: memory_failure() marked it
export const PG_RESERVED = 1 << 4; // PG_reserved: not from the allocator (zero page)
export const PG_DAX_SHARED = 1 << 5; // PAGE_MAPPING_DAX_COW (v6.0–6.1) / PAGE_MAPPING_DAX_SHARED (v6.2+) / shared DAX folio (v6.15)
export const PG_FREE = 1 << 6; // a RAM page sitting in the page allocator
export const PG_STALE = 1 << 7; // folio metadata poisoned by a split or a free

/** The value written over folio metadata of a freed or split folio, so a stale read is visible. */
export const MEMMAP_POISON = 0x5a5a5a5a;

const SECTION_SHIFT = 15; // SECTION_SIZE_BITS 27 - PAGE_SHIFT 12: 128 MiB sections
const CHUNK_SHIFT = 9; // 2 MiB: the kernel's subsection, the memremap_pages() granularity
const CHUNK_PAGES = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_PAGES - 1;
const CHUNKS_PER_SECTION = 1 << (SECTION_SHIFT - CHUNK_SHIFT);
const CHUNK_IN_SECTION_MASK = CHUNKS_PER_SECTION - 1;
/** Bytes of memmap storage per page in a materialised chunk. */
export const MEMMAP_BYTES_PER_PAGE = 20;
/** The largest pfn the model addresses (8 TiB of physical address space). */
export const MAX_PFN = 2 ** 31;

/** How the pages of a described range start (memmap_init_zone_device / memmap_init_range). */
export interface MemmapRangeInit {
  /** First pfn; must be 2 MiB (subsection) aligned. */
  startPfn: number;
  /** Number of pages; a multiple of 512. */
  nrPages: number;
  /** Initial `_refcount` of every page (1 for legacy FSDAX, 0 for 6.15 and free RAM). */
  refcount: number;
  /** Initial flags (`PG_ZONE_DEVICE` for device memory). */
  flags: number;
  /** Owning dev_pagemap id, 0 for none. */
  pgmapId: number;
}

/**
 * One 2 MiB chunk of struct pages, materialised on first write. Struct-of-arrays over one buffer.
 * The constructor assigns every field so all chunks share one hidden class.
 */
class Chunk {
  readonly ref: Int32Array;
  readonly mapcount: Int32Array;
  readonly mapping: Int32Array;
  readonly index: Int32Array;
  readonly flags: Uint8Array;
  readonly order: Uint8Array;
  readonly pgmap: Uint16Array;
  constructor(init: MemmapRangeInit) {
    const buf = new ArrayBuffer(CHUNK_PAGES * MEMMAP_BYTES_PER_PAGE);
    this.ref = new Int32Array(buf, 0, CHUNK_PAGES);
    this.mapcount = new Int32Array(buf, CHUNK_PAGES * 4, CHUNK_PAGES);
    this.mapping = new Int32Array(buf, CHUNK_PAGES * 8, CHUNK_PAGES);
    this.index = new Int32Array(buf, CHUNK_PAGES * 12, CHUNK_PAGES);
    this.flags = new Uint8Array(buf, CHUNK_PAGES * 16, CHUNK_PAGES);
    this.order = new Uint8Array(buf, CHUNK_PAGES * 17, CHUNK_PAGES);
    this.pgmap = new Uint16Array(buf, CHUNK_PAGES * 18, CHUNK_PAGES);
    if (init.refcount !== 0) this.ref.fill(init.refcount);
    if (init.flags !== 0) this.flags.fill(init.flags);
    if (init.pgmapId !== 0) this.pgmap.fill(init.pgmapId);
  }
}

/** The materialised chunks of one 128 MiB section (created on the section's first write). */
class Section {
  readonly chunks: (Chunk | undefined)[] = new Array(CHUNKS_PER_SECTION).fill(undefined);
  count = 0;
}

/** A struct page field the memmap reports changes of. */
export type MemmapField = 'refcount' | 'mapcount' | 'mapping' | 'index' | 'flags';
/** Called before or after a field write with the old and new value (`Memmap.onChange`). */
export type MemmapObserver = (pfn: number, field: MemmapField, before: number, after: number) => void;

/** Memory the memmap holds, for the scale targets. */
export interface MemmapStats {
  /** Pages covered by described ranges. */
  describedPages: number;
  /** Pages whose struct page storage exists (materialised chunks × 512). */
  allocatedPages: number;
  /** Bytes of typed-array storage. */
  storageBytes: number;
  /** Estimated bytes of the directory (sections and chunk slots). */
  directoryBytes: number;
}

/**
 * The memmap: struct pages as typed arrays indexed by pfn, the kernel's sparse vmemmap. Ranges
 * are described cheaply (a directory entry per 2 MiB) and a chunk's storage is allocated only
 * when one of its pages is first written, so an untouched range costs nothing.
 *
 * Large folios (order 9 / 18) are naturally aligned: a tail page stores the folio's order and
 * `PG_TAIL`, so `compoundHead(pfn)` is `pfn & ~(nr - 1)`. As in `struct folio`, the large-folio
 * counters live in the first tail pages: `_large_mapcount` in page[1].mapping, `_pincount` in
 * page[1].index, `_entire_mapcount` in page[2].mapping.
 */
export class Memmap {
  private readonly sections: (Section | undefined)[] = [];
  /** Described ranges, sorted by start pfn. */
  private readonly ranges: MemmapRangeInit[] = [];
  private lastRange: MemmapRangeInit | null = null;
  /**
   * The last materialised chunk looked up, by chunk number (pfn >>> CHUNK_SHIFT): the hot path
   * (a get and a put of one page) finds its chunk with one compare. Reset when chunks go.
   */
  private lastChunkNr = -1;
  private lastChunk: Chunk | null = null;
  private chunkCount = 0;
  private sectionCount = 0;
  private describedPages = 0;
  /** Attached cost counters, or null (the default: counting costs one null check). */
  cost: CostCounters | null = null;
  /** Field-change observer (trace, reference ledger), or null: one null check per write when off. */
  onChange: MemmapObserver | null = null;

  /** Describes a range of struct pages (`memmap_init_zone_device`, or RAM at boot). */
  addRange(init: MemmapRangeInit): void {
    const { startPfn, nrPages } = init;
    if (!Number.isInteger(startPfn) || startPfn < 0 || (startPfn & CHUNK_MASK) !== 0) {
      throw new DaxrefError(
        'PFN_RANGE',
        'memmap',
        `startPfn ${startPfn} must be a non-negative multiple of ${CHUNK_PAGES} (2 MiB)`,
      );
    }
    if (!Number.isInteger(nrPages) || nrPages <= 0 || (nrPages & CHUNK_MASK) !== 0) {
      throw new DaxrefError(
        'PFN_RANGE',
        'memmap',
        `nrPages ${nrPages} must be a positive multiple of ${CHUNK_PAGES} (2 MiB)`,
      );
    }
    if (startPfn + nrPages > MAX_PFN) {
      throw new DaxrefError(
        'PFN_RANGE',
        'memmap',
        `range ends at pfn ${startPfn + nrPages}, past the model's limit ${MAX_PFN}`,
      );
    }
    if (!Number.isInteger(init.refcount) || init.refcount < 0) {
      throw new DaxrefError(
        'BAD_ARGUMENT',
        'memmap',
        `initial refcount must be a non-negative integer, got ${init.refcount}`,
      );
    }
    for (const r of this.ranges) {
      if (startPfn < r.startPfn + r.nrPages && r.startPfn < startPfn + nrPages) {
        throw new DaxrefError(
          'PFN_RANGE',
          'memmap',
          `range [${startPfn}, ${startPfn + nrPages}) overlaps the described range [${r.startPfn}, ${r.startPfn + r.nrPages})`,
        );
      }
    }
    // Describing a range costs one interval: sections and chunks appear on first write.
    this.ranges.push({ ...init });
    this.ranges.sort((x, y) => x.startPfn - y.startPfn);
    this.describedPages += nrPages;
  }

  /** Removes a described range (`memunmap_pages` → `arch_remove_memory`): later access is PFN_INVALID. */
  removeRange(startPfn: number, nrPages: number): void {
    const i = this.ranges.findIndex((r) => r.startPfn === startPfn && r.nrPages === nrPages);
    if (i < 0)
      throw new DaxrefError(
        'PFN_RANGE',
        'memmap',
        `removeRange: [${startPfn}, ${startPfn + nrPages}) is not a described range`,
      );
    this.ranges.splice(i, 1);
    this.lastRange = null;
    this.lastChunkNr = -1;
    this.lastChunk = null;
    const end = startPfn + nrPages;
    for (
      let si = startPfn >>> SECTION_SHIFT;
      si <= (end - 1) >>> SECTION_SHIFT && si < this.sections.length;
      si++
    ) {
      const sec = this.sections[si];
      if (sec === undefined) continue;
      for (let ci = 0; ci < CHUNKS_PER_SECTION; ci++) {
        const pfn = si * 2 ** SECTION_SHIFT + ci * CHUNK_PAGES;
        if (pfn < startPfn || pfn >= end || sec.chunks[ci] === undefined) continue;
        sec.chunks[ci] = undefined;
        sec.count--;
        this.chunkCount--;
      }
      if (sec.count === 0) {
        this.sections[si] = undefined;
        this.sectionCount--;
      }
    }
    this.describedPages -= nrPages;
  }

  /** `pfn_valid()`: the pfn has a struct page. */
  valid(pfn: number): boolean {
    return Number.isInteger(pfn) && pfn >= 0 && pfn < MAX_PFN && this.rangeAt(pfn) !== undefined;
  }

  /** The described range holding `pfn` (a few intervals; the last hit is remembered). */
  private rangeAt(pfn: number): MemmapRangeInit | undefined {
    const last = this.lastRange;
    if (last !== null && pfn >= last.startPfn && pfn < last.startPfn + last.nrPages) return last;
    for (const r of this.ranges) {
      if (pfn < r.startPfn) return undefined;
      if (pfn < r.startPfn + r.nrPages) {
        this.lastRange = r;
        return r;
      }
    }
    return undefined;
  }

  private invalid(pfn: number): never {
    throw new DaxrefError(
      'PFN_INVALID',
      'memmap',
      `pfn ${pfn} is outside every described range (pfn_valid() is false)`,
    );
  }

  /** The chunk holding `pfn` for reading, or null if it is not materialised (defaults apply). */
  private peek(pfn: number): Chunk | null {
    if (pfn >>> CHUNK_SHIFT === this.lastChunkNr) return this.lastChunk;
    const s = this.sections[pfn >>> SECTION_SHIFT];
    if (s !== undefined) {
      const c = s.chunks[(pfn >>> CHUNK_SHIFT) & CHUNK_IN_SECTION_MASK];
      if (c !== undefined) {
        this.lastChunkNr = pfn >>> CHUNK_SHIFT;
        this.lastChunk = c;
        return c;
      }
    }
    if (this.rangeAt(pfn) === undefined) return this.invalid(pfn);
    return null;
  }

  /** The chunk holding `pfn` for writing, materialised on first use. */
  private chunk(pfn: number): Chunk {
    if (pfn >>> CHUNK_SHIFT === this.lastChunkNr) return this.lastChunk!;
    const si = pfn >>> SECTION_SHIFT;
    let s = this.sections[si];
    const ci = (pfn >>> CHUNK_SHIFT) & CHUNK_IN_SECTION_MASK;
    if (s !== undefined) {
      const c = s.chunks[ci];
      if (c !== undefined) {
        this.lastChunkNr = pfn >>> CHUNK_SHIFT;
        this.lastChunk = c;
        return c;
      }
    }
    const r = this.rangeAt(pfn);
    if (r === undefined) return this.invalid(pfn);
    if (s === undefined) {
      while (this.sections.length < si) this.sections.push(undefined);
      s = new Section();
      this.sections[si] = s;
      this.sectionCount++;
    }
    const fresh = new Chunk(r);
    s.chunks[ci] = fresh;
    s.count++;
    this.chunkCount++;
    return fresh;
  }

  private defaults(pfn: number): MemmapRangeInit {
    return this.rangeAt(pfn)!;
  }

  // ---- _refcount (include/linux/page_ref.h) -------------------------------------------------

  /** `page_ref_count()`. */
  refcount(pfn: number): number {
    const c = this.peek(pfn);
    return c === null ? this.defaults(pfn).refcount : c.ref[pfn & CHUNK_MASK]!;
  }

  /** `page_ref_add_return()` (negative `d` for sub): one atomic RMW; returns the new count. */
  refAdd(pfn: number, d: number): number {
    const c = this.chunk(pfn);
    const i = pfn & CHUNK_MASK;
    const v = c.ref[i]! + d;
    c.ref[i] = v;
    if (this.onChange !== null) this.onChange(pfn, 'refcount', v - d, v);
    const cost = this.cost;
    if (cost !== null) {
      cost.atomics++;
      cost.touch(pfn);
    }
    return v;
  }

  /** `set_page_count()` / `init_page_count()`: a plain store. */
  setRefcount(pfn: number, v: number): void {
    if (this.onChange !== null) this.onChange(pfn, 'refcount', this.refcount(pfn), v);
    this.chunk(pfn).ref[pfn & CHUNK_MASK] = v;
  }

  // ---- _mapcount (logical: 0 when unmapped; the kernel stores it offset by -1) --------------

  /** The number of page-table entries that map this page (`page_mapcount()` for a small folio). */
  mapcount(pfn: number): number {
    const c = this.peek(pfn);
    return c === null ? 0 : c.mapcount[pfn & CHUNK_MASK]!;
  }

  /** Adds `d` to the page's mapcount; returns the new value. */
  mapcountAdd(pfn: number, d: number): number {
    const c = this.chunk(pfn);
    const i = pfn & CHUNK_MASK;
    const v = c.mapcount[i]! + d;
    c.mapcount[i] = v;
    if (this.onChange !== null) this.onChange(pfn, 'mapcount', v - d, v);
    if (this.cost !== null) {
      this.cost.atomics++;
      this.cost.touch(pfn);
    }
    return v;
  }

  // ---- mapping / index ----------------------------------------------------------------------

  /** `page->mapping` as a mapping id (0 = NULL). */
  mapping(pfn: number): number {
    const c = this.peek(pfn);
    return c === null ? 0 : c.mapping[pfn & CHUNK_MASK]!;
  }

  /** Sets `page->mapping`. */
  setMapping(pfn: number, id: number): void {
    if (this.onChange !== null) this.onChange(pfn, 'mapping', this.mapping(pfn), id);
    this.chunk(pfn).mapping[pfn & CHUNK_MASK] = id;
  }

  /** `page->index` (file offset in pages), or `page->share` for a shared DAX folio. */
  index(pfn: number): number {
    const c = this.peek(pfn);
    return c === null ? 0 : c.index[pfn & CHUNK_MASK]!;
  }

  /** Sets `page->index` / `page->share`. */
  setIndex(pfn: number, v: number): void {
    if (this.onChange !== null) this.onChange(pfn, 'index', this.index(pfn), v);
    this.chunk(pfn).index[pfn & CHUNK_MASK] = v;
  }

  // ---- flags, order, pgmap -------------------------------------------------------------------

  /** The page's flag bits (`PG_*`). */
  flags(pfn: number): number {
    const c = this.peek(pfn);
    return c === null ? this.defaults(pfn).flags : c.flags[pfn & CHUNK_MASK]!;
  }

  /** Sets flag bits. */
  setFlags(pfn: number, bits: number): void {
    if (this.onChange !== null) this.onChange(pfn, 'flags', this.flags(pfn), this.flags(pfn) | bits);
    const c = this.chunk(pfn);
    c.flags[pfn & CHUNK_MASK] = c.flags[pfn & CHUNK_MASK]! | bits;
  }

  /** Clears flag bits. */
  clearFlags(pfn: number, bits: number): void {
    if (this.onChange !== null) this.onChange(pfn, 'flags', this.flags(pfn), this.flags(pfn) & ~bits);
    const c = this.chunk(pfn);
    c.flags[pfn & CHUNK_MASK] = c.flags[pfn & CHUNK_MASK]! & ~bits;
  }

  /** `is_zone_device_page()`. */
  isZoneDevice(pfn: number): boolean {
    return (this.flags(pfn) & PG_ZONE_DEVICE) !== 0;
  }

  /** The owning dev_pagemap id (`page_pgmap()`), 0 for none. */
  pgmapId(pfn: number): number {
    const c = this.peek(pfn);
    return c === null ? this.defaults(pfn).pgmapId : c.pgmap[pfn & CHUNK_MASK]!;
  }

  /** The order stored for this page: the folio's order on head and tail pages, 0 for a small page. */
  order(pfn: number): number {
    const c = this.peek(pfn);
    return c === null ? 0 : c.order[pfn & CHUNK_MASK]!;
  }

  // ---- folios (include/linux/mm.h, mm/internal.h) -------------------------------------------

  /** `compound_head()`: the head pfn of the folio holding `pfn`. */
  compoundHead(pfn: number): number {
    const c = this.peek(pfn);
    if (c === null) {
      this.lastFlags = this.defaults(pfn).flags;
      return pfn;
    }
    const i = pfn & CHUNK_MASK;
    const f = c.flags[i]!;
    this.lastFlags = f;
    if ((f & PG_TAIL) === 0) return pfn;
    const order = c.order[i]!;
    return pfn - (pfn & (2 ** order - 1));
  }

  /**
   * The flags of the page the last `compoundHead` call read. Zone-device membership is the same
   * for every page of a folio, so the put path answers `is_zone_device_page()` from it without a
   * second lookup (the kernel reads `page->flags` once, too).
   */
  lastFlags = 0;

  /**
   * The hot path of `get_page()` on a small page whose chunk was the last one looked up, with no
   * observer or cost counter attached: one chunk compare, then `_refcount++` on a page that is
   * not a tail, not `skip` (flag bits the caller handles itself) and has a live count. Returns
   * false, changing nothing, when any of that does not hold (the caller takes the full path).
   */
  tryFastGet(pfn: number, skip: number): boolean {
    if (pfn >>> CHUNK_SHIFT !== this.lastChunkNr || this.onChange !== null || this.cost !== null)
      return false;
    const c = this.lastChunk!;
    const i = pfn & CHUNK_MASK;
    const f = c.flags[i]!;
    const v = c.ref[i]!;
    if ((f & (PG_TAIL | skip)) !== 0 || v <= 0) return false;
    c.ref[i] = v + 1;
    this.lastFlags = f;
    return true;
  }

  /**
   * The hot path of `put_page()`: as `tryFastGet`, `_refcount--` on a page whose count stays
   * above zero (the final put frees, which the full path does).
   */
  tryFastPut(pfn: number, refs: number, skip: number): boolean {
    if (pfn >>> CHUNK_SHIFT !== this.lastChunkNr || this.onChange !== null || this.cost !== null)
      return false;
    const c = this.lastChunk!;
    const i = pfn & CHUNK_MASK;
    const f = c.flags[i]!;
    const v = c.ref[i]!;
    if ((f & (PG_TAIL | skip)) !== 0 || v <= refs) return false;
    c.ref[i] = v - refs;
    this.lastFlags = f;
    return true;
  }

  /** `folio_order()` of the folio headed by `head`. */
  folioOrder(head: number): number {
    return (this.flags(head) & PG_HEAD) !== 0 ? this.order(head) : 0;
  }

  /** `folio_test_large()`. */
  isLarge(head: number): boolean {
    return (this.flags(head) & PG_HEAD) !== 0;
  }

  /** `prep_compound_page()` / `dax_folio_init()`: makes `head` the head of an order-`order` folio. */
  prepCompound(head: number, order: number): void {
    const nr = 2 ** order;
    if (order < 1 || (head & (nr - 1)) !== 0) {
      throw new DaxrefError(
        'BAD_ARGUMENT',
        'memmap',
        `prepCompound: pfn ${head} is not aligned to order ${order}`,
      );
    }
    for (let p = head + 1; p < head + nr; p++) {
      const c = this.chunk(p);
      const i = p & CHUNK_MASK;
      c.flags[i] = (c.flags[i]! | PG_TAIL) & ~(PG_HEAD | PG_STALE);
      c.order[i] = order;
    }
    const c = this.chunk(head);
    const i = head & CHUNK_MASK;
    c.flags[i] = (c.flags[i]! | PG_HEAD) & ~(PG_TAIL | PG_STALE);
    c.order[i] = order;
    // struct folio's counters in page[1] / page[2] start at zero.
    this.setMapping(head + 1, 0);
    this.setIndex(head + 1, 0);
    if (order >= 2) this.setMapping(head + 2, 0);
  }

  /**
   * Splits a large folio back into order-0 pages (`dax_folio_put` → the 6.15 split, with the
   * follow-up that resets `order`). The folio's metadata in page[1] / page[2] is poisoned.
   */
  splitFolio(head: number): void {
    if (!this.isLarge(head)) return;
    const nr = 2 ** this.order(head);
    for (let p = head; p < head + nr; p++) {
      const c = this.chunk(p);
      const i = p & CHUNK_MASK;
      c.flags[i] = c.flags[i]! & ~(PG_HEAD | PG_TAIL);
      c.order[i] = 0;
    }
    this.poisonFolioMeta(head, nr);
  }

  private poisonFolioMeta(head: number, nr: number): void {
    this.setMapping(head + 1, MEMMAP_POISON);
    this.setIndex(head + 1, MEMMAP_POISON);
    this.setFlags(head + 1, PG_STALE);
    if (nr > 2) {
      this.setMapping(head + 2, MEMMAP_POISON);
      this.setFlags(head + 2, PG_STALE);
    }
  }

  private checkLarge(head: number, field: string): void {
    if ((this.flags(head) & PG_HEAD) === 0) {
      throw new DaxrefError(
        'BAD_STATE',
        'memmap',
        `stale read of ${field}: pfn ${head} is not the head of a large folio`,
      );
    }
  }

  /** `folio->_pincount` (large folios only). */
  pincount(head: number): number {
    this.checkLarge(head, '_pincount');
    return this.index(head + 1);
  }

  /** `atomic_add(d, &folio->_pincount)`. */
  pincountAdd(head: number, d: number): number {
    this.checkLarge(head, '_pincount');
    const v = this.index(head + 1) + d;
    this.setIndex(head + 1, v);
    if (this.cost !== null) {
      this.cost.atomics++;
      this.cost.touch(head + 1);
    }
    return v;
  }

  /** `folio->_large_mapcount` as a count (every PTE or PMD mapping of any page of the folio). */
  largeMapcount(head: number): number {
    this.checkLarge(head, '_large_mapcount');
    return this.mapping(head + 1);
  }

  /** Adds to `_large_mapcount`. */
  largeMapcountAdd(head: number, d: number): number {
    this.checkLarge(head, '_large_mapcount');
    const v = this.mapping(head + 1) + d;
    this.setMapping(head + 1, v);
    return v;
  }

  /** `folio->_entire_mapcount`: PMD / PUD mappings of the whole folio. */
  entireMapcount(head: number): number {
    this.checkLarge(head, '_entire_mapcount');
    return this.order(head) >= 2 ? this.mapping(head + 2) : 0;
  }

  /** Adds to `_entire_mapcount`. */
  entireMapcountAdd(head: number, d: number): number {
    this.checkLarge(head, '_entire_mapcount');
    const v = this.mapping(head + 2) + d;
    this.setMapping(head + 2, v);
    return v;
  }

  /** `folio_mapcount()`: all mappings of the folio. */
  folioMapcount(head: number): number {
    return this.isLarge(head) ? this.largeMapcount(head) : this.mapcount(head);
  }

  /** `folio_maybe_dma_pinned()`: `_pincount > 0` for a large folio, else `_refcount >= 1024`. */
  maybeDmaPinned(head: number, bias: number): boolean {
    return this.isLarge(head) ? this.pincount(head) > 0 : this.refcount(head) >= bias;
  }

  /** Memory held by the memmap. */
  stats(): MemmapStats {
    return {
      describedPages: this.describedPages,
      allocatedPages: this.chunkCount * CHUNK_PAGES,
      storageBytes: this.chunkCount * CHUNK_PAGES * MEMMAP_BYTES_PER_PAGE,
      // a Section: a 64-slot array and a header; a Chunk: 7 typed-array views and a buffer header.
      directoryBytes:
        this.sectionCount * (CHUNKS_PER_SECTION * 8 + 64) +
        this.chunkCount * (7 * 72 + 96) +
        this.sections.length * 8 +
        this.ranges.length * 64,
    };
  }
}
