import type { Kernel } from '../kernel';
import { PG_DAX_SHARED } from '../memmap';
import type { AddressSpace } from './address-space';

// Per-page helpers of fs/dax.c's entry association (v4.18 – v6.14, and the legacy designs that
// keep per-page association). The designs differ in when they call them; the bookkeeping is one.
// A shared (reflinked) page keeps its share count in `index` with PG_DAX_SHARED standing for
// `page->mapping == PAGE_MAPPING_DAX_SHARED`.

/**
 * `dax_page_share_get()` (v6.2+; v6.0–6.1's `dax_mapping_set_cow()` is the same on the get side):
 * the first share of a page that was mapped regularly counts that mapping too.
 */
export function daxPageShareGet(k: Kernel, pfn: number): void {
  const mm = k.memmap;
  if (!(mm.flags(pfn) & PG_DAX_SHARED)) {
    // "Reset the index if the page was already mapped regularly before."
    mm.setIndex(pfn, mm.mapping(pfn) !== 0 ? 1 : 0);
    mm.setFlags(pfn, PG_DAX_SHARED);
    mm.setMapping(pfn, 0);
  }
  mm.setIndex(pfn, mm.index(pfn) + 1);
}

/** `dax_page_share_put()`: drops one share and returns how many are left (pre-decrement). */
export function daxPageSharePut(k: Kernel, pfn: number): number {
  const left = k.memmap.index(pfn) - 1;
  k.memmap.setIndex(pfn, left);
  return left;
}

/** The unshared branch of `dax_associate_entry()`: `WARN_ON_ONCE(page->mapping)`, then set mapping / index. */
export function daxPageAssociate(k: Kernel, pfn: number, mapping: AddressSpace, index: number): void {
  const mm = k.memmap;
  // page->mapping is PAGE_MAPPING_DAX_SHARED (non-NULL) while the page is shared.
  k.warnOnce(
    mm.mapping(pfn) !== 0 || (mm.flags(pfn) & PG_DAX_SHARED) !== 0,
    'dax_associate_entry: WARN_ON_ONCE(page->mapping)',
    pfn,
  );
  // `page->mapping = mapping` overwrites a PAGE_MAPPING_DAX_COW / _SHARED sentinel.
  mm.clearFlags(pfn, PG_DAX_SHARED);
  mm.setMapping(pfn, mapping.id);
  mm.setIndex(pfn, index);
}

/**
 * The per-page body of `dax_disassociate_entry()` after its refcount check: a shared page drops
 * a share and keeps PG_DAX_SHARED while others remain (returns false); otherwise
 * `WARN_ON_ONCE(page->mapping && page->mapping != mapping)`, then mapping and index are cleared
 * (returns true).
 */
export function daxPageDisassociate(k: Kernel, pfn: number, mapping: AddressSpace): boolean {
  const mm = k.memmap;
  if (mm.flags(pfn) & PG_DAX_SHARED) {
    if (daxPageSharePut(k, pfn) > 0) return false;
    mm.clearFlags(pfn, PG_DAX_SHARED);
  } else {
    k.warnOnce(
      mm.mapping(pfn) !== 0 && mm.mapping(pfn) !== mapping.id,
      'dax_disassociate_entry: WARN_ON_ONCE(page->mapping && page->mapping != mapping)',
      pfn,
    );
  }
  mm.setMapping(pfn, 0);
  mm.setIndex(pfn, 0);
  return true;
}
