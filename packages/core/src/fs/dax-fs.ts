import {
  Errno,
  PAGE_SIZE,
  VM_FAULT_FALLBACK,
  VM_FAULT_NOPAGE,
  VM_FAULT_OOM,
  VM_FAULT_SIGBUS,
} from '../constants';
import { FREE_OWNER } from '../device';
import { DaxrefError } from '../errors';
import type { Kernel } from '../kernel';
import { PG_HWPOISON } from '../memmap';
import { insertFileLeaf, unmapMappingPages, zapLeaf } from '../mm/memory';
import { MmuGather } from '../mm/mmu-gather';
import { folioPutRefs, structPageGone, structPageLive } from '../mm/page-ref';
import type { PtLevel } from '../mm/page-table';
import { PTE_DIRTY, PTE_WRITE, PTE_YOUNG } from '../mm/page-table';
import { VM_SHARED, type Vma, type VmFile } from '../mm/vma';
import { syscall } from '../sched/signal';
import { RwSem } from '../sched/sync';
import { BLOCK, type KGen, PREEMPT, type Task } from '../sched/task';
import { AddressSpace, DaxEntry } from './address-space';
import type { DaxDevice, DaxHolder } from './dax-device';

const ORDER_OF: Record<PtLevel, number> = { pte: 0, pmd: 9, pud: 18 };

/**
 * The filesystem's block allocator: freed blocks go on a LIFO list and are handed out again
 * first, so a reuse bug surfaces at once. Blocks carry a share count (reflink). Owner tags on
 * the media say which inode a block belongs to, for the `dma-corruption` check.
 */
export class BlockAllocator {
  private readonly dax: DaxDevice;
  private readonly free: number[] = [];
  private next = 0;
  private gen = 0;
  /** Share count of each allocated block (1 = private, 2+ = reflinked). */
  readonly refs = new Map<number, number>();

  constructor(dax: DaxDevice) {
    this.dax = dax;
  }

  /** Allocates one block for inode `ino`; -1 when full. */
  alloc(ino: number): number {
    let b = this.free.pop();
    if (b === undefined) {
      if (this.next >= this.dax.nrPages) return -1;
      b = this.next++;
    }
    this.take(b, ino);
    return b;
  }

  /**
   * Allocates `n` contiguous blocks whose first pfn is aligned to `n` pages (a PMD extent:
   * xfs's extent-size hint for DAX); -1 when it cannot.
   */
  allocAligned(ino: number, n: number): number {
    const base = this.dax.media.startPfn;
    const start = Math.ceil((base + this.next) / n) * n - base;
    if (start + n > this.dax.nrPages) return -1;
    for (let b = this.next; b < start; b++) this.free.unshift(b);
    this.next = start + n;
    for (let b = start; b < start + n; b++) this.take(b, ino);
    return start;
  }

  private take(b: number, ino: number): void {
    this.refs.set(b, 1);
    this.dax.media.setOwnerTag(this.dax.media.startPfn + b, { file: ino, gen: ++this.gen });
  }

  /** Shares an allocated block once more (reflink). */
  share(b: number): void {
    this.refs.set(b, (this.refs.get(b) ?? 0) + 1);
  }

  /** The block's share count (0 = free). */
  shareCount(b: number): number {
    return this.refs.get(b) ?? 0;
  }

  /** Drops one share; at zero the block is free, its owner tag cleared and its poison cleared. */
  release(b: number): void {
    const n = (this.refs.get(b) ?? 0) - 1;
    if (n < 0) throw new DaxrefError('BAD_STATE', 'xfs', `block ${b} freed twice`);
    if (n > 0) {
      this.refs.set(b, n);
      return;
    }
    this.refs.delete(b);
    const pfn = this.dax.media.startPfn + b;
    this.dax.media.setOwnerTag(pfn, FREE_OWNER);
    this.dax.media.clearPoison(pfn); // freed blocks are zeroed before reuse (dax_zero_range → pmem_clear_poison)
    this.free.push(b);
  }

  /** Blocks in use. */
  get used(): number {
    return this.refs.size;
  }
}

/** An inode of the DAX filesystem; as an open file it is what `mmap` maps. */
export class Inode implements VmFile {
  readonly fs: DaxFs;
  readonly ino: number;
  readonly id: number;
  readonly mapping: AddressSpace;
  readonly dax = true;
  /** `i_size` in bytes. */
  size = 0;
  nlink = 1;
  /** Open file references: descriptors and VMAs (`f_count` folded into the inode). */
  refs = 0;
  /** File page index → block. */
  readonly blocks = new Map<number, number>();
  /** `XFS_MMAPLOCK` / `mapping->invalidate_lock`. */
  readonly mmapLock: RwSem;
  /** `XFS_IOLOCK` / `i_rwsem`. */
  readonly iolock: RwSem;
  evicted = false;
  readonly name: string;
  /** The file lease (`F_SETLEASE`), held by a task, for long-term pins (DOMAIN §5). */
  lease: Task | null = null;

  constructor(fs: DaxFs, ino: number, mappingId: number, name: string) {
    this.fs = fs;
    this.ino = ino;
    this.id = ino;
    this.name = name;
    this.mapping = new AddressSpace(mappingId, ino);
    this.mmapLock = new RwSem(`MMAPLOCK(${name})`);
    this.iolock = new RwSem(`IOLOCK(${name})`);
  }

  get(): void {
    this.refs++;
  }

  *put(k: Kernel, t: Task): KGen {
    if (--this.refs < 0) throw new DaxrefError('BAD_STATE', 'fput', `${this.name}: more puts than gets`);
    if (this.refs === 0 && this.nlink === 0) yield* this.fs.evict(k, t, this);
  }

  fault(k: Kernel, t: Task, vma: Vma, addr: number, write: boolean, level: PtLevel): KGen<number> {
    return this.fs.daxFault(k, t, this, vma, addr, write, level);
  }

  /** The pfn holding file page `index`, or -1 for a hole. */
  pfnOf(index: number): number {
    const b = this.blocks.get(index);
    return b === undefined ? -1 : this.fs.dax.media.startPfn + b;
  }
}

/** Options of a DAX filesystem. */
export interface DaxFsOptions {
  /** Name for messages. Default `xfs`. */
  name?: string;
  /** Lease-break time in ticks (default 1000). */
  leaseBreakTicks?: number;
  /**
   * `mkfs.xfs -m rmapbt=1`: the reverse-mapping btree that `xfs_dax_notify_failure()` needs to
   * find a failed block's owners (without it: -EOPNOTSUPP, nobody is told). Default true.
   */
  rmapbt?: boolean;
  /** Allocation groups (`mkfs.xfs -d agcount=`). Default 1. */
  agCount?: number;
  /**
   * `->evict_inode` runs `dax_break_layout_final()` where the design has it (6.15 xfs, ext4).
   * False is 6.15.0's FUSE / virtiofs `fuse_evict_inode()`, which did not ("fuse: ensure all
   * DAX pages are idle prior to filesystem unmount", Haiyue Wang, 2025). Default true.
   */
  evictBreaksLayouts?: boolean;
}

/**
 * What xfs's pre-remove notification (`kill_dax()` → `dax_holder_notify_failure(MF_MEM_PRE_REMOVE)`
 * → `xfs_dax_notify_failure()`) does on this filesystem under this kernel. The one place that
 * decides it:
 * - `unsupported`: no rmapbt: `xfs_dax_notify_failure()` returns -EOPNOTSUPP ("notify_failure()
 *   needs rmapbt enabled!"); no kill, no shutdown, mappers keep stale PTEs into the memory
 *   `memunmap_pages()` removes (real 6.1/6.12: a read returns old data; 6.18/7.3: the write
 *   fault oopses in `do_wp_page`).
 * - `livelock`: xfs ≥ 6.14 with more than one AG: `rm_startblock + 1` wraps in 32 bits
 *   (`xfs_dax_notify_dev_failure`), `xfs_failure_pgcnt()` becomes ~2^32 and
 *   `mf_dax_kill_procs()` walks it one index at a time (real 6.18.15 / 7.3.4: the mapper is
 *   killed, then unbind never returns).
 * - `kill`: freeze, `mf_dax_kill_procs(MF_MEM_PRE_REMOVE)` (SIGBUS to every mapper),
 *   invalidate, `xfs_force_shutdown(SHUTDOWN_FORCE_UMOUNT)` (real 6.12 with rmapbt).
 */
export type PreRemoveOutcome = 'unsupported' | 'kill' | 'livelock';

/** Decides the `PreRemoveOutcome` for a filesystem (see there). */
export function xfsPreRemoveOutcome(k: Kernel, fs: DaxFs): PreRemoveOutcome {
  if (!fs.rmapbt) return 'unsupported';
  if (k.needPolicy('xfs_dax_notify_failure').caps.xfsNotifyRangeWraps === true && fs.agCount > 1)
    return 'livelock';
  return 'kill';
}

/**
 * A DAX filesystem in the shape of xfs on fsdax (fs/xfs, fs/dax.c): inodes, extents on the
 * pmem blocks, the DAX entry xarray with entry locks, faults at 4 KiB / 2 MiB / 1 GiB,
 * truncate and hole punch through `break_layouts`, evict, unmount and reflink.
 */
export class DaxFs implements DaxHolder {
  readonly k: Kernel;
  readonly dax: DaxDevice;
  readonly name: string;
  readonly inodes = new Map<number, Inode>();
  readonly byName = new Map<string, Inode>();
  readonly alloc: BlockAllocator;
  mounted = true;
  /** `/proc/sys/fs/lease-break-time` in scheduler ticks: how long a lease holder has to let go. */
  leaseBreakTicks: number;
  /** The reverse-mapping btree is on (`-m rmapbt=1`). */
  readonly rmapbt: boolean;
  /** Allocation groups. */
  readonly agCount: number;
  /** `->evict_inode` calls `dax_break_layout_final()` (false: 6.15.0 FUSE / virtiofs). */
  readonly evictBreaksLayouts: boolean;
  /** `xfs_force_shutdown()` ran (pre-remove, or the block device died). */
  shutdown = false;

  constructor(k: Kernel, dax: DaxDevice, opts: DaxFsOptions = {}) {
    this.leaseBreakTicks = opts.leaseBreakTicks ?? 1000;
    this.rmapbt = opts.rmapbt ?? true;
    this.agCount = opts.agCount ?? 1;
    this.evictBreaksLayouts = opts.evictBreaksLayouts ?? true;
    if (!Number.isInteger(this.agCount) || this.agCount < 1)
      throw new DaxrefError('BAD_ARGUMENT', 'xfs', `agCount must be a positive integer, got ${opts.agCount}`);
    this.k = k;
    this.dax = dax;
    this.name = opts.name ?? 'xfs';
    this.alloc = new BlockAllocator(dax);
    dax.holder = this;
  }

  private live(what: string): void {
    if (!this.mounted) throw new DaxrefError('BAD_STATE', this.name, `${what} on an unmounted filesystem`);
  }

  /** `open(O_CREAT)`: a new empty file, returned open (one reference). */
  create(name: string, size = 0): Inode {
    this.live('create');
    if (this.byName.has(name)) throw new DaxrefError('BAD_ARGUMENT', this.name, `file ${name} exists`);
    const ino = this.k.allocId();
    const inode = new Inode(this, ino, this.k.allocId(), name);
    inode.size = size;
    inode.refs = 1;
    this.inodes.set(ino, inode);
    this.byName.set(name, inode);
    return inode;
  }

  /** `open()` of an existing file: one more reference. */
  open(name: string): Inode {
    this.live('open');
    const inode = this.byName.get(name);
    if (inode === undefined) throw new DaxrefError('BAD_ARGUMENT', this.name, `no file named ${name}`);
    inode.refs++;
    return inode;
  }

  /** `close()`: drops a reference; the last one of an unlinked file evicts it. */
  *close(k: Kernel, t: Task, inode: Inode): KGen {
    yield* inode.put(k, t);
  }

  /** `unlink()`: drops the name; the inode goes when its last reference does. */
  *unlink(k: Kernel, t: Task, inode: Inode): KGen {
    if (inode.nlink === 0) throw new DaxrefError('BAD_STATE', this.name, `${inode.name} is already unlinked`);
    inode.nlink = 0;
    this.byName.delete(inode.name);
    if (inode.refs === 0) yield* this.evict(k, t, inode);
  }

  // ---- the DAX entry xarray (fs/dax.c) -----------------------------------------------------

  /**
   * `grab_mapping_entry()`: returns the entry at `index` locked, waiting while another task
   * holds it (`wait_entry_unlocked`), or creates an empty locked one. Null means fall back
   * (a PMD fault over PTE entries).
   */
  private *grabMappingEntry(
    k: Kernel,
    t: Task,
    m: AddressSpace,
    index: number,
    order: number,
  ): KGen<DaxEntry | null> {
    for (;;) {
      const e = m.lookup(index);
      if (e !== undefined) {
        // get_next_unlocked_entry(): a PTE entry where a PMD is wanted falls back at once,
        // before any wait on its lock.
        if (e.order < order) return null;
        if (e.locked) {
          const key = m.entryKey(e.index);
          yield* k.waits.wait(t, key, () => !e.locked || e.deleted, `DAX entry ${m.id}:${e.index}`, {
            kind: 'entry',
            fn: 'wait_entry_unlocked',
          });
          continue;
        }
        if (e.zero && e.order > order) {
          // pmd_downgrade: a PTE fault over a huge-zero PMD entry unmaps and drops it, then
          // starts again with a PTE entry.
          e.locked = true;
          yield* unmapMappingPages(k, t, { mapping: m }, e.index, e.nrPages);
          m.entries.delete(e.index);
          e.deleted = true;
          e.locked = false;
          k.waits.wake(m.entryKey(e.index)); // dax_wake_entry(WAKE_ALL)
          continue;
        }
        e.locked = true;
        return e;
      }
      if (order > 0 && m.range(index, index + 2 ** order).length > 0) return null;
      const fresh = new DaxEntry(index, -1, order, false);
      fresh.locked = true;
      m.entries.set(index, fresh);
      return fresh;
    }
  }

  /** `dax_unlock_entry()` → `dax_wake_entry()`. An empty entry nobody filled is dropped. */
  private unlockEntry(k: Kernel, m: AddressSpace, e: DaxEntry): void {
    e.locked = false;
    if (!e.associated && !e.zero) {
      m.entries.delete(e.index);
      e.deleted = true;
    }
    k.waits.wake(m.entryKey(e.index));
  }

  /**
   * `dax_insert_entry()`: a zero-page entry is unmapped first; an empty, zero or shared entry is
   * (re)associated with the pfn through the design's `dax_associate_entry`; `pfn` is the entry's
   * first pfn. Returns 0 or a `VM_FAULT_*` code.
   */
  private *insertEntry(
    k: Kernel,
    t: Task,
    inode: Inode,
    e: DaxEntry,
    pfn: number,
    shared: boolean,
    cow: boolean,
  ): KGen<number> {
    const m = inode.mapping;
    const policy = k.needPolicy('dax_insert_entry');
    if (e.zero) yield* unmapMappingPages(k, t, inode, e.index, e.nrPages);
    // Only a zero, empty or shared entry is (re)associated; a PTE fault that finds a PMD entry
    // leaves it alone and maps its subpage ("we will just leave the PMD in the tree"). [I] A CoW
    // write moves the entry to the copy's pfn the same way.
    if (shared || cow || e.zero || !e.associated) {
      if (e.associated && !e.zero) policy.daxDisassociateEntry(k, t, m, e.index, e.pfn, e.order, false);
      e.associated = false;
      const r = policy.daxAssociateEntry(k, t, m, e.index, pfn, e.order, shared);
      if (r !== 0) return r;
      e.pfn = pfn;
      e.zero = false;
      e.associated = true;
    }
    return 0;
  }

  /**
   * `dax_iomap_fault()` → `dax_iomap_pte_fault` / `dax_iomap_pmd_fault` under
   * `XFS_MMAPLOCK_SHARED` (`xfs_dax_fault_locked`): lock the entry, map the blocks (allocating
   * on a write; a read of a hole maps the zero page), CoW a shared block on write, insert the
   * entry and the page-table leaf. Returns a `VM_FAULT_*` set.
   */
  *daxFault(
    k: Kernel,
    t: Task,
    inode: Inode,
    vma: Vma,
    addr: number,
    write: boolean,
    level: PtLevel,
  ): KGen<number> {
    if (inode.evicted) return VM_FAULT_SIGBUS;
    yield* inode.mmapLock.downRead(t);
    let e: DaxEntry | null = null;
    try {
      // dax_iomap_fault(): fsdax has PTE and PMD faults only; a PUD fault falls back.
      if (level === 'pud') return VM_FAULT_FALLBACK;
      const order = ORDER_OF[level];
      const nr = 2 ** order;
      const index = vma.pageIndex(addr) - (vma.pageIndex(addr) % nr);
      const sizePages = Math.ceil(inode.size / PAGE_SIZE);
      if (order === 0 && index >= sizePages) return VM_FAULT_SIGBUS;
      if (order > 0 && index + nr > sizePages) return VM_FAULT_FALLBACK;
      if (!(vma.flags & VM_SHARED) && write) {
        return order > 0 ? VM_FAULT_FALLBACK : yield* this.cowFault(k, t, inode, vma, addr, index);
      }
      e = yield* this.grabMappingEntry(k, t, inode.mapping, index, order);
      if (e === null) return VM_FAULT_FALLBACK;
      yield PREEMPT; // iomap_begin may sleep (xfs_ilock, block allocation) with the entry locked
      if (this.shutdown) return VM_FAULT_SIGBUS; // xfs_*_iomap_begin: xfs_is_shutdown() → -EIO
      // iomap_begin: look the extent up, allocating on a write.
      let block = this.extent(inode, index, nr);
      let cow = false;
      if (block === -2) return VM_FAULT_FALLBACK; // mapped, but not as one aligned extent
      if (block === -1) {
        if (!write) {
          // dax_load_hole() / dax_pmd_load_hole(): a zero entry and a read-only special leaf on
          // the zero page or the huge zero folio.
          const zero = order === 0 ? k.zeroPfn : k.hugeZeroPfn();
          if (!e.associated) {
            e.zero = true;
            e.pfn = zero;
          }
          insertFileLeaf(k, t, vma, addr, zero, level, false, true);
          return VM_FAULT_NOPAGE;
        }
        block = order === 0 ? this.alloc.alloc(inode.ino) : this.alloc.allocAligned(inode.ino, nr);
        if (block < 0) return order > 0 ? VM_FAULT_FALLBACK : VM_FAULT_OOM;
        for (let i = 0; i < nr; i++) inode.blocks.set(index + i, block + i);
      } else if (write && this.alloc.shareCount(block) > 1) {
        cow = true;
        block = this.breakShare(inode, index, nr); // xfs_reflink_allocate_cow + dax_iomap_copy_around
        if (block < 0) return order > 0 ? VM_FAULT_FALLBACK : VM_FAULT_OOM;
        // [I] the copy replaces the shared pfn in this file: its read-only mappings of the old
        // pfn are zapped first (insert_pfn would otherwise keep the stale pfn and WARN).
        yield* unmapMappingPages(k, t, inode, index, nr);
      }
      const pfn = this.dax.directAccess(block);
      if (pfn < 0) return VM_FAULT_SIGBUS; // dax_direct_access() after kill_dax
      if (pfn % nr !== 0) return VM_FAULT_FALLBACK; // dax_iomap_direct_access: a misaligned pfn cannot be a huge leaf
      // IOMAP_F_SHARED on a read fault (v6.2+, "fsdax,xfs: set the shared flag when file extent
      // is shared"). v6.0–6.1 mark only the CoW write fault's new page (`dax_fault_is_cow()` →
      // `dax_mapping_set_cow()`); a read fault of a shared extent associates as unshared and
      // trips WARN_ON_ONCE(page->mapping) (real 6.1.176: fs/dax.c:380).
      const cowOnly = k.needPolicy('dax_fault_is_cow').caps.reflinkCowOnly === true;
      const shared = cowOnly ? cow : !write && this.alloc.shareCount(block) > 1;
      // The entry may be a PMD entry this PTE fault found: its first pfn is the folio's.
      const entryPfn = e.order > order && e.associated ? e.pfn : pfn;
      const r = yield* this.insertEntry(k, t, inode, e, entryPfn, shared, cow);
      if (r !== 0) return r;
      const policy = k.needPolicy('dax_fault_iter');
      const head = k.memmap.compoundHead(pfn);
      if (policy.caps.mapHoldsRef) k.memmap.refAdd(head, 1); // folio_ref_inc(): hold the folio across the insert (no zero check)
      insertFileLeaf(k, t, vma, addr, pfn, level, write);
      if (policy.caps.mapHoldsRef) folioPutRefs(k, t, head, 1); // folio_put()
      return VM_FAULT_NOPAGE;
    } finally {
      if (e !== null) this.unlockEntry(k, inode.mapping, e);
      inode.mmapLock.upRead(t);
    }
  }

  /** A write fault on a MAP_PRIVATE DAX mapping: copy into an anonymous page (`dax_fault_cow_page`). */
  private *cowFault(k: Kernel, t: Task, inode: Inode, vma: Vma, addr: number, index: number): KGen<number> {
    const pfn = k.ram.alloc();
    if (pfn < 0) return VM_FAULT_OOM;
    const src = inode.pfnOf(index);
    if (src >= 0) {
      if (!this.dax.alive) {
        folioPutRefs(k, t, pfn, 1);
        return VM_FAULT_SIGBUS;
      }
      k.ram.bytes(pfn).set(this.dax.media.read(src, 0, PAGE_SIZE));
    }
    const cur = vma.mm.pt.lookup(addr);
    if (cur !== null) {
      const tlb = new MmuGather();
      zapLeaf(k, tlb, vma.mm, cur);
      yield* tlb.finish(k, t);
    }
    vma.anon = true;
    k.memmap.mapcountAdd(pfn, 1);
    vma.mm.pt.set(addr, 'pte', pfn, PTE_WRITE | PTE_DIRTY | PTE_YOUNG);
    vma.mm.rss++;
    return VM_FAULT_NOPAGE;
  }

  /**
   * The block of file pages [index, index+nr): -1 for a hole, -2 when they are not one extent
   * aligned to `nr` (a huge fault then falls back).
   */
  private extent(inode: Inode, index: number, nr: number): number {
    const b0 = inode.blocks.get(index);
    if (nr === 1) return b0 ?? -1;
    if (b0 === undefined) {
      for (let i = 1; i < nr; i++) if (inode.blocks.has(index + i)) return -2;
      return -1;
    }
    if ((this.dax.media.startPfn + b0) % nr !== 0) return -2; // the huge leaf needs an aligned pfn
    for (let i = 1; i < nr; i++) if (inode.blocks.get(index + i) !== b0 + i) return -2;
    return b0;
  }

  /** Copies shared blocks into new private ones (reflink CoW). Returns the new first block. */
  private breakShare(inode: Inode, index: number, nr: number): number {
    const nb = nr === 1 ? this.alloc.alloc(inode.ino) : this.alloc.allocAligned(inode.ino, nr);
    if (nb < 0) return -1;
    const media = this.dax.media;
    for (let i = 0; i < nr; i++) {
      const old = inode.blocks.get(index + i)!;
      media.write(media.startPfn + nb + i, 0, media.read(media.startPfn + old, 0, PAGE_SIZE));
      this.alloc.release(old);
      inode.blocks.set(index + i, nb + i);
    }
    return nb;
  }

  // ---- file leases (fs/locks.c; DOMAIN §5) -----------------------------------------------------

  /** `fcntl(F_SETLEASE, F_WRLCK)`: 0, or -EAGAIN if another task holds the lease. */
  setLease(k: Kernel, t: Task, inode: Inode): number {
    if (inode.lease !== null && inode.lease !== t) return -Errno.EAGAIN;
    inode.lease = t;
    return 0;
  }

  /** `fcntl(F_SETLEASE, F_UNLCK)`: releases the lease and wakes a task breaking it. */
  releaseLease(k: Kernel, t: Task, inode: Inode): void {
    if (inode.lease !== t)
      throw new DaxrefError(
        'BAD_STATE',
        this.name,
        `${t} releases a lease on ${inode.name} it does not hold`,
      );
    inode.lease = null;
    k.waits.wake(this.leaseKey(inode));
  }

  private leaseKey(inode: Inode): string {
    return `lease:${inode.ino}`;
  }

  /**
   * `xfs_break_leased_layouts()` → `__break_lease()`: the holder gets SIGIO and has the
   * lease-break time to release; past it, the proposal of seed 004 kills it (its exit unpins).
   * Called with the IOLOCK held; it is dropped while waiting. [I] xfs_break_layouts() breaks the
   * DAX layouts first and the lease after; with a long-term pin held under a lease (which
   * mainline never grants on FSDAX) that order would sleep on the pinned page before SIGIO is
   * sent, so the lease proposal of DOMAIN §5 breaks the lease first.
   */
  *breakLease(k: Kernel, t: Task, inode: Inode): KGen {
    const holder = inode.lease;
    if (holder === null || holder === t) return;
    k.sched.signal(holder, 'SIGIO'); // lease_break_callback → kill_fasync(SIGIO)
    const key = this.leaseKey(inode);
    const deadline = k.sched.now + this.leaseBreakTicks;
    inode.iolock.upWrite(t);
    while (
      inode.lease === holder &&
      k.sched.now < deadline &&
      holder.state !== 'done' &&
      holder.state !== 'killed'
    ) {
      k.waits.prepare(t, key, () => inode.lease !== holder, `lease on ${inode.name}`, {
        fn: '__break_lease',
      });
      k.sched.armTimer(t, deadline);
      try {
        yield BLOCK;
      } finally {
        k.waits.finish(t, key);
      }
    }
    if (inode.lease === holder) {
      inode.lease = null; // time_out_leases(); the holder is killed (seed 004)
      // The holder acts on SIGKILL on its way back to user space and runs do_exit there.
      if (k.sched.kill(holder))
        yield* k.waits.wait(
          t,
          holder,
          () => holder.state === 'killed' || holder.state === 'done',
          `exit of ${holder.name}`,
          { fn: '__break_lease' },
        );
    }
    yield* inode.iolock.downWrite(t);
  }

  // ---- break_layouts, truncate, hole punch ---------------------------------------------------

  /**
   * `dax_layout_busy_page_range()`: unmaps the range from every VMA (`unmap_mapping_pages`),
   * then returns the first busy folio (the design's test) among its entries, or -1. Pre-6.15
   * designs return at once when `!mapping_mapped()`.
   */
  *layoutBusyPage(k: Kernel, t: Task, inode: Inode, first: number, end: number): KGen<number> {
    const policy = k.needPolicy('dax_layout_busy_page_range');
    const m = inode.mapping;
    if (policy.caps.mappingMappedShortcut && !m.mapped()) return -1;
    yield* unmapMappingPages(k, t, inode, first, end - first);
    const skipsLocked = policy.caps.busyScanSkipsLocked === true;
    for (const e of m.range(first, end)) {
      if (e.locked) {
        // get_unlocked_entry()
        yield* k.waits.wait(
          t,
          m.entryKey(e.index),
          () => !e.locked || e.deleted,
          `DAX entry ${m.id}:${e.index}`,
          { kind: 'entry', fn: 'get_unlocked_entry' },
        );
        if (e.deleted) continue;
        // ≤6.14: get_unlocked_entry() returns the *next* present entry once the lock is
        // released, "so any processing of the original locked entry will be skipped. This can
        // cause dax_layout_busy_page_range() to miss DMA-busy pages" (6be3e21d25ca, 6.15).
        if (skipsLocked) continue;
      }
      if (e.zero || !e.associated) continue;
      // The entry outlived its device (an open inode after unbind): dax_busy_page() reads the
      // refcount of a struct page that memunmap_pages() removed with the device.
      if (structPageGone(k, e.pfn, 'dax_layout_busy_page_range')) continue;
      for (let pfn = e.pfn; pfn < e.pfn + e.nrPages; ) {
        const head = k.memmap.compoundHead(pfn);
        if (policy.layoutPageBusy(k, head)) return head;
        pfn = head + 2 ** k.memmap.folioOrder(head);
      }
    }
    return -1;
  }

  /**
   * `xfs_break_layouts()` → `xfs_break_dax_layouts()` (6.15: `dax_break_layout`): with
   * `MMAPLOCK_EXCL` held, find a busy page and sleep until it is idle, dropping the lock while
   * asleep (`xfs_wait_dax_page`), then retry from the start. Returns 0 with the lock held, or
   * -ERESTARTSYS (lock released) if a signal is pending (TASK_INTERRUPTIBLE).
   */
  *breakLayouts(k: Kernel, t: Task, inode: Inode, first: number, end: number): KGen<number> {
    const policy = k.needPolicy('xfs_break_layouts');
    yield* inode.mmapLock.downWrite(t);
    if (!policy.caps.breakLayouts) return 0; // v4.5: no DMA-vs-truncate wait at all
    for (;;) {
      const page = yield* this.layoutBusyPage(k, t, inode, first, end);
      if (page < 0) {
        // 6.15 dax_break_layout(): `if (!page) dax_delete_mapping_range(mapping, start, end)`.
        if (policy.caps.breakLayoutDeletes === true) yield* this.deleteEntries(k, t, inode, first, end);
        return 0;
      }
      const key = policy.layoutWaitKey(page);
      // After an unbind removed the memory under a sleeping waiter (1-based memunmap_pages() does
      // not wait for page references), no put can wake it (the put is the use-after-free page-ref
      // reports) and its condition would read freed memory: it stays asleep (a `hang`).
      const idle = () => structPageLive(k, page) && policy.layoutPageIdle(k, page);
      // ___wait_var_event(key, idle, TASK_INTERRUPTIBLE, 0, 0, xfs_wait_dax_page(inode)) (6.15:
      // wait_page_idle()): the condition is tested first, then any pending signal ends the wait
      // with -ERESTARTSYS (prepare_to_wait_event), which truncate returns.
      while (!idle()) {
        if (t.signalPending()) {
          inode.mmapLock.upWrite(t);
          return -Errno.ERESTARTSYS;
        }
        k.waits.prepare(t, key, idle, `page 0x${page.toString(16)} idle (${inode.name})`, {
          fn: policy.name === '0based' ? 'wait_page_idle' : 'xfs_break_dax_layouts',
          state: 'interruptible',
          pfn: page,
          predicate: policy.layoutIdleRule ?? 'the page is idle',
        });
        inode.mmapLock.upWrite(t);
        yield BLOCK;
        k.waits.finish(t, key);
        yield* inode.mmapLock.downWrite(t);
      }
    }
  }

  /**
   * `dax_delete_mapping_entry()` for every entry in [first, end): disassociate and erase.
   * `trunc` is true for truncate and evict (`__dax_invalidate_entry(..., trunc)`), false for an
   * invalidation (`invalidate_inode_pages2_range`).
   */
  private *deleteEntries(k: Kernel, t: Task, inode: Inode, first: number, end: number, trunc = true): KGen {
    const policy = k.needPolicy('dax_delete_mapping_entry');
    const m = inode.mapping;
    for (const e of m.range(first, end)) {
      while (e.locked) {
        yield* k.waits.wait(
          t,
          m.entryKey(e.index),
          () => !e.locked || e.deleted,
          `DAX entry ${m.id}:${e.index}`,
          { kind: 'entry', fn: 'get_unlocked_entry' },
        );
      }
      if (e.deleted) continue;
      // an entry that outlived its device: dax_disassociate_entry() reads page->mapping and the
      // refcount of a struct page that memunmap_pages() removed
      if (e.associated && !e.zero && !structPageGone(k, e.pfn, 'dax_disassociate_entry'))
        policy.daxDisassociateEntry(k, t, m, e.index, e.pfn, e.order, trunc);
      m.entries.delete(e.index);
      e.deleted = true;
      k.waits.wake(m.entryKey(e.index)); // put_unlocked_entry(WAKE_ALL)
    }
  }

  /** Frees the blocks of file pages [first, end) (`xfs_itruncate_extents` / `xfs_free_file_space`). */
  private freeBlocks(inode: Inode, first: number, end: number): void {
    for (const [index, b] of [...inode.blocks]) {
      if (index >= first && index < end) {
        inode.blocks.delete(index);
        this.alloc.release(b);
      }
    }
  }

  /** The `truncate` system call (see `truncateCall`): a pending SIGKILL is acted on at its return. */
  *truncate(k: Kernel, t: Task, inode: Inode, newSize: number): KGen<number> {
    return yield* syscall(t, this.truncateCall(k, t, inode, newSize));
  }

  /**
   * `truncate()` → `xfs_vn_setattr_size`: `IOLOCK_EXCL`, `xfs_break_layouts` (MMAPLOCK_EXCL),
   * `truncate_setsize` (unmap, delete the entries past the end), then free the blocks.
   */
  private *truncateCall(k: Kernel, t: Task, inode: Inode, newSize: number): KGen<number> {
    if (!Number.isInteger(newSize) || newSize < 0)
      throw new DaxrefError(
        'BAD_ARGUMENT',
        'truncate',
        `size must be a non-negative integer, got ${newSize}`,
      );
    if (this.shutdown) return -Errno.EIO; // xfs_vn_setattr_size → xfs_vn_change_ok(): xfs_is_shutdown()
    yield* inode.iolock.downWrite(t);
    try {
      const first = Math.ceil(newSize / PAGE_SIZE);
      const end = Math.max(Math.ceil(inode.size / PAGE_SIZE), first);
      if (newSize < inode.size) {
        yield* this.breakLease(k, t, inode);
        // xfs_break_dax_layouts() → dax_layout_busy_page(mapping): the whole file, not the range
        // (6.15: dax_break_layout_inode()).
        const r = yield* this.breakLayouts(k, t, inode, 0, Number.MAX_SAFE_INTEGER);
        if (r < 0) return r;
        try {
          inode.size = newSize;
          yield* unmapMappingPages(k, t, inode, first, end - first);
          yield* this.deleteEntries(k, t, inode, first, end);
          this.freeBlocks(inode, first, end);
        } finally {
          inode.mmapLock.upWrite(t);
        }
      } else {
        inode.size = newSize;
      }
      return 0;
    } finally {
      inode.iolock.upWrite(t);
    }
  }

  /** The `punchHole` system call (see `punchHoleCall`): a pending SIGKILL is acted on at its return. */
  *punchHole(k: Kernel, t: Task, inode: Inode, offset: number, len: number): KGen<number> {
    return yield* syscall(t, this.punchHoleCall(k, t, inode, offset, len));
  }

  /** `fallocate(FALLOC_FL_PUNCH_HOLE)` → `xfs_free_file_space`: the same locking as truncate. */
  private *punchHoleCall(k: Kernel, t: Task, inode: Inode, offset: number, len: number): KGen<number> {
    if (offset % PAGE_SIZE !== 0 || len % PAGE_SIZE !== 0 || len <= 0 || offset < 0) {
      throw new DaxrefError(
        'BAD_ARGUMENT',
        'punch_hole',
        `offset ${offset} and length ${len} must be page aligned, length positive`,
      );
    }
    yield* inode.iolock.downWrite(t);
    try {
      const first = offset / PAGE_SIZE;
      const end = first + len / PAGE_SIZE;
      yield* this.breakLease(k, t, inode);
      // xfs_break_dax_layouts() covers the whole file, not just the hole.
      const r = yield* this.breakLayouts(k, t, inode, 0, Number.MAX_SAFE_INTEGER);
      if (r < 0) return r;
      try {
        yield* unmapMappingPages(k, t, inode, first, end - first);
        yield* this.deleteEntries(k, t, inode, first, end);
        this.freeBlocks(inode, first, end);
      } finally {
        inode.mmapLock.upWrite(t);
      }
      return 0;
    } finally {
      inode.iolock.upWrite(t);
    }
  }

  /**
   * `evict()`: `truncate_inode_pages_final` deletes every entry (1-based: with no wait, so a
   * page still under DMA is disassociated and its block freed; 6.15 first waits in
   * `dax_break_layout_final`, uninterruptibly, without dropping locks), then the blocks are freed.
   */
  *evict(k: Kernel, t: Task, inode: Inode): KGen {
    if (inode.evicted) return;
    const policy = k.needPolicy('evict');
    if (policy.caps.breakLayoutsOnEvict && this.evictBreaksLayouts) {
      for (;;) {
        const page = yield* this.layoutBusyPage(k, t, inode, 0, Number.MAX_SAFE_INTEGER);
        if (page < 0) break;
        // wait_page_idle_uninterruptible()
        yield* k.waits.wait(
          t,
          policy.layoutWaitKey(page),
          () => structPageLive(k, page) && policy.layoutPageIdle(k, page),
          `page 0x${page.toString(16)} idle (evict ${inode.name})`,
          {
            fn: 'wait_page_idle_uninterruptible',
            pfn: page,
            predicate: policy.layoutIdleRule ?? 'the page is idle',
          },
        );
      }
    }
    // 6.15 truncate_folio_batch_exceptionals(): a DAX entry still present at
    // truncate_inode_pages_final() is WARN_ON_ONCE(1), then deleted. xfs / ext4 removed them in
    // dax_break_layout_final(); 6.15.0's fuse_evict_inode() did not (mm/truncate.c:89).
    // The WARN came with the 6.15 series (v8 06/20), as did dax_break_layout()'s delete: the
    // designs with `breakLayoutDeletes` are the ones that have it.
    k.warnOnce(
      policy.caps.breakLayoutDeletes === true && !this.evictBreaksLayouts && inode.mapping.entries.size > 0,
      'truncate_folio_batch_exceptionals: WARN_ON_ONCE(1) (a DAX entry outlived ->evict_inode)',
    );
    yield* this.deleteEntries(k, t, inode, 0, Number.MAX_SAFE_INTEGER);
    if (inode.nlink === 0) this.freeBlocks(inode, 0, Number.MAX_SAFE_INTEGER); // xfs_inactive
    inode.evicted = true;
    this.inodes.delete(inode.ino);
  }

  /** `umount()`: -EBUSY while a file is open or mapped; else every inode is evicted. */
  *unmount(k: Kernel, t: Task): KGen<number> {
    for (const inode of this.inodes.values()) if (inode.refs > 0) return -Errno.EBUSY;
    for (const inode of [...this.inodes.values()]) yield* this.evict(k, t, inode);
    this.mounted = false;
    this.dax.holder = null;
    return 0;
  }

  /**
   * `FICLONE` / `xfs_reflink_remap_range`: `dst` shares `src`'s blocks. Both files' IOLOCK and
   * MMAPLOCK are taken and `dst`'s layouts broken first. -EOPNOTSUPP where the design's kernel
   * refused reflink on DAX (before v5.19).
   */
  *reflink(k: Kernel, t: Task, src: Inode, dst: Inode): KGen<number> {
    if (!k.needPolicy('reflink').caps.reflink) return -Errno.EOPNOTSUPP;
    if (this.shutdown) return -Errno.EIO; // xfs_file_remap_range(): xfs_is_shutdown() → -EIO
    const [a, b] = src.ino < dst.ino ? [src, dst] : [dst, src]; // xfs_lock_two_inodes order
    yield* a.iolock.downWrite(t);
    yield* b.iolock.downWrite(t);
    try {
      const end = Math.max(Math.ceil(dst.size / PAGE_SIZE), 1);
      const r = yield* this.breakLayouts(k, t, dst, 0, end);
      if (r < 0) return r;
      try {
        yield* unmapMappingPages(k, t, dst, 0, end);
        yield* this.deleteEntries(k, t, dst, 0, end);
        this.freeBlocks(dst, 0, Number.MAX_SAFE_INTEGER);
        for (const [index, blk] of src.blocks) {
          this.alloc.share(blk);
          dst.blocks.set(index, blk);
        }
        dst.size = src.size;
      } finally {
        dst.mmapLock.upWrite(t);
      }
      return 0;
    } finally {
      b.iolock.upWrite(t);
      a.iolock.upWrite(t);
    }
  }

  /**
   * `fsync()` → `dax_writeback_mapping_range()` → `dax_writeback_one()` for every entry: the
   * entry is locked (`dax_lock_entry`) across `dax_entry_mkclean()` and `dax_flush()`, both of
   * which may sleep, then unlocked with a wake. [I] The model keeps the entry lock and the sleep
   * point; it does not write-protect the PTEs (no scenario reads the dirty bits after fsync).
   */
  *fsync(k: Kernel, t: Task, inode: Inode): KGen<number> {
    return yield* syscall(t, this.fsyncCall(k, t, inode));
  }

  private *fsyncCall(k: Kernel, t: Task, inode: Inode): KGen<number> {
    const m = inode.mapping;
    for (const e of m.range(0, Number.MAX_SAFE_INTEGER)) {
      while (e.locked) {
        yield* k.waits.wait(
          t,
          m.entryKey(e.index),
          () => !e.locked || e.deleted,
          `DAX entry ${m.id}:${e.index}`,
          {
            kind: 'entry',
            fn: 'dax_writeback_one',
          },
        );
      }
      if (e.deleted || e.zero || !e.associated) continue;
      e.locked = true; // dax_lock_entry()
      try {
        yield PREEMPT; // i_mmap_lock_read / dax_entry_mkclean / dax_flush
      } finally {
        e.locked = false;
        k.waits.wake(m.entryKey(e.index)); // dax_wake_entry(WAKE_NEXT)
      }
    }
    return 0;
  }

  /** The `pwrite` system call (see `pwriteCall`): a pending SIGKILL is acted on at its return. */
  *pwrite(k: Kernel, t: Task, inode: Inode, offset: number, data: Uint8Array): KGen<number> {
    return yield* syscall(t, this.pwriteCall(k, t, inode, offset, data));
  }

  /** `pwrite()` → `dax_iomap_rw`: allocates blocks as needed and copies into the media. */
  private *pwriteCall(k: Kernel, t: Task, inode: Inode, offset: number, data: Uint8Array): KGen<number> {
    yield* inode.iolock.downWrite(t);
    try {
      let done = 0;
      while (done < data.length) {
        const pos = offset + done;
        const index = Math.floor(pos / PAGE_SIZE);
        const off = pos % PAGE_SIZE;
        const n = Math.min(PAGE_SIZE - off, data.length - done);
        let b = inode.blocks.get(index);
        if (b === undefined) {
          b = this.alloc.alloc(inode.ino);
          if (b < 0) return done > 0 ? done : -Errno.ENOSPC;
          inode.blocks.set(index, b);
        } else if (this.alloc.shareCount(b) > 1) {
          b = this.breakShare(inode, index, 1);
          if (b < 0) return -Errno.ENOSPC;
        }
        const pfn = this.dax.directAccess(b);
        if (pfn < 0) return done > 0 ? done : -Errno.EIO;
        if (this.dax.media.isPoisoned(pfn)) return done > 0 ? done : -Errno.EIO;
        this.dax.media.write(pfn, off, data.subarray(done, done + n));
        done += n;
      }
      inode.size = Math.max(inode.size, offset + data.length);
      return done;
    } finally {
      inode.iolock.upWrite(t);
    }
  }

  /** `pread()`: reads through `dax_direct_access`; holes read as zeros; poison is -EIO. */
  *pread(k: Kernel, t: Task, inode: Inode, offset: number, len: number): KGen<Uint8Array | number> {
    yield* inode.iolock.downRead(t);
    try {
      const out = new Uint8Array(Math.max(0, Math.min(len, inode.size - offset)));
      let done = 0;
      while (done < out.length) {
        const pos = offset + done;
        const index = Math.floor(pos / PAGE_SIZE);
        const off = pos % PAGE_SIZE;
        const n = Math.min(PAGE_SIZE - off, out.length - done);
        const b = inode.blocks.get(index);
        if (b !== undefined) {
          const pfn = this.dax.directAccess(b);
          if (pfn < 0 || this.dax.media.isPoisoned(pfn)) return -Errno.EIO;
          out.set(this.dax.media.read(pfn, off, n), done);
        }
        done += n;
      }
      return out;
    } finally {
      inode.iolock.upRead(t);
    }
  }

  /**
   * `xfs_dax_notify_failure()`: on `pre-remove` (unbind, v6.6+) every mapping of the device's
   * files is invalidated (`invalidate_inode_pages2_range`: unmap and drop the entries), so a
   * later access refaults into the dead device and gets SIGBUS. On `poison` the mappers of the
   * failed range are unmapped and signalled (`mf_dax_kill_procs`).
   */
  *notifyFailure(
    k: Kernel,
    t: Task,
    startPfn: number,
    nrPages: number,
    kind: 'pre-remove' | 'poison',
  ): KGen<number> {
    const base = this.dax.media.startPfn;
    const outcome = kind === 'pre-remove' ? xfsPreRemoveOutcome(k, this) : 'kill';
    if (outcome === 'unsupported') return -Errno.EOPNOTSUPP;
    for (const inode of [...this.inodes.values()]) {
      for (const [index, b] of inode.blocks) {
        if (base + b < startPfn || base + b >= startPfn + nrPages) continue;
        yield* unmapMappingPages(k, t, inode, index, 1);
        if (kind === 'pre-remove') {
          // mf_dax_kill_procs(MF_MEM_PRE_REMOVE) → collect_procs_fsdax(pre_remove) → kill_procs:
          // SIGBUS to every task mapping the file.
          for (const v of inode.mapping.iMmap) if (!v.mm.dead) signalMappers(k, v.mm.id);
        }
        if (kind === 'poison') {
          k.memmap.setFlags(base + b, PG_HWPOISON); // mf_dax_kill_procs → SetPageHWPoison
          for (const v of inode.mapping.iMmap) if (!v.mm.dead) signalMappers(k, v.mm.id);
        }
      }
      if (kind === 'pre-remove' && outcome === 'livelock') {
        // A livelock in device teardown, not a sleep: the hang checker reports the unbind as an
        // `unbind-hang` (nothing, not even a signal, ends the ~2^32-page walk).
        yield* k.waits.wait(
          t,
          `xfs-notify-livelock:${this.dax.name}`,
          () => false,
          'xfs_dax_notify_dev_failure: ri_high.rm_startblock + 1 wraps to 0 for a group that is not the last, so mf_dax_kill_procs() walks ~2^32 page indexes (dax_lock_mapping_entry)',
          { fn: 'mf_dax_kill_procs', teardown: true, predicate: 'the walk over ~2^32 pages to end' },
        );
      }
      if (kind === 'pre-remove') {
        yield* inode.mmapLock.downWrite(t);
        try {
          yield* this.deleteEntries(k, t, inode, 0, Number.MAX_SAFE_INTEGER, false);
        } finally {
          inode.mmapLock.upWrite(t);
        }
      }
    }
    if (kind === 'pre-remove') this.shutdown = true; // xfs_force_shutdown(SHUTDOWN_FORCE_UMOUNT)
    return 0;
  }

  /**
   * `fs_bdev_mark_dead()` (6.6+ `fs_holder_ops`, reached from unbind's `del_gendisk()`):
   * `evict_inodes()` evicts every cached inode with no open reference (on 6.15+ through
   * `dax_break_layout_final()`, which waits for a pinned folio: the real 6.18 / 7.3 unbind waits
   * for the DMA), then the filesystem is shut down.
   */
  *bdevMarkDead(k: Kernel, t: Task): KGen {
    for (const inode of [...this.inodes.values()]) if (inode.refs === 0) yield* this.evict(k, t, inode);
    this.shutdown = true;
  }
}

/** Sends SIGBUS to the tasks whose `locals.mm` is the mm with this id (`kill_procs`). */
function signalMappers(k: Kernel, mmId: number): void {
  for (const task of k.sched.tasks) {
    const mm = task.locals.mm as { id: number } | undefined;
    if (mm !== undefined && mm.id === mmId) k.sched.signal(task, 'SIGBUS');
  }
}
