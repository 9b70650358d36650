import { DaxrefError } from '../errors';
import type { Kernel } from '../kernel';
import { PG_FREE } from '../memmap';

/**
 * The page allocator for system RAM: a LIFO free list, so a freed page is handed out again
 * first and reuse bugs surface. `alloc` returns a page with `_refcount` 1 (`post_alloc_hook`).
 */
export class RamAllocator {
  private readonly k: Kernel;
  readonly startPfn: number;
  readonly nrPages: number;
  private next: number;
  private readonly free: number[] = [];
  private readonly data = new Map<number, Uint8Array>();
  allocated = 0;

  constructor(k: Kernel, startPfn: number, nrPages: number) {
    this.k = k;
    this.startPfn = startPfn;
    this.nrPages = nrPages;
    this.next = startPfn;
  }

  /** `alloc_page()`: -1 when RAM is exhausted. */
  alloc(): number {
    let pfn = this.free.pop();
    if (pfn === undefined) {
      if (this.next >= this.startPfn + this.nrPages) return -1;
      pfn = this.next++;
    }
    const mm = this.k.memmap;
    mm.clearFlags(pfn, PG_FREE);
    mm.setRefcount(pfn, 1);
    mm.setMapping(pfn, 0);
    mm.setIndex(pfn, 0);
    this.data.delete(pfn);
    this.allocated++;
    return pfn;
  }

  /**
   * Allocates `n` contiguous pages aligned to `n` (a compound allocation, `alloc_pages(order)`);
   * the pages skipped for alignment go to the free list. Returns the first pfn with `_refcount`
   * 1 on it, or -1.
   */
  allocAligned(n: number): number {
    const start = Math.ceil(this.next / n) * n;
    if (start + n > this.startPfn + this.nrPages) return -1;
    for (let p = start - 1; p >= this.next; p--) this.free.push(p);
    this.next = start + n;
    const mm = this.k.memmap;
    for (let p = start; p < start + n; p++) {
      mm.clearFlags(p, PG_FREE);
      mm.setRefcount(p, 0);
    }
    mm.setRefcount(start, 1);
    this.allocated += n;
    return start;
  }

  /** `free_unref_page()`: the page's count reached zero. */
  freePage(pfn: number): void {
    const mm = this.k.memmap;
    if (mm.flags(pfn) & PG_FREE) {
      this.k.report('vm-bug-on', `free_unref_page: double free of pfn ${pfn}`, pfn);
      return;
    }
    mm.setFlags(pfn, PG_FREE);
    mm.setMapping(pfn, 0);
    this.free.push(pfn);
    this.allocated--;
  }

  /** The pfn is system RAM. */
  contains(pfn: number): boolean {
    return pfn >= this.startPfn && pfn < this.startPfn + this.nrPages;
  }

  /** The page's bytes (zero-filled until written). */
  bytes(pfn: number): Uint8Array {
    if (!this.contains(pfn)) throw new DaxrefError('BAD_ARGUMENT', 'ram', `pfn ${pfn} is not system RAM`);
    let b = this.data.get(pfn);
    if (b === undefined) {
      b = new Uint8Array(4096);
      this.data.set(pfn, b);
    }
    return b;
  }
}
