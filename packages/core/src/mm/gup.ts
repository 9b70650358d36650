import {
  Errno,
  FOLL_GET,
  FOLL_LONGTERM,
  FOLL_NOFAULT,
  FOLL_PIN,
  FOLL_WRITE,
  PAGE_SIZE,
  VM_FAULT_HWPOISON,
  VM_FAULT_OOM,
  VM_FAULT_SIGBUS,
} from '../constants';
import { DaxrefError } from '../errors';
import type { Kernel } from '../kernel';
import { PG_DAX_SHARED } from '../memmap';
import type { DevPagemap } from '../pgmap';
import { type KGen, PREEMPT, type Task } from '../sched/task';
import { handleMmFault } from './memory';
import { gupPutFolio, tryGrabFolio, tryGrabFolioFast } from './page-ref';
import { type Leaf, PTE_DEVMAP, PTE_DIRTY, PTE_SPECIAL, PTE_WRITE, PTE_YOUNG } from './page-table';
import type { Mm, Vma } from './vma';
import { VM_WRITE } from './vma';

const PMD_BYTES = 2 * 1024 * 1024;

/** The outcome of a GUP call: the pages got (their pfns, one per 4 KiB page) or an error. */
export interface GupResult {
  /** Pfns of the pages pinned or referenced, in address order. */
  pfns: number[];
  /** 0, or the negative errno that stopped the walk (the pages before it are still held). */
  err: number;
}

function checkGup(addr: number, nr: number, flags: number): void {
  if (!Number.isInteger(addr) || addr < 0 || addr % PAGE_SIZE !== 0) {
    throw new DaxrefError('BAD_ARGUMENT', 'gup', `start 0x${addr.toString(16)} must be page aligned`);
  }
  if (!Number.isInteger(nr) || nr <= 0)
    throw new DaxrefError('BAD_ARGUMENT', 'gup', `nr_pages must be a positive integer, got ${nr}`);
  if ((flags & (FOLL_GET | FOLL_PIN)) === (FOLL_GET | FOLL_PIN)) {
    throw new DaxrefError('BAD_ARGUMENT', 'gup', 'FOLL_GET and FOLL_PIN are mutually exclusive');
  }
}

/**
 * `check_vma_flags()`: write to a read-only VMA is -EFAULT; FOLL_LONGTERM on FSDAX is
 * -EOPNOTSUPP (`vma_is_fsdax`), unless the design offers leases (DOMAIN §5, the 2019 proposal)
 * and the caller holds the file's lease.
 */
function checkVmaFlags(k: Kernel, t: Task, vma: Vma, flags: number): number {
  if (flags & FOLL_WRITE && !(vma.flags & VM_WRITE)) return -Errno.EFAULT;
  if (flags & FOLL_LONGTERM && vma.isFsdax) {
    const leased =
      k.policy?.caps.leases === true && (vma.file as { lease?: Task | null } | null)?.lease === t;
    if (!leased) return -Errno.EOPNOTSUPP;
  }
  return 0;
}

/**
 * `gup_must_unshare()` on a read-only leaf for a FOLL_PIN without FOLL_WRITE, where the design
 * makes a shared fsdax page look anonymous (6.2–6.14: `PAGE_MAPPING_DAX_SHARED` ==
 * `PAGE_MAPPING_ANON`, and such a page is never `PageAnonExclusive`).
 */
function daxMustUnshare(k: Kernel, leaf: Leaf, pfn: number, flags: number): boolean {
  return (
    k.policy?.caps.daxSharedLooksAnon === true &&
    (flags & FOLL_PIN) !== 0 &&
    (flags & FOLL_WRITE) === 0 &&
    (leaf.bits & PTE_WRITE) === 0 &&
    k.memmap.valid(pfn) &&
    (k.memmap.flags(pfn) & PG_DAX_SHARED) !== 0
  );
}

/**
 * The 6.2–6.14 loop: `follow_page_pte()` returns -EMLINK (unshare needed), `faultin_page()`
 * with FAULT_FLAG_UNSHARE is a no-op on a shared mapping (`sanitize_fault_flags()`), and
 * `__get_user_pages()` retries the same page forever (seen on the real 6.12.95: the task spins
 * in `follow_page_pte` until SIGKILL). The model reports it and parks the task for good.
 */
function* gupUnshareLivelock(k: Kernel, t: Task, pfn: number): KGen<number> {
  // A livelock, not a sleep: the task spins in follow_page_pte → faultin_page and only a fatal
  // signal ends it (`fatal_signal_pending()` in __get_user_pages' retry). The hang checker
  // reports it as a `hang` (killable) with this predicate.
  yield* k.waits.wait(
    t,
    `gup-livelock:${t.id}`,
    () => t.fatal,
    `the unshare of shared fsdax pfn ${pfn} (livelock: PAGE_MAPPING_DAX_SHARED is the PAGE_MAPPING_ANON bit, gup_must_unshare() never clears)`,
    {
      fn: '__get_user_pages',
      state: 'killable',
      predicate: 'a fatal signal (the unshare fault is a no-op)',
      pfn,
    },
  );
  return -Errno.EINTR;
}

/**
 * `follow_page_mask()` for one page: the leaf's page if present (and writable for FOLL_WRITE),
 * grabbed. A devmap leaf first needs a live pgmap reference (`get_dev_pagemap` in
 * `follow_page_pte` / `follow_devmap_pmd`), kept in `ctx` until the walk ends. Returns the pfn,
 * -1 when a fault is needed, or a negative errno below -1 (`-1 - errno`).
 */
function followPage(
  k: Kernel,
  t: Task,
  vma: Vma,
  addr: number,
  flags: number,
  ctx: { pgmap: DevPagemap | null },
): number {
  const leaf = vma.mm.pt.lookup(addr);
  if (leaf === null) return -1;
  if (flags & FOLL_WRITE && !(leaf.bits & PTE_WRITE)) return -1;
  const pfn = leaf.pfn + Math.floor((addr - leaf.start) / PAGE_SIZE);
  if (leaf.bits & PTE_DEVMAP && k.policy?.caps.gupPgmapRef) {
    ctx.pgmap = k.pgmaps.getDevPagemap(pfn, ctx.pgmap, t.cpu);
    if (ctx.pgmap === null) return -1 - Errno.EFAULT;
  } else if (leaf.bits & PTE_SPECIAL && !(leaf.bits & PTE_DEVMAP) && !k.isZeroPfn(pfn)) {
    return -1 - Errno.EFAULT; // a pfn mapping with no struct page
  }
  const r = tryGrabFolio(k, t, pfn, 1, flags);
  if (r < 0) return -1 + r;
  vma.mm.pt.setBits(leaf.start, leaf.bits | PTE_YOUNG | (flags & FOLL_WRITE ? PTE_DIRTY : 0)); // FOLL_TOUCH
  return pfn;
}

/**
 * `__get_user_pages()` with the mmap_lock held for read: for each page, check the VMA, follow
 * the page table, fault it in if absent (`faultin_page` → `handle_mm_fault`), grab it.
 */
function* getUserPagesLocked(
  k: Kernel,
  t: Task,
  mm: Mm,
  addr: number,
  nr: number,
  flags: number,
  out: number[],
): KGen<number> {
  const ctx: { pgmap: DevPagemap | null } = { pgmap: null };
  try {
    for (let i = 0; i < nr; i++) {
      const a = addr + i * PAGE_SIZE;
      const vma = mm.findVma(a);
      if (vma === null) return -Errno.EFAULT;
      const bad = checkVmaFlags(k, t, vma, flags);
      if (bad < 0) return bad;
      // retry: "If we have a pending SIGKILL, don't keep faulting pages": `ret = -EINTR; goto out`
      // (v5.x: -ERESTARTSYS); `return i ? i : ret`, so the pages already in `out` stay with the caller.
      if (t.fatal) return -Errno.EINTR;
      const leaf = mm.pt.lookup(a);
      if (leaf !== null) {
        const p = leaf.pfn + Math.floor((a - leaf.start) / PAGE_SIZE);
        if (daxMustUnshare(k, leaf, p, flags)) return yield* gupUnshareLivelock(k, t, p);
      }
      let pfn = followPage(k, t, vma, a, flags, ctx);
      for (let tries = 0; pfn === -1 && tries < 3; tries++) {
        if (flags & FOLL_NOFAULT) return -Errno.EFAULT;
        const r = yield* handleMmFault(k, t, vma, a, (flags & FOLL_WRITE) !== 0);
        if (r & VM_FAULT_OOM) return -Errno.ENOMEM;
        if (r & (VM_FAULT_SIGBUS | VM_FAULT_HWPOISON)) return -Errno.EFAULT;
        if (t.fatal) return -Errno.EINTR; // faultin_page() → goto retry: the check above again
        pfn = followPage(k, t, vma, a, flags, ctx);
      }
      if (pfn === -1) return -Errno.EFAULT;
      if (pfn < -1) return pfn + 1;
      out.push(pfn);
      yield PREEMPT; // cond_resched()
    }
    return 0;
  } finally {
    if (ctx.pgmap !== null) k.pgmaps.putDevPagemap(ctx.pgmap, t.cpu);
  }
}

function* gupSlow(
  k: Kernel,
  t: Task,
  mm: Mm,
  addr: number,
  nr: number,
  flags: number,
  out: number[],
): KGen<number> {
  yield* mm.mmapLock.downRead(t);
  try {
    return yield* getUserPagesLocked(k, t, mm, addr, nr, flags, out);
  } finally {
    mm.mmapLock.upRead(t);
  }
}

/** `get_user_pages()`: FOLL_GET through the slow path. */
export function* getUserPages(
  k: Kernel,
  t: Task,
  mm: Mm,
  addr: number,
  nr: number,
  flags = 0,
): KGen<GupResult> {
  const f = (flags & ~FOLL_PIN) | FOLL_GET;
  checkGup(addr, nr, f);
  const pfns: number[] = [];
  const err = yield* gupSlow(k, t, mm, addr, nr, f, pfns);
  return { pfns, err };
}

/** `pin_user_pages()`: FOLL_PIN through the slow path. */
export function* pinUserPages(
  k: Kernel,
  t: Task,
  mm: Mm,
  addr: number,
  nr: number,
  flags = 0,
): KGen<GupResult> {
  const f = (flags & ~FOLL_GET) | FOLL_PIN;
  checkGup(addr, nr, f);
  const pfns: number[] = [];
  const err = yield* gupSlow(k, t, mm, addr, nr, f, pfns);
  return { pfns, err };
}

/**
 * gup-fast (`gup_fast` → `gup_fast_pte_range` / `gup_fast_pmd_leaf` / `gup_fast_pud_leaf`)
 * with IRQs off, so a concurrent zap's TLB-flush IPI waits for it. For each page: read the leaf
 * locklessly; on a devmap leaf bail for FOLL_LONGTERM, else take a cached pgmap reference; then
 * (a preemption point: another CPU may zap meanwhile) grab the folio — add-unless-zero — and
 * re-check the leaf, undoing the grab if it changed. A huge leaf's pages in range are grabbed
 * in one `try_grab_folio_fast(refs)` when it is not devmap; a devmap huge leaf goes page by page
 * (`__gup_device_huge`). Returns how many pages it got; the caller falls back to the slow path.
 */
export function gupFast(
  k: Kernel,
  t: Task,
  mm: Mm,
  addr: number,
  nr: number,
  flags: number,
  out: number[],
): KGen<number> {
  return gupWalk(k, t, mm, addr, nr, flags, out, false) as KGen<number>;
}

/**
 * The gup-fast walk (`gupFast`), and with `thenSlow` the whole `*_user_pages_fast()` call in the
 * same generator: the arguments checked first, the slow path for what the fast walk did not
 * get, and a `GupResult` returned instead of the count. One generator per call, not two nested
 * ones: their creation and the delegation of every yield were most of a 1-page call's fixed
 * cost in this model.
 */
function* gupWalk(
  k: Kernel,
  t: Task,
  mm: Mm,
  addr: number,
  nr: number,
  flags: number,
  out: number[],
  thenSlow: boolean,
): KGen<number | GupResult> {
  if (thenSlow) checkGup(addr, nr, flags);
  let pgmap: DevPagemap | null = null;
  const pgmapRef = k.policy?.caps.gupPgmapRef === true;
  k.irq.enter(t); // local_irq_save()
  let got = 0;
  let table = -1;
  let tableStart = 0;
  try {
    outer: while (got < nr) {
      const a = addr + got * PAGE_SIZE;
      const leaf = mm.pt.lookup(a); // ptep_get_lockless()
      if (leaf === null) break;
      if (flags & FOLL_WRITE && !(leaf.bits & PTE_WRITE)) break; // pte_access_permitted()
      const size = leaf.level === 'pte' ? 1 : leaf.level === 'pmd' ? 512 : 2 ** 18;
      const first = leaf.pfn + Math.floor((a - leaf.start) / PAGE_SIZE);
      const inLeaf = Math.min(nr - got, size - (first - leaf.pfn));
      if (leaf.level === 'pte' && Math.floor(a / PMD_BYTES) !== table) {
        table = Math.floor(a / PMD_BYTES); // a new PTE table: gup_fast_pte_range()'s nr_start
        tableStart = out.length;
      }
      if (leaf.bits & PTE_DEVMAP) {
        if (flags & FOLL_LONGTERM) break;
        // gup_fast_pte_range(): `!pte_write(pte) && gup_must_unshare(NULL, flags, page)` → slow path.
        if (daxMustUnshare(k, leaf, first, flags)) break;
        // gup_fast_undo_dev_pagemap(): drops every page taken since nr_start (this PTE table, or
        // this huge leaf) when a devmap step fails.
        const undoFrom = leaf.level === 'pte' ? tableStart : out.length;
        if (leaf.level === 'pte') {
          // gup_fast_pte_range(): get_dev_pagemap (cached), grab, re-check the PTE.
          if (pgmapRef) {
            pgmap = k.pgmaps.getDevPagemap(first, pgmap, t.cpu);
            if (pgmap === null) {
              got = undoDevPagemap(k, t, out, undoFrom, flags);
              break;
            }
          }
          yield PREEMPT; // between reading the PTE and the grab
          if (tryGrabFolioFast(k, t, first, 1, flags) < 0) break;
          const now = mm.pt.lookup(a);
          if (now === null || now.pfn !== leaf.pfn || now.bits !== leaf.bits) {
            gupPutFolio(k, t, first, 1, flags);
            break;
          }
          out.push(first);
          got++;
          continue;
        }
        // __gup_device_huge(): per 4 KiB subpage, get_dev_pagemap + try_grab_folio_fast(page, 1);
        // then one re-check of the leaf for all of them.
        for (let i = 0; i < inLeaf; i++) {
          const pfn = first + i;
          if (pgmapRef) {
            pgmap = k.pgmaps.getDevPagemap(pfn, pgmap, t.cpu);
            if (pgmap === null) {
              got = undoDevPagemap(k, t, out, undoFrom, flags);
              break outer;
            }
          }
          if (i === 0) yield PREEMPT; // between reading the leaf and the grabs
          if (tryGrabFolioFast(k, t, pfn, 1, flags) < 0) {
            got = undoDevPagemap(k, t, out, undoFrom, flags);
            break outer;
          }
          out.push(pfn);
          got++;
        }
        const now = mm.pt.lookup(a);
        if (now === null || now.pfn !== leaf.pfn || now.bits !== leaf.bits) {
          got = undoDevPagemap(k, t, out, undoFrom, flags);
          break;
        }
        continue;
      }
      if (leaf.bits & PTE_SPECIAL) break; // pte_special(): no struct page to grab
      yield PREEMPT; // between reading the leaf and the grab
      const head = tryGrabFolioFast(k, t, first, inLeaf, flags);
      if (head < 0) break;
      const now = mm.pt.lookup(a);
      if (now === null || now.pfn !== leaf.pfn || now.bits !== leaf.bits) {
        gupPutFolio(k, t, first, inLeaf, flags);
        break;
      }
      if (flags & FOLL_LONGTERM && k.memmap.isZoneDevice(head)) {
        // gup_fast_folio_allowed() → folio_is_longterm_pinnable(): false for fsdax (6.15)
        gupPutFolio(k, t, first, inLeaf, flags);
        break;
      }
      for (let i = 0; i < inLeaf; i++) out.push(first + i);
      got += inLeaf;
    }
  } finally {
    if (pgmap !== null) k.pgmaps.putDevPagemap(pgmap, t.cpu);
    k.irq.exit(t); // local_irq_restore()
  }
  if (!thenSlow) return got;
  if (got === nr) return { pfns: out, err: 0 };
  const err = yield* gupSlow(k, t, mm, addr + got * PAGE_SIZE, nr - got, flags, out);
  return { pfns: out, err };
}

/**
 * `gup_fast_undo_dev_pagemap()`: puts the pages taken since `from` and drops them from `out`;
 * returns the new count of pages got.
 */
function undoDevPagemap(k: Kernel, t: Task, out: number[], from: number, flags: number): number {
  for (const p of out.splice(from)) gupPutFolio(k, t, p, 1, flags);
  return out.length;
}

/** `get_user_pages_fast()`: gup-fast, then the slow path for the rest. */
export function getUserPagesFast(
  k: Kernel,
  t: Task,
  mm: Mm,
  addr: number,
  nr: number,
  flags = 0,
): KGen<GupResult> {
  return gupWalk(k, t, mm, addr, nr, (flags & ~FOLL_PIN) | FOLL_GET, [], true) as KGen<GupResult>;
}

/** `pin_user_pages_fast()`: gup-fast, then the slow path for the rest. */
export function pinUserPagesFast(
  k: Kernel,
  t: Task,
  mm: Mm,
  addr: number,
  nr: number,
  flags = 0,
): KGen<GupResult> {
  return gupWalk(k, t, mm, addr, nr, (flags & ~FOLL_GET) | FOLL_PIN, [], true) as KGen<GupResult>;
}
