import {
  type AddressSpace,
  DaxrefError,
  type DevPagemap,
  daxPageAssociate,
  daxPageDisassociate,
  daxPageShareGet,
  GUP_PIN_COUNTING_BIAS,
  KEY_PAGE,
  KEY_REFCOUNT,
  type Kernel,
  type KGen,
  PG_DAX_SHARED,
  PG_STALE,
  type PgmapType,
  type Policy,
  type PolicyCaps,
  type PolicyVariant,
  type PutPath,
  pageVarKey,
  type Task,
  type VarKey,
  VM_FAULT_SIGBUS,
  type Vma,
} from '@daxref/core';
import { type ZeroBasedVariantId, zeroBasedVariants } from './variants';

/** Options of `createZeroBasedPolicy`. */
export interface ZeroBasedPolicyOptions {
  /** The variant id (`v6.15`, `dan-2022`, `dan-2022-pin-only`, `ralph-rfc`); default `v6.15`. */
  variant?: string;
  /** Offer file leases before a long-term pin (DOMAIN §5, the 2019 proposal); default false. */
  leases?: boolean;
}

/** One switch per mechanism that differs between the variants, each citing its source. */
interface Features {
  /**
   * A PTE / PMD mapping holds a folio reference and a mapcount (6.15 "fs/dax: Properly refcount
   * fs dax pages": `vmf_insert_page_mkwrite` / `vmf_insert_folio_pmd`, no more `pte_devmap`).
   * The earlier proposals kept `insert_pfn()` + `pte_mkdevmap()` and took no map-time reference.
   */
  readonly mapHoldsRef: boolean;
  /**
   * GUP takes a transient `get_dev_pagemap()` reference on devmap leaves. Ralph's RFC left GUP
   * alone; dan-2022 "mm/gup: drop DAX pgmap accounting" moved pgmap refs to the entry; 6.15 has
   * no devmap leaves at all.
   */
  readonly gupPgmapRef: boolean;
  /**
   * Who owns `page->mapping`: `dax-folio` (6.15 `dax_folio_init` / `dax_folio_put`: a PMD entry
   * makes a compound folio, the last disassociation splits it, `share` counts reflink sharers)
   * or `page` (the pre-6.15 per-pfn `dax_associate_entry` / `dax_disassociate_entry`).
   */
  readonly folio: 'dax-folio' | 'page';
  /**
   * dan-2022 "fsdax: Manage pgmap references at entry insertion and deletion": the entry holds
   * one page reference and one pgmap reference per page (`pgmap_request_folios()` /
   * `get_dev_pagemap_many()`, failing with SIGBUS once the pgmap is dying) from
   * `dax_associate_entry()` to `dax_disassociate_entry()`.
   */
  readonly entryRefs: boolean;
  /**
   * What `break_layouts` calls busy and waits to see idle: `zero` (6.15: busy = ref − mapcount
   * ≠ 0, idle = ref == 0), `one` (dan-2022 v2 and ralph-rfc: busy = ref > 1, idle = ref == 1,
   * "no more external references"), `not-pinned` (dan-2022 v1: busy = idle-negated =
   * `page_maybe_dma_pinned()`).
   */
  readonly idle: 'zero' | 'one' | 'not-pinned';
  /**
   * The address waited on: `page` (6.15 `wait_page_idle` on `&folio->page`; dan-2022 "fsdax:
   * Wait on @page not @page->_refcount") or `refcount` (ralph-rfc: fs/dax.c untouched, still
   * `&page->_refcount`).
   */
  readonly waitKey: 'page' | 'refcount';
  /**
   * A put that leaves one reference wakes the waiter (dan-2022 keeps the devmap-managed put:
   * `put_devmap_managed_page_refs()` → 2→1 → `wake_up_var()`). 6.15 and ralph-rfc only wake at
   * 1→0 in `free_zone_device_folio()`.
   */
  readonly wakeAtOne: boolean;
  /**
   * `dax_layout_busy_page_range()` returns early when `!mapping_mapped()` (pre-6.15). Removed by
   * 6.15 "fs/dax: Return unmapped busy pages from dax_layout_busy_page_range()" and, earlier, by
   * dan-2022 "fsdax: Include unmapped inodes for page-idle detection".
   */
  readonly mappingMappedShortcut: boolean;
  /**
   * Evict / unmount wait for idle pages: 6.15 `dax_break_layout_final()`; dan-2022 "xfs: Add
   * xfs_break_layouts() to the inode eviction path".
   */
  readonly breakLayoutsOnEvict: boolean;
  /** Reflink on DAX (xfs, v5.19+): ralph-rfc (2020) predates it. */
  readonly reflink: boolean;
  /** `kill_dax()` → `dax_holder_notify_failure(MF_MEM_PRE_REMOVE)` (v6.6). */
  readonly notifyPreRemove: boolean;
  /**
   * `dax_folio_put()` calls `folio_reset_order()` before splitting (Hildenbrand's fix, Fixes:
   * 38607c62b34b). Without it the old order / `_nr_pages` stay in page[1], which the new
   * order-0 folio there reads as `memcg_data`: mapping it oopses in `__lruvec_stat_mod_folio`.
   */
  readonly splitResetsOrder: boolean;
}

const FEATURES: Record<ZeroBasedVariantId, Features> = {
  'v6.15': {
    mapHoldsRef: true,
    gupPgmapRef: false,
    folio: 'dax-folio',
    entryRefs: false,
    idle: 'zero',
    waitKey: 'page',
    wakeAtOne: false,
    mappingMappedShortcut: false,
    breakLayoutsOnEvict: true,
    reflink: true,
    notifyPreRemove: true,
    splitResetsOrder: true,
  },
  'v6.15-rc1': {
    mapHoldsRef: true,
    gupPgmapRef: false,
    folio: 'dax-folio',
    entryRefs: false,
    idle: 'zero',
    waitKey: 'page',
    wakeAtOne: false,
    mappingMappedShortcut: false,
    breakLayoutsOnEvict: true,
    reflink: true,
    notifyPreRemove: true,
    splitResetsOrder: false,
  },
  'dan-2022': {
    mapHoldsRef: false,
    gupPgmapRef: false,
    folio: 'page',
    entryRefs: true,
    idle: 'one',
    waitKey: 'page',
    wakeAtOne: true,
    mappingMappedShortcut: false,
    breakLayoutsOnEvict: true,
    reflink: true,
    notifyPreRemove: false,
    splitResetsOrder: true,
  },
  'dan-2022-pin-only': {
    mapHoldsRef: false,
    gupPgmapRef: false,
    folio: 'page',
    entryRefs: true,
    idle: 'not-pinned',
    waitKey: 'page',
    wakeAtOne: true,
    mappingMappedShortcut: false,
    breakLayoutsOnEvict: true,
    reflink: true,
    notifyPreRemove: false,
    splitResetsOrder: true,
  },
  'ralph-rfc': {
    mapHoldsRef: false,
    gupPgmapRef: true,
    folio: 'page',
    entryRefs: false,
    idle: 'one',
    waitKey: 'refcount',
    wakeAtOne: false,
    mappingMappedShortcut: true,
    breakLayoutsOnEvict: false,
    reflink: false,
    notifyPreRemove: false,
    splitResetsOrder: true,
  },
};

const COMPONENT = 'policy-0based';

function pgmapOf(k: Kernel, pfn: number): DevPagemap {
  return k.pgmaps.get(k.memmap.pgmapId(pfn));
}

/** Design B (DOMAIN §3): an idle FSDAX page has `_refcount == 0`. */
class ZeroBasedPolicy implements Policy {
  readonly name = '0based';
  readonly variant: string;
  readonly title: string;
  readonly variants: readonly PolicyVariant[] = zeroBasedVariants;
  readonly caps: PolicyCaps;
  private readonly f: Features;

  constructor(variant: ZeroBasedVariantId, leases: boolean) {
    const f = FEATURES[variant];
    this.variant = variant;
    this.f = f;
    this.title = `0-based (${variant})${leases ? ' with leases' : ''}`;
    const merged615 = variant === 'v6.15' || variant === 'v6.15-rc1';
    this.caps = Object.freeze({
      getPageHook: false,
      mapHoldsRef: f.mapHoldsRef,
      devmapPte: !f.mapHoldsRef, // insert_pfn() + pte_mkdevmap() until 6.15
      gupPgmapRef: f.gupPgmapRef,
      compoundFolios: f.folio === 'dax-folio',
      reflink: f.reflink,
      breakLayouts: true,
      mappingMappedShortcut: f.mappingMappedShortcut,
      breakLayoutsOnEvict: f.breakLayoutsOnEvict,
      notifyPreRemove: f.notifyPreRemove,
      leases,
      vmaOpenClose: false,
      // 6.6+ fs_holder_ops: unbind's del_gendisk() → fs_bdev_mark_dead() → evict_inodes(), where
      // 6.15's xfs_fs_evict_inode() waits in dax_break_layout_final() (real 6.18.15 / 7.3.4).
      bdevMarkDeadEvicts: merged615,
      // xfs of 6.15+ computes rm_startblock + 1 in 32 bits (real 6.18.15 / 7.3.4 livelock).
      xfsNotifyRangeWraps: merged615,
      // 6.15 dax_break_layout(): `if (!page) dax_delete_mapping_range(mapping, start, end)`;
      // xfs truncate / punch use dax_break_layout_inode(): every entry of the file.
      breakLayoutDeletes: merged615,
    });
  }

  initialRefcount(type: PgmapType): number {
    // __init_zone_device_page(): FS_DAX joins the set_page_count(page, 0) group (6.15; the
    // earlier proposals made the same move). 6.15 leaves MEMORY_DEVICE_GENERIC (device-dax) at
    // init_page_count()'s 1 (`case MEMORY_DEVICE_GENERIC: break;`).
    if (type === 'generic' && this.variant.startsWith('v6.15')) return 1;
    return 0;
  }

  pagemapRange(k: Kernel, t: Task, pgmap: DevPagemap): void {
    // pagemap_range(): percpu_ref_get_many(&pgmap->ref, pfn_len()) (5.18+ shape).
    pgmap.ref.getMany(t.cpu, pgmap.nrPages);
    pgmap.staticRefs += pgmap.nrPages;
    // devmap_managed_enable_get(): dan-2022 still routes FS_DAX puts through
    // put_devmap_managed_page_refs() for its 2→1 wake; 6.15 deleted the key.
    if (this.f.wakeAtOne && pgmap.type === 'fsdax') {
      k.devmapManagedKey++;
      k.zoneDeviceOnPut = true;
    }
  }

  memunmapDropStatic(k: Kernel, t: Task, pgmap: DevPagemap): void {
    // memunmap_pages(): percpu_ref_put_many() of the static refs; no wait on folio refs.
    pgmap.ref.putMany(t.cpu, pgmap.staticRefs);
    pgmap.staticRefs = 0;
  }

  /**
   * Only dan-2022 (`entryRefs`): device-dax goes through `dax_insert_entry()` (seed 000 patch 12),
   * so the entry holds a folio reference as on fsdax. Device-dax folios are compound at the
   * device alignment (`pgmap->vmemmap_shift`, v5.17) and the series associates per folio
   * (`dax_for_each_folio`): one pgmap reference (`pgmap_request_folios`), `folio->mapping` /
   * `index`, and the entry's reference 0→1 on the head. Mainline 6.15 keeps `dax_set_mapping()`
   * and lets the mapping hold the reference (`vmf_insert_folio_*`).
   */
  get devDaxAssociate():
    | ((k: Kernel, t: Task, mapping: AddressSpace, index: number, pfn: number, order: number) => number)
    | undefined {
    if (!this.f.entryRefs) return undefined;
    return (k, t, mapping, index, pfn) => {
      const pgmap = pgmapOf(k, pfn);
      if (pgmap.dying) return VM_FAULT_SIGBUS;
      pgmap.ref.getMany(t.cpu, 1);
      const head = k.memmap.compoundHead(pfn);
      const held = k.memmap.mapping(head) !== 0;
      daxPageAssociate(k, head, mapping, index);
      if (!held) k.memmap.refAdd(head, 1);
      return 0;
    };
  }

  /** dan-2022: `kill_dev_dax` → `dax_delete_mapping_entry()`: the entry's folio reference and pgmap reference go. */
  get devDaxDisassociate():
    | ((k: Kernel, t: Task, mapping: AddressSpace, index: number, pfn: number, order: number) => void)
    | undefined {
    if (!this.f.entryRefs) return undefined;
    return (k, t, mapping, _index, pfn) => {
      const head = k.memmap.compoundHead(pfn);
      if (daxPageDisassociate(k, head, mapping)) this.putEntryRef(k, t, head);
      pgmapOf(k, pfn).ref.putMany(t.cpu, 1);
    };
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
    if (this.f.folio === 'dax-folio') return this.associateFolio(k, mapping, index, pfn, order, shared);
    const nr = 2 ** order;
    if (this.f.entryRefs && !shared) {
      // dan-2022 dax_associate_entry() → pgmap_request_folios(): get_dev_pagemap_many(), which
      // fails once percpu_ref_kill() ran: the fault returns VM_FAULT_SIGBUS. Only a non-COW
      // association takes them (v2, 2022-09-15: `if (!cow) … get_dev_pagemap_many()`).
      const pgmap = pgmapOf(k, pfn);
      if (pgmap.dying) return VM_FAULT_SIGBUS;
      pgmap.ref.getMany(t.cpu, nr);
    }
    // dax_associate_entry(): for_each_mapped_pfn() set page->mapping / index.
    const mm = k.memmap;
    for (let i = 0; i < nr; i++) {
      const p = pfn + i;
      const held = mm.mapping(p) !== 0 || (mm.flags(p) & PG_DAX_SHARED) !== 0;
      if (shared) daxPageShareGet(k, p);
      else daxPageAssociate(k, p, mapping, index + i);
      // dan-2022: the first association takes the entry's page reference (0→1).
      if (this.f.entryRefs && !held) mm.refAdd(p, 1);
    }
    return 0;
  }

  /** 6.15 `dax_associate_entry()` with `dax_folio_make_shared()` / `dax_folio_init()`. */
  private associateFolio(
    k: Kernel,
    mapping: AddressSpace,
    index: number,
    pfn: number,
    order: number,
    shared: boolean,
  ): number {
    const mm = k.memmap;
    const isShared = (mm.flags(pfn) & PG_DAX_SHARED) !== 0; // dax_folio_is_shared(): !mapping && share
    if (shared && (mm.mapping(pfn) !== 0 || isShared)) {
      if (mm.mapping(pfn) !== 0) {
        // dax_folio_make_shared(): mapping = NULL, share = 1
        mm.setMapping(pfn, 0);
        mm.setFlags(pfn, PG_DAX_SHARED);
        mm.setIndex(pfn, 1);
      }
      k.warnOnce(mm.index(pfn) <= 0, 'dax_associate_entry: WARN_ON_ONCE(!folio->share)', pfn);
      k.warnOnce(
        order !== mm.folioOrder(pfn),
        'dax_associate_entry: WARN_ON_ONCE(dax_entry_order(entry) != folio_order(folio))',
        pfn,
      );
      mm.setIndex(pfn, mm.index(pfn) + 1);
      return 0;
    }
    k.warnOnce(mm.mapping(pfn) !== 0, 'dax_associate_entry: WARN_ON_ONCE(folio->mapping)', pfn);
    // dax_folio_init(): the folio was split back to order 0 by dax_folio_put().
    k.warnOnce(mm.folioOrder(pfn) !== 0, 'dax_folio_init: WARN_ON_ONCE(folio_order(folio))', pfn);
    if (order > 0) {
      mm.prepCompound(pfn, order); // prep_compound_page()
      k.warnOnce(mm.refcount(pfn) !== 0, 'dax_folio_init: WARN_ON_ONCE(folio_ref_count(folio))', pfn);
    }
    mm.setMapping(pfn, mapping.id);
    mm.setIndex(pfn, index);
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
    if (this.f.folio === 'dax-folio') {
      this.daxFolioPut(k, pfn);
      return;
    }
    // dax_disassociate_entry(): for_each_mapped_pfn() clear page->mapping / index.
    const mm = k.memmap;
    const nr = 2 ** order;
    for (let i = 0; i < nr; i++) {
      const p = pfn + i;
      if (this.f.entryRefs) {
        // dan-2022: delete validates the 1→0 transition of the entry's own reference.
        k.warnOnce(
          trunc && mm.refcount(p) !== 1,
          'dax_disassociate_entry: WARN_ON_ONCE(trunc && page_ref_count(page) != 1)',
          p,
        );
      } else {
        k.warnOnce(
          trunc && mm.refcount(p) > 1,
          'dax_disassociate_entry: WARN_ON_ONCE(trunc && page_ref_count(page) > 1)',
          p,
        );
      }
      const cow = (mm.flags(p) & PG_DAX_SHARED) !== 0;
      // dan-2022 v2: `if (trunc && !dax_mapping_is_cow(page->mapping))` → pgmap_release_folios()
      // → put_dev_pagemap_many(): only a truncating delete of a non-COW page drops the pgmap
      // reference (a re-association or an invalidation keeps it, as the patch does).
      if (this.f.entryRefs && trunc && !cow) pgmapOf(k, p).ref.putMany(t.cpu, 1);
      if (!daxPageDisassociate(k, p, mapping)) continue;
      if (this.f.entryRefs) this.putEntryRef(k, t, p);
    }
  }

  /** dan-2022: drops the entry's page reference (`folio_put()` through the devmap-managed path). */
  private putEntryRef(k: Kernel, t: Task, p: number): void {
    const v = k.memmap.refAdd(p, -1);
    if (v < 0) k.report('vm-bug-on', `dax_disassociate_entry: _refcount of pfn ${p} went below zero`, p);
    else if (v === 0) this.freeZoneDeviceFolio(k, t, p);
    else if (v === 1 && this.f.wakeAtOne) k.waits.wake(this.layoutWaitKey(p));
  }

  /** 6.15 `dax_folio_put()`: `share--`; at 0 clear `mapping` and split to order 0, WARN if referenced. */
  private daxFolioPut(k: Kernel, head: number): void {
    const mm = k.memmap;
    if (mm.flags(head) & PG_DAX_SHARED) {
      const left = mm.index(head) - 1; // ref = --folio->share
      mm.setIndex(head, left);
      if (left > 0) return;
      mm.clearFlags(head, PG_DAX_SHARED);
    }
    mm.setMapping(head, 0);
    mm.setIndex(head, 0);
    if (!mm.isLarge(head)) return;
    const nr = 2 ** mm.folioOrder(head);
    mm.splitFolio(head); // clear_compound_head() on each page; page[1] / page[2] poisoned (PG_STALE)
    for (let p = head; p < head + nr; p++) {
      // new_folio->mapping = NULL; new_folio->share = 0 (over the folio's stale page[1]/[2] fields)
      mm.setMapping(p, 0);
      mm.setIndex(p, 0);
      k.warnOnce(mm.refcount(p) !== 0, 'dax_folio_put: WARN_ON_ONCE(folio_ref_count(new_folio))', p);
    }
    // folio_reset_order(): the old order and _nr_pages in page[1] are cleared; 6.15-rc1 left
    // them, stale, where the new order-0 folio at page[1] keeps its memcg_data.
    if (this.f.splitResetsOrder)
      for (let p = head + 1; p < head + Math.min(nr, 3); p++) mm.clearFlags(p, PG_STALE);
  }

  getDevicePage(k: Kernel, t: Task, head: number, refs: number): void {
    // get_page(): no zone-device hook in any 0-based design.
  }

  putDevmapManagedRefs(k: Kernel, t: Task, head: number, refs: number, via: PutPath): boolean {
    // 6.15 / ralph-rfc: no put_devmap_managed_folio_refs(); folio_put_refs() frees at 0.
    if (!this.f.wakeAtOne) return false;
    // dan-2022 put_devmap_managed_page_refs(): sub_return; the 2→1 transition ("no more
    // external references") wakes break_layouts; 1→0 frees.
    const v = k.memmap.refAdd(head, -refs);
    if (v < 0) k.report('vm-bug-on', `put_page: _refcount of pfn ${head} went below zero (${v})`, head);
    else if (v === 1) k.waits.wake(this.layoutWaitKey(head));
    else if (v === 0) this.freeZoneDeviceFolio(k, t, head);
    return true;
  }

  freeZoneDeviceFolio(k: Kernel, t: Task, head: number): void {
    // free_zone_device_folio(), MEMORY_DEVICE_FS_DAX: wake_up_var(&folio->page) (6.15);
    // ralph-rfc wakes &page->_refcount here, at 1→0, while fs/dax still waits for == 1.
    // mapping is not cleared here for FS_DAX.
    k.waits.wake(this.layoutWaitKey(head));
  }

  layoutPageBusy(k: Kernel, head: number): boolean {
    const mm = k.memmap;
    switch (this.f.idle) {
      case 'zero':
        // 6.15 dax_busy_page(): folio_ref_count(folio) - folio_mapcount(folio)
        return mm.refcount(head) - mm.folioMapcount(head) !== 0;
      case 'one':
        // dax_busy_page(): page_ref_count(page) > 1
        return mm.refcount(head) > 1;
      case 'not-pinned':
        // dan-2022 v1: page_maybe_dma_pinned()
        return mm.maybeDmaPinned(head, GUP_PIN_COUNTING_BIAS);
    }
  }

  get layoutIdleRule(): string {
    return this.f.idle === 'zero'
      ? 'dax_page_is_idle(): folio_ref_count == 0'
      : this.f.idle === 'one'
        ? 'dax_page_idle(): page_ref_count == 1'
        : '!page_maybe_dma_pinned()';
  }

  layoutPageIdle(k: Kernel, head: number): boolean {
    const mm = k.memmap;
    switch (this.f.idle) {
      case 'zero':
        // 6.15 dax_page_is_idle(): page_ref_count(page) == 0
        return mm.refcount(head) === 0;
      case 'one':
        // dax_page_idle(): page_ref_count(page) == 1 (only the entry's own reference)
        return mm.refcount(head) === 1;
      case 'not-pinned':
        // dan-2022 v1: !page_maybe_dma_pinned(page)
        return !mm.maybeDmaPinned(head, GUP_PIN_COUNTING_BIAS);
    }
  }

  layoutWaitKey(head: number): VarKey {
    // wait_page_idle(): ___wait_var_event(page, ...) vs &page->_refcount.
    return pageVarKey(head, this.f.waitKey === 'page' ? KEY_PAGE : KEY_REFCOUNT);
  }

  fileMmap(k: Kernel, t: Task, vma: Vma): number {
    // xfs_file_mmap(): no reference.
    return 0;
  }

  vmaOpen(k: Kernel, t: Task, vma: Vma): void {
    // no vm_ops->open for fsdax.
  }

  vmaClose(k: Kernel, t: Task, vma: Vma): void {
    // no vm_ops->close for fsdax.
  }

  *unbindPrepare(k: Kernel, t: Task, pgmap: DevPagemap): KGen {
    // 6.15: the filesystem's MF_MEM_PRE_REMOVE handler (caps.notifyPreRemove) does the work.
  }
}

/**
 * Creates the 0-based design (DOMAIN §3) at one of its variants, optionally with file leases
 * (DOMAIN §5). Throws a `BAD_ARGUMENT` DaxrefError naming the valid variants for an unknown id.
 */
export function createZeroBasedPolicy(opts: ZeroBasedPolicyOptions = {}): Policy {
  const id = opts.variant ?? 'v6.15';
  if (!Object.hasOwn(FEATURES, id)) {
    const valid = zeroBasedVariants.map((v) => v.id).join(', ');
    throw new DaxrefError('BAD_ARGUMENT', COMPONENT, `unknown variant "${id}"; valid: ${valid}`);
  }
  return new ZeroBasedPolicy(id as ZeroBasedVariantId, opts.leases === true);
}
