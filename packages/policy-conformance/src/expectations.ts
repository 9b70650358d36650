/**
 * What DOMAIN §2–§4 (and docs/kernel-notes.md) say each variant does, written down here
 * independently of the policies, so the conformance suite checks them against the spec rather
 * than against themselves.
 */
export interface VariantExpectations {
  /** `_refcount` of an idle device page (`__init_zone_device_page`). */
  readonly idle: 0 | 1;
  /** `pagemap_range()` takes one static pgmap reference per page. */
  readonly staticPgmapRefs: boolean;
  /** `put_page()` of a zone-device page is routed to the design (`devmap_managed_key` or v4.5's branch). */
  readonly putRouted: boolean;
  /** References a PTE mapping holds (6.15: 1). */
  readonly mapRef: 0 | 1;
  /** Mapcount a PTE mapping adds. */
  readonly mapcount: 0 | 1;
  /** References the DAX entry holds (dan-2022: 1). */
  readonly entryRef: 0 | 1;
  /** pgmap references the entry holds per page (dan-2022). */
  readonly entryPgmapRef: boolean;
  /** pgmap references a DAX VMA holds (coarse pin). */
  readonly vmaPgmapRef: boolean;
  /** `dax_associate_entry()` sets `page->mapping` (not v4.5). */
  readonly setsMapping: boolean;
  /** A PMD fault makes an order-9 folio (6.15). */
  readonly compoundPmd: boolean;
  /** DAX leaves are `pte_devmap`. */
  readonly devmapLeaf: boolean;
  /** Each GUP reference also holds a pgmap reference (v4.5 `get_zone_device_page`). */
  readonly gupHoldsPgmapRef: boolean;
  /** GUP on a mapped DAX page works (ralph-rfc: fails on the 0 refcount). */
  readonly gupWorks: boolean;
  /** Truncate of a mapped, pinned page waits (`break_layouts`). */
  readonly truncateWaits: boolean;
  /** The unpin that makes the page idle wakes that waiter. */
  readonly unpinWakes: boolean;
  /** A `release_pages()` put that makes the page idle wakes that waiter. */
  readonly releasePagesWakes: boolean;
  /** Truncate waits for a pinned page even after it was munmapped (no `mapping_mapped()` shortcut). */
  readonly waitsAfterMunmap: boolean;
  /** Evict waits for a pinned page (`dax_break_layout_final` / dan-2022 evict break_layouts). */
  readonly evictWaits: boolean;
  /** A FOLL_GET (not pinned) reference makes truncate wait. */
  readonly getHolderWaits: boolean;
  /** Zap drops the mapping's reference after the TLB flush, mapcount at once (6.15). */
  readonly zapDefersPut: boolean;
  /** Unbind finishes while a task keeps an idle DAX mapping open. */
  readonly unbindWhileMapped: boolean;
  /** Unbind waits for a pinned (and munmapped) page to be unpinned. */
  readonly unbindWaitsForPin: boolean;
  /**
   * Reflink of DAX files: `none` (refused, before v6.0), `cow` (v6.0–6.1: only CoW write faults
   * mark a page, so a read fault of a shared block WARNs), `share` (v6.2+: read faults share).
   */
  readonly reflink: 'none' | 'cow' | 'share';
  /** `break_layouts` waits on `&page->_refcount` (else `&folio->page`). */
  readonly waitKey: 'refcount' | 'page';
}

const legacy: VariantExpectations = {
  idle: 1,
  staticPgmapRefs: true,
  putRouted: true,
  mapRef: 0,
  mapcount: 0,
  entryRef: 0,
  entryPgmapRef: false,
  vmaPgmapRef: false,
  setsMapping: true,
  compoundPmd: false,
  devmapLeaf: true,
  gupHoldsPgmapRef: false,
  gupWorks: true,
  truncateWaits: true,
  unpinWakes: true,
  releasePagesWakes: true,
  waitsAfterMunmap: false,
  evictWaits: false,
  getHolderWaits: true,
  zapDefersPut: false,
  unbindWhileMapped: true,
  unbindWaitsForPin: false,
  reflink: 'share',
  waitKey: 'refcount',
};

const dan: VariantExpectations = {
  ...legacy,
  idle: 0,
  putRouted: true,
  entryRef: 1,
  entryPgmapRef: true,
  waitsAfterMunmap: true,
  evictWaits: true,
  unbindWhileMapped: false, // [I] the entries' pgmap refs outlive the unbind without MF_MEM_PRE_REMOVE
  waitKey: 'page',
};

/** Expectations by full policy id (`name@variant`). */
export const EXPECTATIONS: Readonly<Record<string, VariantExpectations>> = {
  '1based@v4.5': {
    ...legacy,
    staticPgmapRefs: false,
    setsMapping: false,
    gupHoldsPgmapRef: true,
    truncateWaits: false,
    unpinWakes: false,
    releasePagesWakes: false,
    getHolderWaits: false,
    unbindWaitsForPin: true,
    reflink: 'none',
  },
  // 50f44ee7248a (2019): ≈4.13–5.1 removed the memory before the pinned page was reaped.
  '1based@v4.18': { ...legacy, releasePagesWakes: false, unbindWaitsForPin: false, reflink: 'none' },
  '1based@v5.19-rc1': { ...legacy, unpinWakes: false, reflink: 'none' },
  '1based@v6.1': { ...legacy, reflink: 'cow' },
  '1based@v6.14': legacy,
  '0based@v6.15': {
    ...legacy,
    idle: 0,
    staticPgmapRefs: true,
    putRouted: false,
    mapRef: 1,
    mapcount: 1,
    compoundPmd: true,
    devmapLeaf: false,
    waitsAfterMunmap: true,
    evictWaits: true,
    zapDefersPut: true,
    waitKey: 'page',
  },
  '0based@v6.15-rc1': {
    ...legacy,
    idle: 0,
    staticPgmapRefs: true,
    putRouted: false,
    mapRef: 1,
    mapcount: 1,
    compoundPmd: true,
    devmapLeaf: false,
    waitsAfterMunmap: true,
    evictWaits: true,
    zapDefersPut: true,
    waitKey: 'page',
  },
  '0based@dan-2022': dan,
  '0based@dan-2022-pin-only': { ...dan, getHolderWaits: false },
  '0based@ralph-rfc': {
    ...legacy,
    idle: 0,
    putRouted: false,
    gupWorks: false,
    reflink: 'none',
  },
  'coarse-pin@block': {
    ...legacy,
    staticPgmapRefs: false,
    vmaPgmapRef: true,
    unbindWhileMapped: false,
  },
  // seed 001 "pin it active only while i/o is in flight": GUP references hold the pgmap, VMAs do not.
  'coarse-pin@revoke': {
    ...legacy,
    staticPgmapRefs: false,
    gupHoldsPgmapRef: true,
    unbindWaitsForPin: true,
  },
};
