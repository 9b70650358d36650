import {
  Errno,
  PAGE_SIZE,
  VM_FAULT_FALLBACK,
  VM_FAULT_HWPOISON,
  VM_FAULT_OOM,
  VM_FAULT_SIGBUS,
} from '../constants';
import { DaxrefError } from '../errors';
import type { Kernel } from '../kernel';
import { PG_HWPOISON, PG_STALE } from '../memmap';
import { syscall } from '../sched/signal';
import { type KGen, PREEMPT, type Task } from '../sched/task';
import { kcall } from '../trace/hooks';
import { MmuGather } from './mmu-gather';
import { getPage, structPageGone } from './page-ref';
import {
  type Leaf,
  levelPages,
  levelSize,
  PTE_DEVMAP,
  PTE_DIRTY,
  PTE_SPECIAL,
  PTE_WRITE,
  PTE_YOUNG,
  type PtLevel,
} from './page-table';
import { Mm, VM_DAX, VM_HUGEPAGE, VM_READ, VM_SHARED, VM_WRITE, Vma, type VmFile } from './vma';

// ---- rmap (mm/rmap.c) ------------------------------------------------------------------------

/** `folio_add_file_rmap_pte/pmd/pud` / `folio_add_new_anon_rmap`: one more mapping of the folio. */
export function rmapAdd(k: Kernel, pfn: number, level: PtLevel): void {
  const mm = k.memmap;
  const head = mm.compoundHead(pfn);
  if (mm.flags(head) & PG_STALE) {
    // __lruvec_stat_mod_folio() → folio_memcg(): memcg_data of this folio is the stale
    // _nr_pages of a large folio split without folio_reset_order() (6.15-rc: NULL deref oops).
    k.report(
      'use-after-free',
      `folio_add_file_rmap_ptes: folio ${head} carries stale folio metadata of a split large folio (memcg_data = old _nr_pages): __lruvec_stat_mod_folio dereferences it`,
      head,
    );
  }
  if (level === 'pte') {
    mm.mapcountAdd(pfn, 1);
    if (mm.isLarge(head)) mm.largeMapcountAdd(head, 1);
    return;
  }
  if (!mm.isLarge(head)) {
    throw new DaxrefError(
      'POLICY',
      'rmap',
      `a ${level} mapping of pfn ${pfn} needs a large folio (a design whose mappings hold references must set compoundFolios)`,
    );
  }
  mm.entireMapcountAdd(head, 1);
  mm.largeMapcountAdd(head, 1);
}

/** `folio_remove_rmap_pte/pmd/pud`. A mapcount below zero is a `VM_BUG_ON`. */
export function rmapRemove(k: Kernel, pfn: number, level: PtLevel): void {
  const mm = k.memmap;
  const head = mm.compoundHead(pfn);
  let v: number;
  if (level === 'pte') {
    v = mm.mapcountAdd(pfn, -1);
    if (mm.isLarge(head)) mm.largeMapcountAdd(head, -1);
  } else {
    v = mm.entireMapcountAdd(head, -1);
    mm.largeMapcountAdd(head, -1);
  }
  if (v < 0) k.report('vm-bug-on', `folio_remove_rmap_${level}: mapcount of pfn ${pfn} went below zero`, pfn);
}

// ---- inserting and zapping leaves ----------------------------------------------------------

/**
 * Installs a leaf for a file page (`vmf_insert_page_mkwrite` / `vmf_insert_folio_pmd` in 6.15;
 * `vmf_insert_mixed` / `vmf_insert_pfn_pmd` → `insert_pfn` with `pte_mkdevmap` before). Whether
 * the mapping takes a reference is the design's (`caps.mapHoldsRef`). Upgrading a present leaf
 * of the same pfn to writable only changes its bits (`insert_page_into_pte_locked` with mkwrite).
 */
export function insertFileLeaf(
  k: Kernel,
  t: Task,
  vma: Vma,
  addr: number,
  pfn: number,
  level: PtLevel,
  write: boolean,
  special = false,
): void {
  const mm = vma.mm;
  const size = levelSize(level);
  const start = addr - (addr % size);
  const cur = mm.pt.lookup(start);
  const wbits = write ? PTE_WRITE | PTE_DIRTY : 0;
  if (cur !== null && cur.level === level && cur.start === start) {
    if (cur.pfn === pfn) {
      mm.pt.set(start, level, pfn, cur.bits | wbits | PTE_YOUNG);
      return;
    }
    throw new DaxrefError(
      'BAD_STATE',
      'insert_pfn',
      `0x${start.toString(16)} already maps pfn ${cur.pfn}, not ${pfn}`,
    );
  }
  let bits = PTE_YOUNG | wbits;
  const caps = k.policy?.caps;
  const device = k.memmap.isZoneDevice(pfn);
  if (special || k.isZeroPfn(pfn)) {
    bits |= PTE_SPECIAL; // the zero page / huge zero folio: pte_mkspecial, no reference
  } else if (device && caps !== undefined && !caps.mapHoldsRef) {
    bits |= caps.devmapPte ? PTE_DEVMAP | PTE_SPECIAL : PTE_SPECIAL; // insert_pfn: pte_mkdevmap (x86: devmap implies special)
  } else {
    getPage(k, t, pfn); // folio_get() in insert_page / insert_pfn_pmd for a refcounted folio
    rmapAdd(k, pfn, level);
  }
  mm.pt.set(start, level, pfn, bits);
  mm.rss += levelPages(level);
}

/**
 * Zaps one leaf (`zap_present_ptes` / `zap_huge_pmd` / `zap_huge_pud`): clears it; if
 * `vm_normal_page()` finds a page (not special, not devmap) the rmap is removed now and the
 * reference is dropped after the TLB flush through the gather.
 */
export function zapLeaf(k: Kernel, tlb: MmuGather, mm: Mm, leaf: Leaf, file = false): void {
  mm.pt.clear(leaf.start, leaf.level);
  mm.rss -= levelPages(leaf.level);
  tlb.needFlush = true;
  if (leaf.bits & (PTE_SPECIAL | PTE_DEVMAP)) return; // vm_normal_page() == NULL
  // A stale PTE into memory memunmap_pages() removed (no pre-remove zapped it): the rmap and
  // refcount updates touch a freed memmap (real 6.18 / 7.3: the oops in do_wp_page).
  if (structPageGone(k, leaf.pfn, 'zap_present_ptes')) return;
  if (file && leaf.bits & PTE_DIRTY && leaf.level === 'pte') {
    // zap_present_folio_ptes(): a dirty file PTE sets delay_rmap and force_flush, so its rmap
    // goes with the put, after the flush, before zap_pte_range() returns.
    tlb.delayedRmaps.push({ pfn: leaf.pfn, level: leaf.level });
    tlb.forceFlush = true;
  } else {
    rmapRemove(k, leaf.pfn, leaf.level);
  }
  tlb.removePage(k.memmap.compoundHead(leaf.pfn));
}

/**
 * `unmap_page_range()` over [start, end) of a VMA: zaps every leaf; a huge leaf only partly in
 * the range (`madvise(MADV_DONTNEED)`, a mapping-range zap; VMA splits already split theirs) is
 * zapped whole (`__split_huge_pmd` on a file VMA just clears the PMD; the rest is refaulted with
 * PTEs). Yields between page-table pages (`cond_resched`).
 */
export function* zapRange(k: Kernel, t: Task, tlb: MmuGather, vma: Vma, start: number, end: number): KGen {
  const lo = Math.max(start, vma.start);
  const hi = Math.min(end, vma.end);
  if (lo >= hi) return;
  const leaves = vma.mm.pt.leaves(lo - (lo % 2 ** 30), hi);
  let n = 0;
  for (const leaf of leaves) {
    if (leaf.start + levelSize(leaf.level) <= lo || leaf.start >= hi) continue;
    zapLeaf(k, tlb, vma.mm, leaf, vma.file !== null);
    if (++n % 512 === 0) {
      yield* tlb.flushForced(k, t); // the end of one PTE table's walk
      yield PREEMPT;
    }
  }
  yield* tlb.flushForced(k, t);
}

/**
 * `unmap_mapping_pages()` / `unmap_mapping_range()`: zaps file pages [first, first+nr) from
 * every VMA in the mapping's `i_mmap` (`zap_page_range_single`, each with its own gather and
 * TLB flush before it returns).
 */
export function* unmapMappingPages(
  k: Kernel,
  t: Task,
  file: { mapping: { iMmap: Set<Vma> } },
  first: number,
  nr: number,
): KGen {
  for (const vma of [...file.mapping.iMmap]) {
    const vFirst = vma.pgoff;
    const vLast = vma.pgoff + (vma.end - vma.start) / PAGE_SIZE;
    const a = Math.max(first, vFirst);
    const b = Math.min(first + nr, vLast);
    if (a >= b) continue;
    const tlb = new MmuGather();
    yield* zapRange(
      k,
      t,
      tlb,
      vma,
      vma.start + (a - vFirst) * PAGE_SIZE,
      vma.start + (b - vFirst) * PAGE_SIZE,
    );
    yield* tlb.finish(k, t);
  }
}

// ---- faults (mm/memory.c) --------------------------------------------------------------------

/**
 * `handle_mm_fault()` with the mmap_lock held for read: a DAX VMA tries a PUD, then a PMD
 * huge fault (`create_huge_pud` / `create_huge_pmd` → `vm_ops->huge_fault`), falling back to
 * PTEs; an anonymous VMA gets `do_anonymous_page` / `do_wp_page`. Returns a `VM_FAULT_*` set
 * (0 on success).
 */
export function* handleMmFault(k: Kernel, t: Task, vma: Vma, addr: number, write: boolean): KGen<number> {
  // The references a fault takes carry `handle_mm_fault` as their provenance (ledger, hang holders).
  return k.hooks === null
    ? yield* handleMmFaultCall(k, t, vma, addr, write)
    : yield* kcall(k, t, 'handle_mm_fault', handleMmFaultCall(k, t, vma, addr, write));
}

function* handleMmFaultCall(k: Kernel, t: Task, vma: Vma, addr: number, write: boolean): KGen<number> {
  const page = addr - (addr % PAGE_SIZE);
  if (vma.file !== null) {
    if (vma.file.dax && vma.flags & VM_HUGEPAGE) {
      for (const level of ['pud', 'pmd'] as const) {
        const size = levelSize(level);
        const base = page - (page % size);
        if (
          base < vma.start ||
          base + size > vma.end ||
          vma.pgoff % (size / PAGE_SIZE) !== (vma.start / PAGE_SIZE) % (size / PAGE_SIZE)
        )
          continue;
        const cur = vma.mm.pt.lookup(page);
        if (cur !== null && cur.level !== level) continue;
        if (cur === null && vma.mm.pt.occupied(base, level)) continue;
        const r = yield* vma.file.fault(k, t, vma, page, write, level);
        if (!(r & VM_FAULT_FALLBACK)) return r;
      }
    }
    return yield* vma.file.fault(k, t, vma, page, write, 'pte');
  }
  return doAnonymousPage(k, t, vma, page, write);
}

/** `do_anonymous_page()`: a fresh zeroed page, mapped with its allocation reference. */
function doAnonymousPage(k: Kernel, t: Task, vma: Vma, page: number, write: boolean): number {
  const cur = vma.mm.pt.lookup(page);
  if (cur !== null) {
    if (write && !(cur.bits & PTE_WRITE))
      vma.mm.pt.set(cur.start, cur.level, cur.pfn, cur.bits | PTE_WRITE | PTE_DIRTY);
    return 0;
  }
  const pfn = k.ram.alloc();
  if (pfn < 0) return VM_FAULT_OOM;
  k.memmap.mapcountAdd(pfn, 1);
  vma.mm.pt.set(page, 'pte', pfn, PTE_YOUNG | (write ? PTE_WRITE | PTE_DIRTY : 0));
  vma.mm.rss++;
  void t;
  return 0;
}

/** Reasons a user access fails. */
export type AccessResult =
  | { ok: true; pfn: number; data: Uint8Array }
  | { ok: false; signal: 'SIGSEGV' | 'SIGBUS'; errno: number };

/** The `userAccess` system call (see `userAccessCall`); a pending SIGKILL is acted on at its return. */
export function* userAccess(
  k: Kernel,
  t: Task,
  mm: Mm,
  addr: number,
  write: boolean,
  data?: Uint8Array,
  len = 1,
): KGen<AccessResult> {
  return yield* syscall(t, userAccessCall(k, t, mm, addr, write, data, len));
}

/**
 * A user load or store of `len` bytes at `addr` (one page at most), faulting as needed under
 * `mmap_read_lock`. The physical access is checked: a pfn whose struct page or media is gone is
 * a use-after-free; a poisoned block raises the memory-failure path (SIGBUS).
 */
function* userAccessCall(
  k: Kernel,
  t: Task,
  mm: Mm,
  addr: number,
  write: boolean,
  data?: Uint8Array,
  len = 1,
): KGen<AccessResult> {
  const off = addr % PAGE_SIZE;
  const n = write ? data!.length : len;
  if (off + n > PAGE_SIZE)
    throw new DaxrefError(
      'BAD_ARGUMENT',
      'access',
      `an access of ${n} bytes at 0x${addr.toString(16)} crosses a page`,
    );
  yield* mm.mmapLock.downRead(t);
  let pfn = -1;
  try {
    for (let tries = 0; tries < 4; tries++) {
      const vma = mm.findVma(addr);
      if (vma === null || !(vma.flags & (write ? VM_WRITE : VM_READ))) {
        k.sched.signal(t, 'SIGSEGV');
        return { ok: false, signal: 'SIGSEGV', errno: -Errno.EFAULT };
      }
      const leaf = mm.pt.lookup(addr - off);
      if (leaf !== null && (!write || leaf.bits & PTE_WRITE)) {
        pfn = leaf.pfn + Math.floor((addr - off - leaf.start) / PAGE_SIZE);
        mm.pt.setBits(leaf.start, leaf.bits | PTE_YOUNG | (write ? PTE_DIRTY : 0));
        break;
      }
      const r = yield* handleMmFault(k, t, vma, addr, write);
      if (r & (VM_FAULT_SIGBUS | VM_FAULT_HWPOISON | VM_FAULT_OOM)) {
        k.sched.signal(t, 'SIGBUS');
        return { ok: false, signal: 'SIGBUS', errno: -Errno.EFAULT };
      }
    }
  } finally {
    mm.mmapLock.upRead(t);
  }
  if (pfn < 0)
    throw new DaxrefError('BAD_STATE', 'access', `fault at 0x${addr.toString(16)} did not install a mapping`);
  return physAccess(k, t, pfn, off, write, data, n);
}

/** The physical side of an access by the CPU (a DMA engine does its own checks). */
export function physAccess(
  k: Kernel,
  t: Task,
  pfn: number,
  off: number,
  write: boolean,
  data: Uint8Array | undefined,
  n: number,
): AccessResult {
  if (pfn === k.zeroPfn && !write) return { ok: true, pfn, data: new Uint8Array(n) };
  if (k.ram.contains(pfn)) {
    const b = k.ram.bytes(pfn);
    if (write) b.set(data!, off);
    return { ok: true, pfn, data: write ? data! : b.slice(off, off + n) };
  }
  const dev = k.deviceAt(pfn);
  if (dev === null || !k.memmap.valid(pfn) || !dev.media.present()) {
    k.report(
      'use-after-free',
      `CPU ${write ? 'store' : 'load'} through a stale mapping to pfn ${pfn}: its device memory was removed`,
      pfn,
    );
    k.sched.signal(t, 'SIGBUS');
    return { ok: false, signal: 'SIGBUS', errno: -Errno.EIO };
  }
  if (dev.media.isPoisoned(pfn)) {
    // memory_failure(): the page is marked and the task gets SIGBUS (BUS_MCEERR_AR).
    k.memmap.setFlags(pfn, PG_HWPOISON);
    k.sched.signal(t, 'SIGBUS');
    return { ok: false, signal: 'SIGBUS', errno: -Errno.EHWPOISON };
  }
  if (write) {
    dev.media.write(pfn, off, data!);
    return { ok: true, pfn, data: data! };
  }
  return { ok: true, pfn, data: dev.media.read(pfn, off, n) };
}

// ---- mmap, munmap, mprotect, fork, mremap (mm/mmap.c, mm/vma.c, kernel/fork.c, mm/mremap.c) -

/** Options of `mmap`. */
export interface MmapOptions {
  /** The file to map, or null / absent for anonymous memory. */
  file?: VmFile | null;
  /** Bytes; a multiple of 4 KiB. */
  length: number;
  /** File offset in bytes (page aligned). Default 0. */
  offset?: number;
  /** MAP_SHARED (default true for files) or MAP_PRIVATE. */
  shared?: boolean;
  /** PROT_WRITE. Default true. */
  write?: boolean;
  /** A fixed address (MAP_FIXED_NOREPLACE semantics: must be free). */
  addr?: number;
}

function checkLen(what: string, len: number): void {
  if (!Number.isInteger(len) || len <= 0 || len % PAGE_SIZE !== 0) {
    throw new DaxrefError('BAD_ARGUMENT', what, `length ${len} must be a positive multiple of ${PAGE_SIZE}`);
  }
}

function checkAddr(what: string, addr: number): void {
  if (!Number.isInteger(addr) || addr < 0 || addr % PAGE_SIZE !== 0) {
    throw new DaxrefError('BAD_ARGUMENT', what, `address 0x${addr.toString(16)} must be page aligned`);
  }
}

/** The `mmap` system call (see `mmapCall`); a pending SIGKILL is acted on at its return. */
export function* mmap(k: Kernel, t: Task, mm: Mm, opts: MmapOptions): KGen<number> {
  return yield* syscall(t, mmapCall(k, t, mm, opts));
}

/**
 * `mmap()` → `mmap_region()`: a new VMA; for a file, `f_op->mmap` (xfs_file_mmap: DAX files get
 * `VM_HUGEPAGE`; the coarse-pin design takes its pgmap reference here). `vm_ops->open` is not
 * called for a new mapping. Returns the address, or a negative errno.
 */
function* mmapCall(k: Kernel, t: Task, mm: Mm, opts: MmapOptions): KGen<number> {
  checkLen('mmap', opts.length);
  const file = opts.file ?? null;
  const offset = opts.offset ?? 0;
  checkAddr('mmap offset', offset);
  yield* mm.mmapLock.downWrite(t);
  try {
    let addr: number;
    if (opts.addr !== undefined) {
      checkAddr('mmap', opts.addr);
      addr = opts.addr;
      for (const v of mm.vmas) if (v.start < addr + opts.length && addr < v.end) return -Errno.EEXIST;
    } else {
      addr = mm.unmappedArea(opts.length);
    }
    const shared = opts.shared ?? file !== null;
    let flags = VM_READ | ((opts.write ?? true) ? VM_WRITE : 0) | (shared ? VM_SHARED : 0);
    if (file?.dax) flags |= VM_DAX | VM_HUGEPAGE;
    const vma = new Vma(k.allocId(), mm, addr, addr + opts.length, flags, file, offset / PAGE_SIZE);
    if (file !== null) {
      file.get();
      if (vma.isFsdax && k.policy !== null) {
        const err = k.policy.fileMmap?.(k, t, vma) ?? 0;
        if (err < 0) {
          yield* file.put(k, t);
          return err;
        }
      }
      file.mapping.iMmap.add(vma);
    }
    mm.link(vma);
    return addr;
  } finally {
    mm.mmapLock.upWrite(t);
  }
}

function vmOpen(k: Kernel, t: Task, vma: Vma): void {
  if (vma.file !== null) {
    vma.file.get();
    vma.file.mapping.iMmap.add(vma);
    if (vma.isFsdax && k.policy !== null) k.policy.vmaOpen?.(k, t, vma);
  }
}

/**
 * `__split_vma()`: splits `vma` at `addr`; the new VMA (the upper part) gets `vm_ops->open`.
 * `vma_adjust_trans_huge()` → `split_huge_pmd_if_needed()` → `__split_huge_pmd()` first splits a
 * huge leaf that straddles `addr`: on a file VMA `__split_huge_pmd_locked()` clears it
 * (`pmdp_huge_clear_flush`, a TLB flush) and the range refaults with PTEs. Pre-6.15 a DAX VMA
 * is `vma_is_special_huge()`, so that is all; 6.15 (`!vma_is_dax(vma) && vma_is_special_huge`)
 * also does `folio_remove_rmap_pmd()` + `folio_put()`, which `zapLeaf` does for a design whose
 * mapping holds a reference. Device-dax refuses splits inside its alignment (`dev_dax_may_split`).
 */
export function* splitVma(k: Kernel, t: Task, vma: Vma, addr: number): KGen<Vma> {
  const huge = vma.mm.pt.lookup(addr);
  if (huge !== null && huge.level !== 'pte' && huge.start < addr && vma.file !== null) {
    const tlb = new MmuGather();
    zapLeaf(k, tlb, vma.mm, huge, true);
    yield* tlb.finish(k, t);
  }
  const nv = new Vma(
    k.allocId(),
    vma.mm,
    addr,
    vma.end,
    vma.flags,
    vma.file,
    vma.pgoff + (addr - vma.start) / PAGE_SIZE,
  );
  nv.anon = vma.anon;
  vma.end = addr;
  vma.mm.link(nv);
  vmOpen(k, t, nv);
  return nv;
}

/** `remove_vma()`: `vm_ops->close`, then `fput`. */
function* removeVma(k: Kernel, t: Task, vma: Vma): KGen {
  vma.dead = true;
  if (vma.file !== null) {
    vma.file.mapping.iMmap.delete(vma);
    if (vma.isFsdax && k.policy !== null) k.policy.vmaClose?.(k, t, vma);
    yield* vma.file.put(k, t);
  }
}

/** Splits VMAs so that `start` and `end` are VMA boundaries; returns the VMAs inside. */
function* splitAround(k: Kernel, t: Task, mm: Mm, start: number, end: number): KGen<Vma[]> {
  for (const v of [...mm.vmas]) if (v.start < start && start < v.end) yield* splitVma(k, t, v, start);
  for (const v of [...mm.vmas]) if (v.start < end && end < v.end) yield* splitVma(k, t, v, end);
  return mm.vmas.filter((v) => v.start >= start && v.end <= end);
}

/**
 * Tears down VMAs already detached from their mm (`unmap_region` then `remove_vma`): zap, unlink
 * from `i_mmap` (`free_pgtables` → `unlink_file_vma`), flush the TLB and drop the gathered
 * references (`tlb_finish_mmu`), then `vm_ops->close` and `fput`.
 */
function* unmapRegion(k: Kernel, t: Task, vmas: readonly Vma[]): KGen {
  const tlb = new MmuGather();
  for (const v of vmas) yield* zapRange(k, t, tlb, v, v.start, v.end);
  for (const v of vmas) v.file?.mapping.iMmap.delete(v);
  yield PREEMPT; // the window between the zap and the flush (the tlb-gather-window scenario)
  yield* tlb.finish(k, t);
  for (const v of vmas) yield* removeVma(k, t, v);
}

/** The `munmap` system call (see `munmapCall`); a pending SIGKILL is acted on at its return. */
export function* munmap(k: Kernel, t: Task, mm: Mm, addr: number, length: number): KGen<number> {
  return yield* syscall(t, munmapCall(k, t, mm, addr, length));
}

/** `munmap()` → `do_vmi_munmap()`. Returns 0 or a negative errno. */
function* munmapCall(k: Kernel, t: Task, mm: Mm, addr: number, length: number): KGen<number> {
  checkAddr('munmap', addr);
  checkLen('munmap', length);
  yield* mm.mmapLock.downWrite(t);
  try {
    const inside = yield* splitAround(k, t, mm, addr, addr + length);
    for (const v of inside) mm.unlink(v);
    yield* unmapRegion(k, t, inside);
    return 0;
  } finally {
    mm.mmapLock.upWrite(t);
  }
}

/**
 * `is_mergeable_vma()`: same file, flags and contiguous offsets, and no `vm_ops->close` (VMAs
 * with `->close` never merged up to v6.5 — the coarse-pin design of seed 001 relies on it; v6.12
 * refuses only merges that would delete such a VMA). DAX VMAs of the mainline designs merge.
 */
export function vmaMergeable(k: Kernel, a: Vma, b: Vma): boolean {
  if (a.end !== b.start || a.flags !== b.flags || a.file !== b.file || a.anon !== b.anon) return false;
  if (a.file !== null && a.pgoff + (a.end - a.start) / PAGE_SIZE !== b.pgoff) return false;
  if (a.isFsdax && k.policy?.caps.vmaOpenClose) return false;
  return true;
}

/** The `mprotect` system call (see `mprotectCall`); a pending SIGKILL is acted on at its return. */
export function* mprotect(
  k: Kernel,
  t: Task,
  mm: Mm,
  addr: number,
  length: number,
  prot: { read?: boolean; write?: boolean },
): KGen<number> {
  return yield* syscall(t, mprotectCall(k, t, mm, addr, length, prot));
}

/**
 * `mprotect()`: splits at the range's ends, changes the flags, write-protects the leaves when
 * write is removed (`change_protection`), and merges with neighbours where allowed (`vma_merge`
 * frees the merged-away VMA with no `->close`).
 */
function* mprotectCall(
  k: Kernel,
  t: Task,
  mm: Mm,
  addr: number,
  length: number,
  prot: { read?: boolean; write?: boolean },
): KGen<number> {
  checkAddr('mprotect', addr);
  checkLen('mprotect', length);
  yield* mm.mmapLock.downWrite(t);
  try {
    const inside = yield* splitAround(k, t, mm, addr, addr + length);
    if (inside.reduce((n, v) => n + v.end - v.start, 0) !== length) return -Errno.ENOMEM;
    const want = ((prot.read ?? true) ? VM_READ : 0) | (prot.write ? VM_WRITE : 0);
    for (const v of inside) {
      v.flags = (v.flags & ~(VM_READ | VM_WRITE)) | want;
      if (!prot.write)
        for (const l of mm.pt.leaves(v.start, v.end)) mm.pt.setBits(l.start, l.bits & ~PTE_WRITE);
    }
    // vma_merge(): absorb the next VMA into the previous one.
    for (let i = 0; i + 1 < mm.vmas.length; ) {
      const a = mm.vmas[i]!;
      const b = mm.vmas[i + 1]!;
      if (vmaMergeable(k, a, b)) {
        a.end = b.end;
        mm.unlink(b);
        b.dead = true;
        if (b.file !== null) {
          b.file.mapping.iMmap.delete(b);
          yield* b.file.put(k, t);
        }
      } else i++;
    }
    return 0;
  } finally {
    mm.mmapLock.upWrite(t);
  }
}

/**
 * `fork()` → `dup_mmap()`: every VMA is duplicated and gets `vm_ops->open`. Page tables are
 * copied only where `vma_needs_copy()` says a fault could not refill them (an `anon_vma`): a
 * MAP_SHARED DAX mapping is refaulted by the child, and `copy_huge_pmd()` skips file PMDs. A
 * copied refcounted page gets `folio_get` + `folio_dup_file_rmap_pte`; anonymous pages are
 * shared copy-on-write (both write-protected).
 */
export function* fork(k: Kernel, t: Task, parent: Mm): KGen<Mm> {
  const child = new Mm(k.allocId());
  yield* parent.mmapLock.downWrite(t);
  try {
    for (const v of parent.vmas) {
      const nv = new Vma(k.allocId(), child, v.start, v.end, v.flags, v.file, v.pgoff);
      nv.anon = v.anon;
      child.link(nv);
      vmOpen(k, t, nv);
      if (!v.anon) continue; // vma_needs_copy() == false
      for (const l of parent.pt.leaves(v.start, v.end)) {
        if (l.level !== 'pte' && v.file !== null) continue; // copy_huge_pmd: "Skip if can be re-fill on fault"
        let bits = l.bits;
        if (!(bits & (PTE_SPECIAL | PTE_DEVMAP))) {
          getPage(k, t, l.pfn);
          rmapAdd(k, l.pfn, l.level);
        }
        if (!(v.flags & VM_SHARED)) {
          bits &= ~PTE_WRITE; // copy-on-write
          parent.pt.setBits(l.start, bits);
        }
        child.pt.set(l.start, l.level, l.pfn, bits);
        child.rss += levelPages(l.level);
      }
    }
  } finally {
    parent.mmapLock.upWrite(t);
  }
  return child;
}

/**
 * `mremap()` with MREMAP_MAYMOVE: shrinking unmaps the tail; growing moves the mapping to a new
 * range (`copy_vma`, which calls `vm_ops->open` on the copy, then `move_page_tables`, then the
 * old range is unmapped with `->close`). Returns the new address or a negative errno.
 */
export function* mremap(
  k: Kernel,
  t: Task,
  mm: Mm,
  addr: number,
  oldLen: number,
  newLen: number,
): KGen<number> {
  checkAddr('mremap', addr);
  checkLen('mremap', oldLen);
  checkLen('mremap', newLen);
  if (newLen <= oldLen) {
    if (newLen < oldLen) {
      const r = yield* munmap(k, t, mm, addr + newLen, oldLen - newLen);
      if (r < 0) return r;
    }
    return addr;
  }
  yield* mm.mmapLock.downWrite(t);
  let old: Vma[];
  let to: number;
  try {
    old = yield* splitAround(k, t, mm, addr, addr + oldLen);
    if (old.length !== 1 || old[0]!.end - old[0]!.start !== oldLen) return -Errno.EFAULT;
    const v = old[0]!;
    to = mm.unmappedArea(newLen);
    const nv = new Vma(k.allocId(), mm, to, to + newLen, v.flags, v.file, v.pgoff);
    nv.anon = v.anon;
    mm.link(nv);
    vmOpen(k, t, nv);
    mm.pt.move(v.start, to, oldLen);
    mm.unlink(v);
  } finally {
    mm.mmapLock.upWrite(t);
  }
  yield* mm.mmapLock.downWrite(t);
  try {
    yield* unmapRegion(k, t, old); // the page tables moved: only ->close and fput remain
  } finally {
    mm.mmapLock.upWrite(t);
  }
  return to;
}

/**
 * `madvise(MADV_DONTNEED)` → `zap_page_range_single()`: zaps the range's leaves (the VMAs
 * stay), flushing the TLB and dropping the gathered references before it returns.
 */
export function* madviseDontneed(k: Kernel, t: Task, mm: Mm, addr: number, length: number): KGen<number> {
  checkAddr('madvise', addr);
  checkLen('madvise', length);
  yield* mm.mmapLock.downRead(t);
  try {
    const tlb = new MmuGather();
    for (const v of mm.vmas)
      if (v.start < addr + length && addr < v.end) yield* zapRange(k, t, tlb, v, addr, addr + length);
    yield* tlb.finish(k, t);
    return 0;
  } finally {
    mm.mmapLock.upRead(t);
  }
}

/** `exit_mmap()`: the process is gone; every VMA is zapped and removed. */
export function* exitMmap(k: Kernel, t: Task, mm: Mm): KGen {
  if (mm.dead) return;
  yield* mm.mmapLock.downWrite(t);
  try {
    const all = mm.vmas.splice(0);
    yield* unmapRegion(k, t, all);
    mm.dead = true;
  } finally {
    mm.mmapLock.upWrite(t);
  }
}

/** Creates an empty address space (`mm_alloc`). */
export function createMm(k: Kernel): Mm {
  return new Mm(k.allocId());
}

export { VM_DAX, VM_HUGEPAGE, VM_READ, VM_SHARED, VM_WRITE };
