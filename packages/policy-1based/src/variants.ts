import type { PolicyVariant } from '@daxref/core';

/** The variant ids of the 1-based design, oldest first. */
export type OneBasedVariantId = 'v4.5' | 'v4.18' | 'v5.19-rc1' | 'v6.14';

/** The variants of `1based`, as `daxref list` shows them (DOMAIN §2). */
export const oneBasedVariants: readonly PolicyVariant[] = Object.freeze([
  {
    id: 'v4.5',
    description:
      'get_page/put_page take a pgmap reference per zone-device page reference; no DMA-vs-truncate wait at all',
    source: 'Linux 4.5 (Dan Williams, "mm, x86: get_user_pages() for dax mappings", Dec 2015); seed 001',
  },
  {
    id: 'v4.18',
    description:
      'devmap_managed_key and break_layouts; release_pages() only diverts device-public pages, so its 2→1 put never wakes',
    source:
      'Linux 4.18 (Dan Williams, 2018); fixed by c5d6c45e90c4 "mm/swap: fix release_pages() when releasing devmap pages" (Ira Weiny, v5.3)',
  },
  {
    id: 'v5.19-rc1',
    description: 'gup_put_folio() lost the devmap special case: unpin goes 1025→1 with no wake',
    source:
      'd8ddc099c6b3 "mm/gup: Add gup_put_folio()" (v5.18); fixed by f4f451a16dd1 "mm: fix missing wake-up event for FSDAX pages" (Muchun Song, v5.19); seed 002',
  },
  {
    id: 'v6.14',
    description:
      'all of the above fixed; the mapping_mapped() shortcut and no break-layout on evict / unmount remain',
    source: 'Linux 6.14 (fs/dax.c, mm/memremap.c before the 6.15 0-based series)',
    default: true,
  },
]);
