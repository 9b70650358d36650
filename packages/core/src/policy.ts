import type { AddressSpace } from './fs/address-space';
import type { Kernel } from './kernel';
import type { Vma } from './mm/vma';
import type { DevPagemap, PgmapType } from './pgmap';
import type { VarKey } from './sched/sync';
import type { KGen, Task } from './sched/task';

/**
 * How a page reference is being dropped: the paths the 1-based variants treat differently.
 * `bio` is the block layer's O_DIRECT completion (`__bio_release_pages()`).
 */
export type PutPath = 'put_page' | 'unpin' | 'release_pages' | 'bio';

/**
 * What a design does, as switches the core's shared mechanisms read. Each is named after the
 * kernel behaviour it selects.
 */
export interface PolicyCaps {
  /**
   * `get_page()` / `put_page()` test `is_zone_device_page()` on every page, without a static key
   * (v4.5: the cost Andrew Morton objected to in seed 001).
   */
  readonly getPageHook: boolean;
  /**
   * A PTE / PMD mapping of a device page holds a folio reference and a mapcount, and zap removes
   * the rmap and drops the reference after the TLB flush (6.15: `vm_normal_page()` returns DAX
   * pages). False: the mapping takes nothing and zap skips the page (`vm_normal_page()` NULL).
   */
  readonly mapHoldsRef: boolean;
  /** DAX leaves carry `_PAGE_DEVMAP` and are special (`insert_pfn` + `pte_mkdevmap`; gone in 6.15). */
  readonly devmapPte: boolean;
  /** GUP takes a transient pgmap reference on a devmap leaf (`get_dev_pagemap` in gup-fast and `follow_page_pte`). */
  readonly gupPgmapRef: boolean;
  /** A PMD fault makes an order-9 folio, a PUD fault an order-18 one (6.15 `dax_folio_init`); else pages stay order 0. */
  readonly compoundFolios: boolean;
  /** Reflink of DAX files is allowed (xfs, v5.19+); false makes reflink scenarios `n/a`. */
  readonly reflink: boolean;
  /** Truncate and hole punch wait for busy pages (`xfs_break_layouts`); false in v4.5. */
  readonly breakLayouts: boolean;
  /** `dax_layout_busy_page_range()` returns at once when `!mapping_mapped()` (pre-6.15). */
  readonly mappingMappedShortcut: boolean;
  /** Evict and unmount wait for idle pages (6.15 `dax_break_layout_final`). */
  readonly breakLayoutsOnEvict: boolean;
  /** Unbind notifies the filesystem first (`dax_holder_notify_failure(MF_MEM_PRE_REMOVE)`, v6.6+). */
  readonly notifyPreRemove: boolean;
  /** File leases before a long-term pin (DOMAIN §5), opt-in. */
  readonly leases: boolean;
  /** DAX `vm_ops` have `open` / `close` (coarse pin): such VMAs never merge (`is_mergeable_vma`). */
  readonly vmaOpenClose: boolean;
  /**
   * v6.0–6.1 reflink: only a CoW write fault marks its page (`dax_fault_is_cow()` →
   * `dax_mapping_set_cow()`); a read fault of a shared extent takes the unshared path, because
   * `xfs_read_iomap_begin()` reports `IOMAP_F_SHARED` only for `IOMAP_REPORT` until v6.2
   * ("fsdax,xfs: set the shared flag when file extent is shared"). Absent: false.
   */
  readonly reflinkCowOnly?: boolean;
  /**
   * 6.2–6.14: `PAGE_MAPPING_DAX_SHARED` is `(void *)0x1`, the `PAGE_MAPPING_ANON` bit, so a
   * shared fsdax page is `PageAnon()`; `gup_must_unshare()` then demands an unshare for a
   * FOLL_PIN of a read-only PTE that `faultin_page()` never performs (`sanitize_fault_flags()`
   * drops FAULT_FLAG_UNSHARE on a shared mapping): `__get_user_pages()` retries forever.
   * Absent: false.
   */
  readonly daxSharedLooksAnon?: boolean;
  /**
   * FOLL_LONGTERM exists (`get_user_pages_longterm()`, 2bb6d2837083, v4.15). Absent: true.
   * False makes a long-term pin scenario `n/a`.
   */
  readonly follLongterm?: boolean;
  /**
   * 6.6+ `fs_holder_ops`: unbind's `del_gendisk()` → `bdev_mark_dead()` → `fs_bdev_mark_dead()`
   * → `evict_inodes()` evicts every cached inode nobody holds open (6.15+: through
   * `dax_break_layout_final()`). Absent: false.
   */
  readonly bdevMarkDeadEvicts?: boolean;
  /**
   * xfs ≥ 6.14 `xfs_dax_notify_dev_failure()` (the xfs_group unification of Dec 2024):
   * `min(xg_block_count, ri_high.rm_startblock + 1)` in 32 bits, with `ri_high` all-ones for
   * every group but the last, wraps to 0 and the page count to ~2^32: the pre-remove kill
   * livelocks in `mf_dax_kill_procs()` on a filesystem of more than one AG. Absent: false.
   */
  readonly xfsNotifyRangeWraps?: boolean;
  /**
   * ≤ 6.14 `dax_layout_busy_page_range()`: a locked entry is passed to `get_unlocked_entry()`,
   * which returns the *next* present entry, so the locked one is never tested and a DMA-busy
   * page behind it is missed (fixed by 6be3e21d25ca "fs/dax: don't skip locked entries when
   * scanning entries", 6.15). Absent: false.
   */
  readonly busyScanSkipsLocked?: boolean;
  /**
   * 6.15 `dax_break_layout()`: once no page is busy, `dax_delete_mapping_range()` deletes (and
   * disassociates) every entry it broke; xfs truncate / punch break the whole file
   * (`dax_break_layout_inode()`). Absent: false.
   */
  readonly breakLayoutDeletes?: boolean;
}

/** A variant a policy package offers. */
export interface PolicyVariant {
  /** The id users type after `@` (`v6.14`). */
  readonly id: string;
  /** One line: what differs. */
  readonly description: string;
  /** Where it comes from: a kernel version, a patch, a seed thread. */
  readonly source: string;
  /** The design's default variant. */
  readonly default?: boolean;
}

/**
 * A reference-counting design. The core runs the kernel's shared mechanisms and calls the policy
 * only where the designs differ, and only for zone-device pages, as the kernel's static keys do.
 * Every method is named after the kernel function it stands for. The optional hooks default to
 * what the mainline kernel does there: nothing.
 */
export interface Policy {
  /** The design: `1based`, `0based`, `coarse-pin`, or a third party's. */
  readonly name: string;
  /** The selected variant id. */
  readonly variant: string;
  /** Human title of the selected variant. */
  readonly title: string;
  /** The variants this design offers. */
  readonly variants: readonly PolicyVariant[];
  readonly caps: PolicyCaps;

  /** `memmap_init_zone_device()` → `__init_zone_device_page()`: the refcount device pages start with. */
  initialRefcount(type: PgmapType): number;

  /** `pagemap_range()`: static pgmap references and `devmap_managed_key`. */
  pagemapRange(k: Kernel, t: Task, pgmap: DevPagemap): void;

  /** `memunmap_pages()` prologue: what the design drops before waiting for the percpu ref. */
  memunmapDropStatic(k: Kernel, t: Task, pgmap: DevPagemap): void;

  /**
   * `dax_associate_entry()`: ties a page (or folio of `order`) to `mapping` / `index` when a DAX
   * entry is inserted. Returns 0, or a `VM_FAULT_*` code to fail the fault (dan-2022: SIGBUS
   * when the pgmap is dying).
   */
  daxAssociateEntry(
    k: Kernel,
    t: Task,
    mapping: AddressSpace,
    index: number,
    pfn: number,
    order: number,
    shared: boolean,
  ): number;

  /** `dax_disassociate_entry()` / 6.15 `dax_folio_put()`: unties a page when its entry is deleted. */
  daxDisassociateEntry(
    k: Kernel,
    t: Task,
    mapping: AddressSpace,
    index: number,
    pfn: number,
    order: number,
    trunc: boolean,
  ): void;

  /**
   * The device-dax fault's tie of a page (or folio of `order`) to the /dev/dax inode's `mapping`
   * at `index`. Absent: mainline `dax_set_mapping()` (folio->mapping / index only; the mapping's
   * own reference, if any, is the insert's). Dan Williams' 2022 series (seed 000, patch 12
   * "devdax: Use dax_insert_entry() + dax_delete_mapping_entry()") inserts a DAX entry instead,
   * so the entry holds a page reference: such a design associates here as `dax_insert_entry()`
   * does. Called once per entry; returns 0 or a `VM_FAULT_*` code to fail the fault.
   */
  devDaxAssociate?(
    k: Kernel,
    t: Task,
    mapping: AddressSpace,
    index: number,
    pfn: number,
    order: number,
  ): number;

  /** The entry's removal at device teardown (`kill_dev_dax` → `dax_delete_mapping_entry`), after `devDaxAssociate`. */
  devDaxDisassociate?(
    k: Kernel,
    t: Task,
    mapping: AddressSpace,
    index: number,
    pfn: number,
    order: number,
  ): void;

  /** `get_page()` on a zone-device page, after the refcount increment (v4.5 takes a pgmap reference). */
  getDevicePage?(k: Kernel, t: Task, head: number, refs: number): void;

  /**
   * `put_devmap_managed_folio_refs()`: a put of `refs` on a zone-device folio. Return true if the
   * design handled it (1-based: the count is 1-based, so "free" is reaching 1 and wakes the
   * waiter); false to let `folio_put_refs()` run, freeing at 0.
   */
  putDevmapManagedRefs(k: Kernel, t: Task, head: number, refs: number, via: PutPath): boolean;

  /** `free_zone_device_folio()`: the folio's count reached 0. */
  freeZoneDeviceFolio?(k: Kernel, t: Task, head: number): void;

  /** The busy test of `dax_layout_busy_page_range()` for a page of a DAX entry. */
  layoutPageBusy(k: Kernel, head: number): boolean;

  /** The condition `break_layouts` sleeps on until it holds (1-based: `_refcount == 1`; 6.15: 0). */
  layoutPageIdle(k: Kernel, head: number): boolean;

  /**
   * The idle condition in kernel terms (`dax_page_is_idle(): folio_ref_count == 0`), named in a
   * `hang` report; absent: "the page is idle".
   */
  readonly layoutIdleRule?: string;

  /** The address `break_layouts` waits on (`&page->_refcount` or `&folio->page`). */
  layoutWaitKey(head: number): VarKey;

  /** `f_op->mmap` of a DAX file: 0 or a negative errno (coarse pin: +1 pgmap reference). */
  fileMmap?(k: Kernel, t: Task, vma: Vma): number;

  /** `vm_ops->open` (fork, split, mremap copy). */
  vmaOpen?(k: Kernel, t: Task, vma: Vma): void;

  /** `vm_ops->close` (`remove_vma`). */
  vmaClose?(k: Kernel, t: Task, vma: Vma): void;

  /** Design-specific unbind step before `memunmap_pages()` (coarse-pin@revoke zaps and kills mappers). */
  unbindPrepare?(k: Kernel, t: Task, pgmap: DevPagemap): KGen;
}
