import {
  type AddressSpace,
  DaxrefError,
  type DevPagemap,
  daxPageAssociate,
  daxPageDisassociate,
  daxPageShareGet,
  daxPageSharePut,
  GUP_PIN_COUNTING_BIAS,
  KEY_REFCOUNT,
  type Kernel,
  type KGen,
  PG_DAX_SHARED,
  type PgmapType,
  type Policy,
  type PolicyCaps,
  type PolicyVariant,
  type PutPath,
  pageVarKey,
  putPage,
  type Task,
  type VarKey,
  type Vma,
} from '@daxref/core';
import { type OneBasedVariantId, oneBasedVariants } from './variants';

/** Options of `createOneBasedPolicy`. */
export interface OneBasedPolicyOptions {
  /** The variant id (`v4.5`, `v4.18`, `v5.19-rc1`, `v6.1`, `v6.14`); default `v6.14`. */
  variant?: string;
}

/**
 * What differs between the variants: one switch per mechanism, each with the patch that changed
 * it. The hooks below read these switches; no hook is copied per variant.
 */
interface Features {
  /**
   * v4.5 `get_page()` / `put_page()`: `get_zone_device_page()` / `put_zone_device_page()` take
   * and drop a pgmap percpu reference for every page reference (kernel-notes Q7). Removed when
   * `devmap_managed_key` arrived.
   */
  readonly pgmapRefPerPageRef: boolean;
  /**
   * `devmap_managed_key` + `put_devmap_managed_page()`: a put that reaches 1 calls
   * `page_free` → `wake_up_var(&page->_refcount)` (v4.18, "mm, dev_pagemap: introduce
   * devmap_managed_key").
   */
  readonly devmapManagedKey: boolean;
  /**
   * `xfs_break_layouts()` → `dax_layout_busy_page()` waits for pinned pages before truncate /
   * punch (v4.18, "xfs: prepare xfs_break_layouts() for another layout type"); v4.5 has none.
   */
  readonly breakLayouts: boolean;
  /**
   * `dax_associate_entry()` / `dax_disassociate_entry()` set and clear `page->mapping` with their
   * WARNs (v4.18, "fs, dax: use page->mapping to warn if truncate collides with a busy page");
   * v4.5 never touched `page->mapping` of a DAX page.
   */
  readonly pageMapping: boolean;
  /**
   * `release_pages()` sends FS_DAX pages to `put_devmap_managed_page()`. v4.18 tested only
   * `is_device_public_page()`, so FS_DAX fell through to `put_page_testzero()` and the 2→1 wake
   * was skipped; fixed by c5d6c45e90c4 (Ira Weiny, v5.3; kernel-notes Q6).
   */
  readonly releasePagesDevmap: boolean;
  /**
   * The unpin path (`gup_put_folio()`) sends FS_DAX folios to `put_devmap_managed_page_refs()`.
   * Lost by d8ddc099c6b3 "mm/gup: Add gup_put_folio()" (v5.18: plain `folio_put_refs()`, no
   * wake at 1); restored by f4f451a16dd1 (Muchun Song, v5.19; kernel-notes Q5).
   */
  readonly unpinDevmap: boolean;
  /**
   * `__bio_release_pages()` (O_DIRECT completion) reaches the devmap hook: ≤6.1.75 through
   * `put_page()`, 6.5+ through `bio_release_folio()` → `unpin_user_folio()` → `gup_put_folio()`.
   * 6.1.y from 6.1.76 ("block: Remove special-casing of compound pages", upstream stable 6.1.75)
   * calls `folio_put_refs()`, which bypasses `put_devmap_managed_page_refs()`: the 2→1
   * transition never wakes (real 6.1.176, block/bio.c:1124).
   */
  readonly bioReleaseDevmap: boolean;
  /**
   * Static pgmap references of `pagemap_range()`: `none` (v4.5: the pgmap ref is the driver's
   * queue ref, taken per page reference), `per-page` (≤ v5.17: one per page, each dropped by
   * that page's own final put in `memunmap_pages()` → `put_page()` → `__put_page()` →
   * `put_dev_pagemap()`, so unbind waits for pinned pages), `bulk` (v5.18 hch "mm: remove the
   * extra ZONE_DEVICE struct page refcount": `percpu_ref_put_many()` regardless of page refs).
   */
  readonly staticRefs: 'none' | 'per-page' | 'bulk';
  /**
   * ≈4.13 until 50f44ee7248a "mm/devm_memremap_pages: fix final page put race" (2019):
   * `devm_memremap_pages_release()` put the pages and went on to `arch_remove_memory()` before
   * their references were reaped ("The wait for the completion of kill and percpu_ref_exit()
   * must occur after devm_memremap_pages_release()"): a pinned page outlives its memory.
   */
  readonly removeBeforeReap: boolean;
  /**
   * Reflinked (shared) DAX blocks: `none` (xfs refused reflink on DAX before v6.0:
   * `xfs_reflink_remap_prep` "Don't share DAX file data for now", -EINVAL), `cow` (v6.0–6.1
   * `dax_mapping_set_cow()` on CoW write faults only: `PAGE_MAPPING_DAX_COW`, count in
   * `page->index`, post-decremented on disassociate), `share` (v6.2+ Shiyang Ruan "fsdax:
   * introduce page->share for fsdax in reflink mode", xfs-6.2-merge-9: `PAGE_MAPPING_DAX_SHARED`,
   * pre-decremented, read faults too).
   */
  readonly sharing: 'none' | 'cow' | 'share';
  /** `kill_dax()` → `dax_holder_notify_failure(MF_MEM_PRE_REMOVE)` (v6.6, Shiyang Ruan). */
  readonly notifyPreRemove: boolean;
  /** 6.6+ `fs_holder_ops`: unbind's `del_gendisk()` evicts the unused inodes (`fs_bdev_mark_dead`). */
  readonly bdevMarkDeadEvicts: boolean;
  /** FOLL_LONGTERM exists (4.15+, 2bb6d2837083 `get_user_pages_longterm()`). */
  readonly follLongterm: boolean;
  /** 6.2–6.14: a shared fsdax page is `PageAnon()` to GUP (see `PolicyCaps.daxSharedLooksAnon`). */
  readonly daxSharedLooksAnon: boolean;
  /** v5.18+: PRIVATE / COHERENT pages start at refcount 0 (`__init_zone_device_page`). */
  readonly privateStartsAtZero: boolean;
}

const FEATURES: Record<OneBasedVariantId, Features> = {
  'v4.5': {
    pgmapRefPerPageRef: true,
    devmapManagedKey: false,
    breakLayouts: false,
    pageMapping: false,
    releasePagesDevmap: false,
    unpinDevmap: false,
    bioReleaseDevmap: true,
    staticRefs: 'none',
    removeBeforeReap: false,
    sharing: 'none',
    notifyPreRemove: false,
    bdevMarkDeadEvicts: false,
    follLongterm: false,
    daxSharedLooksAnon: false,
    privateStartsAtZero: false,
  },
  'v4.18': {
    pgmapRefPerPageRef: false,
    devmapManagedKey: true,
    breakLayouts: true,
    pageMapping: true,
    releasePagesDevmap: false,
    unpinDevmap: true,
    bioReleaseDevmap: true, // bio_release_pages() → put_page()
    staticRefs: 'per-page',
    removeBeforeReap: true,
    sharing: 'none',
    notifyPreRemove: false,
    bdevMarkDeadEvicts: false,
    follLongterm: true,
    daxSharedLooksAnon: false,
    privateStartsAtZero: false,
  },
  'v5.19-rc1': {
    pgmapRefPerPageRef: false,
    devmapManagedKey: true,
    breakLayouts: true,
    pageMapping: true,
    releasePagesDevmap: true,
    unpinDevmap: false,
    bioReleaseDevmap: true, // __bio_release_pages() → put_page(); bios held FOLL_GET references
    staticRefs: 'bulk',
    removeBeforeReap: false,
    sharing: 'none', // DAX reflink arrived in v6.0-rc1
    notifyPreRemove: false,
    bdevMarkDeadEvicts: false,
    follLongterm: true,
    daxSharedLooksAnon: false,
    privateStartsAtZero: true,
  },
  'v6.1': {
    pgmapRefPerPageRef: false,
    devmapManagedKey: true,
    breakLayouts: true,
    pageMapping: true,
    releasePagesDevmap: true,
    unpinDevmap: true,
    bioReleaseDevmap: false, // 6.1.76+: folio_put_refs() (real 6.1.176)
    staticRefs: 'bulk',
    removeBeforeReap: false,
    sharing: 'cow',
    notifyPreRemove: false, // 6.0–6.5 kill_dax() sent no MF_MEM_PRE_REMOVE (real 6.1: mapper not killed)
    bdevMarkDeadEvicts: false, // fs_holder_ops arrived in 6.6
    follLongterm: true,
    daxSharedLooksAnon: false, // 6.1 never marks a read-faulted page shared
    privateStartsAtZero: true,
  },
  'v6.14': {
    pgmapRefPerPageRef: false,
    devmapManagedKey: true,
    breakLayouts: true,
    pageMapping: true,
    releasePagesDevmap: true,
    unpinDevmap: true,
    bioReleaseDevmap: true, // bio_release_folio() → unpin_user_folio() (6.12.95 block/bio.c:1225)
    staticRefs: 'bulk',
    removeBeforeReap: false,
    sharing: 'share',
    notifyPreRemove: true,
    bdevMarkDeadEvicts: true,
    follLongterm: true,
    daxSharedLooksAnon: true, // real 6.12.95: GUP livelock in follow_page_pte
    privateStartsAtZero: true,
  },
};

const COMPONENT = 'policy-1based';

function variantIds(): string {
  return oneBasedVariants.map((v) => v.id).join(', ');
}

function pgmapOf(k: Kernel, pfn: number): DevPagemap {
  return k.pgmaps.get(k.memmap.pgmapId(pfn));
}

/** Design A (DOMAIN §2): an idle FSDAX page has `_refcount == 1`; mappings take no reference. */
class OneBasedPolicy implements Policy {
  readonly name = '1based';
  readonly variant: string;
  readonly title: string;
  readonly variants: readonly PolicyVariant[] = oneBasedVariants;
  readonly caps: PolicyCaps;
  private readonly f: Features;

  constructor(variant: OneBasedVariantId) {
    const f = FEATURES[variant];
    this.variant = variant;
    this.title = `1-based (Linux ${variant})`;
    this.f = f;
    this.caps = Object.freeze({
      getPageHook: f.pgmapRefPerPageRef,
      mapHoldsRef: false, // insert_pfn(): pte_mkdevmap, vm_normal_page() is NULL for it
      devmapPte: true,
      gupPgmapRef: true, // get_dev_pagemap() in follow_page_pte / gup_pte_range / __gup_device_huge
      compoundFolios: false, // FSDAX pages are never compound before 6.15
      reflink: f.sharing !== 'none',
      reflinkCowOnly: f.sharing === 'cow',
      daxSharedLooksAnon: f.daxSharedLooksAnon,
      follLongterm: f.follLongterm,
      bdevMarkDeadEvicts: f.bdevMarkDeadEvicts,
      // [I] xfs of 6.14 has the rm_startblock + 1 wrap (xfs_group unification, Dec 2024), but
      // this variant stands for 6.6–6.14 and follows the kernel that was run (6.12.95: no wrap,
      // range_agend = min(agf_length - 1, ri_high.rm_startblock)).
      xfsNotifyRangeWraps: false,
      // ≤6.14: get_unlocked_entry() advances past a locked entry (fixed by 6be3e21d25ca, 6.15).
      busyScanSkipsLocked: f.breakLayouts,
      breakLayouts: f.breakLayouts,
      mappingMappedShortcut: true, // dax_layout_busy_page_range(): `if (!mapping_mapped(mapping)) return NULL`
      breakLayoutsOnEvict: false, // no dax_break_layout_final() before 6.15
      notifyPreRemove: f.notifyPreRemove,
      leases: false,
      vmaOpenClose: false, // mainline fsdax vm_ops have no ->open / ->close
    });
  }

  initialRefcount(type: PgmapType): number {
    // memmap_init_zone_device() → __init_zone_device_page(): init_page_count() (1); since v5.18
    // PRIVATE / COHERENT pages are set to 0 and refcounted by their driver's allocator.
    if ((type === 'private' || type === 'coherent') && this.f.privateStartsAtZero) return 0;
    return 1;
  }

  pagemapRange(k: Kernel, t: Task, pgmap: DevPagemap): void {
    // pagemap_range(): percpu_ref_get_many(&pgmap->ref, pfn_len()) (≤5.17 per page, then bulk).
    if (this.f.staticRefs !== 'none') {
      pgmap.ref.getMany(t.cpu, pgmap.nrPages);
      pgmap.staticRefs += pgmap.nrPages;
    }
    // devmap_managed_enable_get(): the static key that routes put_page() of FS_DAX pages here.
    if (this.f.devmapManagedKey && (pgmap.type === 'fsdax' || pgmap.type === 'private')) {
      k.devmapManagedKey++;
      k.zoneDeviceOnPut = true;
    }
  }

  memunmapDropStatic(k: Kernel, t: Task, pgmap: DevPagemap): void {
    if (this.f.staticRefs === 'bulk') {
      // memunmap_pages() (v5.18+): percpu_ref_put_many(&pgmap->ref, pfn_len()), whatever the pages hold.
      pgmap.ref.putMany(t.cpu, pgmap.staticRefs);
      pgmap.staticRefs = 0;
    } else if (this.f.staticRefs === 'per-page' && this.f.removeBeforeReap) {
      // ≈4.13–5.1 devm_memremap_pages_release(): put_page() on every page, then
      // arch_remove_memory() without waiting for the pages still referenced (50f44ee7248a:
      // "it was possible to proceed to arch_remove_memory() before all potential page references
      // have been reaped"). The model drops every static ref, so the teardown completes and a
      // pinned page's later put or DMA hits removed memory.
      for (let pfn = pgmap.startPfn; pfn < pgmap.startPfn + pgmap.nrPages; pfn++) putPage(k, t, pfn);
      if (pgmap.staticRefs > 0) {
        pgmap.ref.putMany(t.cpu, pgmap.staticRefs);
        pgmap.staticRefs = 0;
      }
    } else if (this.f.staticRefs === 'per-page') {
      // memunmap_pages() (≤v5.17): for_each_device_pfn() put_page(); an idle page goes 1→0 and
      // __put_page() drops its static ref; a pinned page keeps it until its last put.
      for (let pfn = pgmap.startPfn; pfn < pgmap.startPfn + pgmap.nrPages; pfn++) putPage(k, t, pfn);
    }
    // v4.5: nothing static; the kill dropped the initial ref and page references hold the rest.
  }

  daxAssociateEntry(
    k: Kernel,
    t: Task,
    mapping: AddressSpace,
    index: number,
    pfn: number,
    order: number,
    shared: boolean,
  ): number {
    // dax_associate_entry(): for_each_mapped_pfn() set page->mapping / index (v4.18+).
    if (!this.f.pageMapping) return 0;
    for (let i = 0; i < 2 ** order; i++) {
      const p = pfn + i;
      // dax_mapping_set_cow() (6.0–6.1) / dax_page_share_get() (6.2+): the same on the get side.
      if (shared && this.f.sharing !== 'none') daxPageShareGet(k, p);
      else daxPageAssociate(k, p, mapping, index + i);
    }
    return 0;
  }

  daxDisassociateEntry(
    k: Kernel,
    t: Task,
    mapping: AddressSpace,
    index: number,
    pfn: number,
    order: number,
    trunc: boolean,
  ): void {
    // dax_disassociate_entry(): for_each_mapped_pfn() clear page->mapping / index (v4.18+).
    if (!this.f.pageMapping) return;
    const mm = k.memmap;
    for (let i = 0; i < 2 ** order; i++) {
      const p = pfn + i;
      k.warnOnce(
        trunc && mm.refcount(p) > 1,
        'dax_disassociate_entry: WARN_ON_ONCE(trunc && page_ref_count(page) > 1)',
        p,
      );
      if (this.f.sharing === 'cow' && mm.flags(p) & PG_DAX_SHARED) {
        // 6.0–6.1 `if (page->index-- > 0) continue;`: a post-decrement, so the last sharer keeps
        // the COW mark (6.2+ dax_page_share_put() pre-decrements).
        if (daxPageSharePut(k, p) + 1 > 0) continue;
      }
      daxPageDisassociate(k, p, mapping);
    }
  }

  getDevicePage(k: Kernel, t: Task, head: number, refs: number): void {
    // v4.5 get_page() → get_zone_device_page(): percpu_ref_get(page->pgmap->ref) per reference.
    if (this.f.pgmapRefPerPageRef) pgmapOf(k, head).ref.getMany(t.cpu, refs);
  }

  putDevmapManagedRefs(k: Kernel, t: Task, head: number, refs: number, via: PutPath): boolean {
    const mm = k.memmap;
    if (this.f.pgmapRefPerPageRef) {
      // v4.5 put_page(): put_page_testzero() (never 0 for a 1-based page), then
      // put_zone_device_page() → put_dev_pagemap(): one pgmap ref per page reference dropped.
      const v = mm.refAdd(head, -refs);
      if (v < 0) k.report('vm-bug-on', `put_page: _refcount of pfn ${head} went below zero (${v})`, head);
      const grabs = via === 'unpin' && !mm.isLarge(head) ? refs / GUP_PIN_COUNTING_BIAS : refs;
      pgmapOf(k, head).ref.putMany(t.cpu, grabs);
      return true;
    }
    // v4.18 release_pages(): only is_device_public_page() was diverted (fixed c5d6c45e90c4, v5.3).
    if (via === 'release_pages' && !this.f.releasePagesDevmap) return false;
    // v5.18 gup_put_folio(): plain folio_put_refs() (d8ddc099c6b3; fixed f4f451a16dd1, v5.19).
    if (via === 'unpin' && !this.f.unpinDevmap) return false;
    // 6.1.76+ __bio_release_pages(): folio_put_refs(), no devmap hook (real 6.1.176).
    if (via === 'bio' && !this.f.bioReleaseDevmap) return false;
    // put_devmap_managed_page_refs(): folio_ref_sub_return(); at 1, fsdax_pagefree() →
    // wake_up_var(&page->_refcount).
    const v = mm.refAdd(head, -refs);
    if (v === 1) k.waits.wake(pageVarKey(head, KEY_REFCOUNT));
    else if (v === 0) this.freeZoneDeviceFolio(k, t, head); // ≤5.17 `else if (!count) __put_page(page)`
    return true;
  }

  freeZoneDeviceFolio(k: Kernel, t: Task, head: number): void {
    // __put_page() → put_dev_pagemap() (≤5.17): the page's static pgmap ref, dropped by
    // memunmap_pages()'s own put_page(). Later kernels never free a 1-based FS_DAX page.
    if (this.f.staticRefs === 'per-page') {
      const pgmap = pgmapOf(k, head);
      if (pgmap.staticRefs > 0) {
        pgmap.staticRefs--;
        pgmap.ref.putMany(t.cpu, 1);
      }
    }
  }

  layoutPageBusy(k: Kernel, head: number): boolean {
    // dax_busy_page(): page_ref_count(page) > 1.
    return k.memmap.refcount(head) > 1;
  }

  readonly layoutIdleRule = 'xfs_break_dax_layouts(): page_ref_count == 1';

  layoutPageIdle(k: Kernel, head: number): boolean {
    // xfs_break_dax_layouts(): ___wait_var_event(&page->_refcount, page_ref_count(page) == 1).
    return k.memmap.refcount(head) === 1;
  }

  layoutWaitKey(head: number): VarKey {
    // &page->_refcount (&folio->_refcount in 6.10–6.14).
    return pageVarKey(head, KEY_REFCOUNT);
  }

  fileMmap(k: Kernel, t: Task, vma: Vma): number {
    // xfs_file_mmap(): VM_HUGEPAGE for DAX; no reference of any kind.
    return 0;
  }

  vmaOpen(k: Kernel, t: Task, vma: Vma): void {
    // xfs_file_vm_ops has no ->open.
  }

  vmaClose(k: Kernel, t: Task, vma: Vma): void {
    // xfs_file_vm_ops has no ->close.
  }

  *unbindPrepare(k: Kernel, t: Task, pgmap: DevPagemap): KGen {
    // Nothing design-specific: kill_dax() and memunmap_pages() do the work.
  }
}

/**
 * Creates the 1-based design (DOMAIN §2) at one of its historical variants. Throws a
 * `BAD_ARGUMENT` DaxrefError naming the valid variants for an unknown id.
 */
export function createOneBasedPolicy(opts: OneBasedPolicyOptions = {}): Policy {
  const id = opts.variant ?? 'v6.14';
  if (!Object.hasOwn(FEATURES, id)) {
    throw new DaxrefError('BAD_ARGUMENT', COMPONENT, `unknown variant "${id}"; valid: ${variantIds()}`);
  }
  return new OneBasedPolicy(id as OneBasedVariantId);
}
