import type { PolicyVariant } from '@daxref/core';

/** The variant ids of the 1-based design, oldest first. */
export type OneBasedVariantId = 'v4.5' | 'v4.18' | 'v5.19-rc1' | 'v6.1' | 'v6.14';

/** The variants of `1based`, as `daxref list` shows them (DOMAIN §2). */
export const oneBasedVariants: readonly PolicyVariant[] = Object.freeze([
  {
    id: 'v4.5',
    description:
      'get_page/put_page take a pgmap reference per zone-device page reference; no DMA-vs-truncate wait at all',
    source:
      'Linux 4.5: 3565fce3a659 "mm, x86: get_user_pages() for dax mappings" (Dan Williams, Dec 2015); seed 001. No FOLL_LONGTERM until 4.15 (2bb6d2837083)',
  },
  {
    id: 'v4.18',
    description:
      'devmap_managed_key and break_layouts; release_pages() only diverts device-public pages, so its 2→1 put never wakes; unbind removes memory before page references are reaped',
    source:
      'Linux 4.18 (Dan Williams, 2018); fixed by c5d6c45e90c4 "mm/swap: fix release_pages() when releasing devmap pages" (Ira Weiny, v5.3); the unbind race by 50f44ee7248a "mm/devm_memremap_pages: fix final page put race" (2019)',
  },
  {
    id: 'v5.19-rc1',
    description: 'gup_put_folio() lost the devmap special case: unpin goes 1025→1 with no wake',
    source:
      'd8ddc099c6b3 "mm/gup: Add gup_put_folio()" (v5.18); fixed by f4f451a16dd1 "mm: fix missing wake-up event for FSDAX pages" (Muchun Song, v5.19); seed 002',
  },
  {
    id: 'v6.1',
    description:
      'the 6.1.y stable kernel: DAX reflink with dax_mapping_set_cow() on CoW write faults only; __bio_release_pages() drops O_DIRECT references with folio_put_refs(), so their 2→1 put never wakes',
    source:
      'Linux 6.0–6.1 reflink ("xfs: support CoW in fsdax mode", mm-stable-2022-08-03, v6.0-rc1; read-fault sharing only from xfs-6.2-merge-9); 6.1.76+ stable "block: Remove special-casing of compound pages" (real 6.1.176: truncate-during-dma missed wake-up)',
  },
  {
    id: 'v6.14',
    description:
      'all of the above fixed; the mapping_mapped() shortcut and no break-layout on evict / unmount remain; a FOLL_PIN of a read-only shared fsdax page loops in GUP (6.2–6.14)',
    source:
      'Linux 6.14 (fs/dax.c, mm/memremap.c before the 6.15 0-based series); PAGE_MAPPING_DAX_SHARED from xfs-6.2-merge-9 (Shiyang Ruan, "fsdax: introduce page->share for fsdax in reflink mode"); pre-remove notification v6.6',
    default: true,
  },
]);
