import type { PolicyVariant } from '@daxref/core';

/** The variant ids of the 0-based design. */
export type ZeroBasedVariantId = 'v6.15' | 'v6.15-rc1' | 'dan-2022' | 'dan-2022-pin-only' | 'ralph-rfc';

/** The variants of `0based`, as `daxref list` shows them (DOMAIN §3). */
export const zeroBasedVariants: readonly PolicyVariant[] = Object.freeze([
  {
    id: 'v6.15',
    description:
      'idle at 0; a PTE/PMD mapping holds a folio reference and a mapcount; break_layouts waits for ref 0, also after munmap and on evict',
    source:
      'Linux 6.15 (Alistair Popple, "fs/dax: Fix ZONE_DEVICE page reference counts": 38607c62b34b "fs/dax: properly refcount fs dax pages", 6be3e21d25ca "fs/dax: don\'t skip locked entries when scanning entries", 0e2f80afcfa6 "fs/dax: ensure all pages are idle prior to filesystem unmount"); real 6.18.15 and 7.3.4',
    default: true,
  },
  {
    id: 'v6.15-rc1',
    description:
      'v6.15 before the split fix: dax_folio_put() splits a large folio without folio_reset_order(), so page[1] keeps the old _nr_pages where the new folio has memcg_data',
    source:
      'David Hildenbrand, "fs/dax: fix folio splitting issue by resetting old folio order + _nr_pages" (Fixes: 38607c62b34b, merged for 6.15-rc; NULL deref in __lruvec_stat_mod_folio from folio_add_file_rmap_ptes)',
  },
  {
    id: 'dan-2022',
    description:
      'the DAX entry holds a page reference and pgmap references from associate to delete; break_layouts waits for 2→1',
    source: 'Dan Williams, "Fix the DAX-gup mistake" v2 (Sept 2022, never merged); seed 000',
  },
  {
    id: 'dan-2022-pin-only',
    description:
      'dan-2022, but break_layouts waits only for !page_maybe_dma_pinned(): a FOLL_GET holder slips past',
    source: 'Dan Williams, "Fix the DAX-gup mistake" v1 (2022); seed 000',
  },
  {
    id: 'ralph-rfc',
    description:
      'pages inserted at refcount 0 with no map-time reference: GUP on a mapped page fails, get_page hits VM_BUG_ON',
    source: 'Ralph Campbell, RFC "mm: remove extra ZONE_DEVICE struct page refcount" (2020); seed 003',
  },
]);
