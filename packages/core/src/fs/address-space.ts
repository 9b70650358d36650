import type { Vma } from '../mm/vma';

/** A DAX page-cache entry (fs/dax.c: an xarray value entry). */
export class DaxEntry {
  /** First file page index the entry covers (aligned to its order). */
  readonly index: number;
  /** First pfn, or the zero page's pfn for a hole entry. */
  pfn: number;
  /** 0 (PTE), 9 (PMD) or 18 (PUD). */
  order: number;
  /** `DAX_ZERO_PAGE`: a read of a hole, mapped to the zero page. */
  zero: boolean;
  /** `DAX_LOCKED`. */
  locked = false;
  /** Erased from the xarray. */
  deleted = false;
  /** The pfn was associated with the mapping (`dax_associate_entry` ran). */
  associated = false;
  constructor(index: number, pfn: number, order: number, zero: boolean) {
    this.index = index;
    this.pfn = pfn;
    this.order = order;
    this.zero = zero;
  }

  /** Pages the entry covers. */
  get nrPages(): number {
    return 2 ** this.order;
  }
}

/**
 * `struct address_space` of a DAX inode: the entry xarray, and `i_mmap`, the VMAs that map it
 * (`mapping_mapped()` is `i_mmap` non-empty).
 */
export class AddressSpace {
  readonly id: number;
  /** The owning inode number. */
  readonly ino: number;
  /** index → entry; an entry of order n is stored at its aligned first index. */
  readonly entries = new Map<number, DaxEntry>();
  /** `i_mmap`: VMAs mapping this file. */
  readonly iMmap = new Set<Vma>();

  constructor(id: number, ino: number) {
    this.id = id;
    this.ino = ino;
  }

  /** `mapping_mapped()`. */
  mapped(): boolean {
    return this.iMmap.size > 0;
  }

  /** The entry covering file page `index`, or undefined (`xas_load` at any order). */
  lookup(index: number): DaxEntry | undefined {
    const e0 = this.entries.get(index);
    if (e0 !== undefined) return e0;
    const e9 = this.entries.get(index - (index % 512));
    if (e9 !== undefined && e9.order >= 9) return e9;
    const e18 = this.entries.get(index - (index % 2 ** 18));
    if (e18 !== undefined && e18.order >= 18) return e18;
    return undefined;
  }

  /** Entries overlapping [start, end) page indexes, in index order. */
  range(start: number, end: number): DaxEntry[] {
    const out: DaxEntry[] = [];
    for (const e of this.entries.values()) if (e.index < end && e.index + e.nrPages > start) out.push(e);
    return out.sort((a, b) => a.index - b.index);
  }

  /** The wait key of the entry lock at `index` (`dax_entry_waitqueue` hashes mapping and index). */
  entryKey(index: number): string {
    return `dax-entry:${this.id}:${index}`;
  }
}
