import { Errno, FOLL_GET, FOLL_PIN, GUP_PIN_COUNTING_BIAS } from '../constants';
import type { Kernel } from '../kernel';
import { PG_RESERVED, PG_ZONE_DEVICE } from '../memmap';
import type { PutPath } from '../policy';
import type { Task } from '../sched/task';

/**
 * Page reference operations (include/linux/mm.h, mm/swap.c, mm/gup.c). The normal-page path is
 * done here; a zone-device page is handed to the policy at the points the designs differ.
 */

/** Whether the struct page of `pfn` still exists (`pfn_valid()` once a device's memory was removed). */
export function structPageLive(k: Kernel, pfn: number): boolean {
  return !k.anyRemoved || k.memmap.valid(pfn);
}

/**
 * `pfn_valid()` after memory was removed: `fn` touching a vanished struct page is a
 * use-after-free, reported here; true when it is gone (the caller then skips the access).
 */
export function structPageGone(k: Kernel, pfn: number, fn: string): boolean {
  if (!structPageLive(k, pfn)) {
    k.report(
      'use-after-free',
      `${fn}: struct page of pfn ${pfn} was removed with its device (memunmap_pages)`,
      pfn,
    );
    return true;
  }
  return false;
}

/**
 * `get_page()` → `folio_get()`: `VM_BUG_ON_FOLIO(folio_ref_zero_or_close_to_overflow())`, then
 * an atomic increment. v4.5 also takes a pgmap reference for a zone-device page.
 */
export function getPage(k: Kernel, t: Task, pfn: number): void {
  // Fast path: no trace hooks, no memory removed, a small page with a live count, no zone-device
  // hook to run (v4.5's get_page on a device page goes the full way); the same effect.
  if (k.hooks === null && !k.anyRemoved && k.memmap.tryFastGet(pfn, k.zoneDeviceOnGet ? PG_ZONE_DEVICE : 0))
    return;
  if (k.hooks !== null) k.hooks.enter(t, 'get_page', pfn);
  if (structPageGone(k, pfn, 'get_page')) return;
  const mm = k.memmap;
  const head = mm.compoundHead(pfn);
  const v = mm.refAdd(head, 1);
  if (v - 1 <= 0)
    k.report(
      'vm-bug-on',
      `get_page: VM_BUG_ON_FOLIO(folio_ref_count <= 0) on pfn ${head} (count was ${v - 1})`,
      head,
    );
  if (k.zoneDeviceOnGet) {
    if (k.cost !== null) k.cost.branches++;
    if (mm.flags(head) & PG_ZONE_DEVICE) k.policy!.getDevicePage?.(k, t, head, 1);
  }
}

/** `folio_put_refs()`: subtract and free at zero (`__folio_put` → `free_zone_device_folio` for device pages). */
export function folioPutRefs(k: Kernel, t: Task, head: number, refs: number): void {
  const mm = k.memmap;
  const v = mm.refAdd(head, -refs);
  if (v < 0) {
    k.report(
      'vm-bug-on',
      `folio_put_refs: VM_BUG_ON_FOLIO(folio_ref_count < 0) on pfn ${head} (count ${v})`,
      head,
    );
    return;
  }
  if (v !== 0) return;
  const flags = mm.flags(head);
  if (flags & PG_ZONE_DEVICE) k.needPolicy('free_zone_device_folio').freeZoneDeviceFolio?.(k, t, head);
  else if (!(flags & PG_RESERVED)) k.ram.freePage(head);
}

/**
 * A put of `refs` through `via`: `put_page()`, `gup_put_folio()` (unpin) or `folios_put_refs()`
 * (`release_pages`, the mmu_gather's flush). With the `devmap_managed_key` static key on (or
 * v4.5's unconditional test) a zone-device folio goes to `put_devmap_managed_folio_refs()`.
 */
export function putRefs(k: Kernel, t: Task, pfn: number, refs: number, via: PutPath): void {
  // Fast path: as getPage's, for a put that leaves the count above zero and needs no
  // devmap-managed branch (a zone-device page under the static key goes the full way).
  if (k.hooks === null && !k.anyRemoved) {
    if (k.memmap.tryFastPut(pfn, refs, k.zoneDeviceOnPut ? PG_ZONE_DEVICE : 0)) return;
  }
  if (k.hooks !== null) k.hooks.enter(t, via, pfn);
  if (structPageGone(k, pfn, via)) return;
  const mm = k.memmap;
  const head = mm.compoundHead(pfn);
  if (k.zoneDeviceOnPut) {
    if (k.cost !== null) k.cost.branches++;
    if (mm.lastFlags & PG_ZONE_DEVICE && k.policy!.putDevmapManagedRefs(k, t, head, refs, via)) return;
  }
  folioPutRefs(k, t, head, refs);
}

/** `put_page()`. */
export function putPage(k: Kernel, t: Task, pfn: number): void {
  putRefs(k, t, pfn, 1, 'put_page');
}

/**
 * `gup_put_folio(folio, refs, flags)`: a FOLL_PIN release subtracts `_pincount` on a large folio
 * or multiplies by the bias on a small one, then puts. The zero folio was never pinned.
 */
export function gupPutFolio(
  k: Kernel,
  t: Task,
  pfn: number,
  refs: number,
  flags: number,
  via: PutPath = 'unpin',
): void {
  if (structPageGone(k, pfn, 'gup_put_folio')) return;
  const mm = k.memmap;
  const head = mm.compoundHead(pfn);
  let n = refs;
  if (flags & FOLL_PIN) {
    if (head === k.zeroPfn) return; // is_zero_folio()
    if (mm.isLarge(head)) mm.pincountAdd(head, -refs);
    else n = refs * GUP_PIN_COUNTING_BIAS;
    putRefs(k, t, head, n, via);
    return;
  }
  putRefs(k, t, head, n, 'put_page');
}

/** `unpin_user_page()`. */
export function unpinUserPage(k: Kernel, t: Task, pfn: number): void {
  gupPutFolio(k, t, pfn, 1, FOLL_PIN);
}

/** `unpin_user_pages()`: consecutive pages of one folio are released in one batch (`gup_folio_next`). */
export function unpinUserPages(k: Kernel, t: Task, pfns: readonly number[]): void {
  const mm = k.memmap;
  let i = 0;
  while (i < pfns.length) {
    if (structPageGone(k, pfns[i]!, 'unpin_user_pages')) {
      i++;
      continue;
    }
    const head = mm.compoundHead(pfns[i]!);
    let j = i + 1;
    while (j < pfns.length && k.memmap.valid(pfns[j]!) && mm.compoundHead(pfns[j]!) === head) j++;
    gupPutFolio(k, t, head, j - i, FOLL_PIN);
    i = j;
  }
}

/**
 * `__bio_release_pages()`: an O_DIRECT bio's completion drops the user pages it held (6.5+:
 * `bio_release_folio()` → `unpin_user_folio()`). The put goes through the `bio` path, which a
 * variant may route around the devmap hook (6.1.y from 6.1.76: `folio_put_refs()`).
 */
export function bioReleasePages(k: Kernel, t: Task, pfns: readonly number[]): void {
  for (const pfn of pfns) gupPutFolio(k, t, pfn, 1, FOLL_PIN, 'bio');
}

/** `release_pages()` / `folios_put_refs()`: one put per page, through the release_pages path. */
export function releasePages(k: Kernel, t: Task, pfns: readonly number[]): void {
  for (const pfn of pfns) putRefs(k, t, pfn, 1, 'release_pages');
}

/** Adds a pin or get of `refs` to a folio whose count is known to be live (the grab's second half). */
function addGrab(k: Kernel, head: number, refs: number, flags: number): void {
  const mm = k.memmap;
  if (flags & FOLL_PIN) {
    if (mm.isLarge(head)) {
      mm.refAdd(head, refs);
      mm.pincountAdd(head, refs);
    } else {
      mm.refAdd(head, refs * GUP_PIN_COUNTING_BIAS);
    }
  } else {
    mm.refAdd(head, refs);
  }
}

/**
 * `try_grab_folio_fast()` (gup-fast): `folio_ref_try_add()` fails on a zero count (the page is
 * being freed, or a 0-based design's idle page under ralph-rfc); a pin then adds the bias
 * (small) or `_pincount` (large). Returns the head pfn, or -1.
 */
export function tryGrabFolioFast(k: Kernel, t: Task, pfn: number, refs: number, flags: number): number {
  if (k.hooks !== null) k.hooks.enter(t, 'try_grab_folio_fast', pfn);
  if (structPageGone(k, pfn, 'try_grab_folio_fast')) return -1;
  const mm = k.memmap;
  const head = mm.compoundHead(pfn);
  if (!(flags & (FOLL_GET | FOLL_PIN))) return head;
  if (mm.refcount(head) <= 0) return -1; // folio_ref_add_unless(folio, refs, 0)
  if (flags & FOLL_PIN && head === k.zeroPfn) return head;
  addGrab(k, head, refs, flags);
  grabHook(k, t, head, refs);
  return head;
}

/**
 * `try_grab_folio()` / `try_grab_page()` (slow GUP): `WARN_ON_ONCE(folio_ref_count(folio) <= 0)`
 * fails with -ENOMEM; otherwise adds the references. Returns 0 or a negative errno.
 */
export function tryGrabFolio(k: Kernel, t: Task, pfn: number, refs: number, flags: number): number {
  if (k.hooks !== null) k.hooks.enter(t, 'try_grab_folio', pfn);
  if (structPageGone(k, pfn, 'try_grab_folio')) return -Errno.EFAULT;
  const mm = k.memmap;
  const head = mm.compoundHead(pfn);
  if (!(flags & (FOLL_GET | FOLL_PIN))) return 0;
  if (mm.refcount(head) <= 0) {
    // A get on a zero refcount: on SMP the kernel's check here is try_get_page()'s
    // WARN_ON_ONCE (and -ENOMEM); a plain get_page() would VM_BUG_ON_PAGE. DOMAIN §6 classes
    // the event as vm-bug-on, so both the event and the WARN the kernel prints are reported.
    k.report(
      'vm-bug-on',
      `try_grab_folio: get on a zero refcount (pfn ${head}); a plain get_page() would VM_BUG_ON_PAGE(page_ref_count(page) <= 0)`,
      head,
    );
    k.warnOnce(true, 'try_grab_folio: folio_ref_count(folio) <= 0', head);
    return -Errno.ENOMEM;
  }
  if (flags & FOLL_PIN && head === k.zeroPfn) return 0; // is_zero_folio(): no pin is taken
  addGrab(k, head, refs, flags);
  grabHook(k, t, head, refs);
  return 0;
}

/** v4.5's GUP called `get_page()`, which took a pgmap reference for a zone-device page. */
function grabHook(k: Kernel, t: Task, head: number, refs: number): void {
  if (k.zoneDeviceOnGet) {
    if (k.cost !== null) k.cost.branches++;
    if (k.memmap.flags(head) & PG_ZONE_DEVICE) k.policy!.getDevicePage?.(k, t, head, refs);
  }
}
