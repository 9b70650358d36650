import {
  AddressSpace,
  type DaxDevice,
  Errno,
  folioPutRefs,
  insertFileLeaf,
  type Kernel,
  type KGen,
  levelPages,
  levelSize,
  type Mm,
  mmap,
  munmap,
  PREEMPT,
  type PtLevel,
  type Task,
  trackFootprintClasses,
  VM_FAULT_FALLBACK,
  VM_FAULT_NOPAGE,
  VM_FAULT_SIGBUS,
  type Vma,
  type VmFile,
} from '@daxref/core';
import type { PmemNamespace } from './bus';
import { ENXIO } from './constants';
import { HwPmemError } from './errors';

const ORDER_OF: Record<PtLevel, number> = { pte: 0, pmd: 9, pud: 18 };

/**
 * The device-dax character device `/dev/daxR.N` (drivers/dax/device.c) as a mappable file:
 * faults hand out the namespace's pfns at exactly its alignment (`dev_dax_huge_fault`), and
 * `kill_dev_dax` revokes every mapping at unbind.
 */
export class DeviceDaxFile implements VmFile {
  readonly id: number;
  readonly name: string;
  /** The inode's `i_mapping`: the VMAs that map the device (`unmap_mapping_range` target). */
  readonly mapping: AddressSpace;
  /** `vma_is_dax()` is true for device-dax (the inode has `S_DAX`). */
  readonly dax = true;
  /** …but `vma_is_fsdax()` is false: no filesystem, no FSDAX pin restrictions, no fsdax `vm_ops`. */
  readonly devdax = true;
  readonly ns: PmemNamespace;
  readonly daxDev: DaxDevice;
  /** Open file references (descriptors and VMAs). */
  refs = 0;
  /** Faults that returned SIGBUS (dead device, alignment larger than the fault). */
  sigbusFaults = 0;
  /** DAX entries a design's `devDaxAssociate` made (index → pfn and order), removed at `kill_dev_dax`. */
  readonly entries = new Map<number, { pfn: number; order: number }>();

  constructor(k: Kernel, name: string, ns: PmemNamespace, daxDev: DaxDevice) {
    this.name = name;
    this.ns = ns;
    this.daxDev = daxDev;
    this.id = k.allocId();
    this.mapping = new AddressSpace(k.allocId(), this.id);
  }

  /** `get_file()`. */
  get(): void {
    this.refs++;
  }

  /** `fput()`. */
  *put(k: Kernel, t: Task): KGen {
    if (--this.refs < 0) throw new HwPmemError('BAD_STATE', this.name, 'more puts than gets');
  }

  /**
   * `dev_dax_huge_fault()` → `__dev_dax_pte_fault` / `__dev_dax_pmd_fault` / `__dev_dax_pud_fault`
   * under `dax_read_lock()`: SIGBUS once the device is dead (`check_vma`) or when the alignment
   * is larger than the fault; FALLBACK when it is smaller or the huge page would leave the VMA;
   * else `dax_pgoff_to_phys`, `dax_set_mapping` and the insert.
   */
  *fault(k: Kernel, t: Task, vma: Vma, addr: number, write: boolean, level: PtLevel): KGen<number> {
    yield PREEMPT; // before dax_read_lock(): the rest is one SRCU read section that kill_dax waits out
    return this.faultLocked(k, t, vma, addr, write, level);
  }

  private faultLocked(k: Kernel, t: Task, vma: Vma, addr: number, write: boolean, level: PtLevel): number {
    if (!this.daxDev.alive || !this.ns.region.media.present()) return this.sigbus(); // check_vma: !dax_alive()
    const size = levelSize(level);
    const align = this.ns.align;
    if (align > size) return this.sigbus(); // "alignment (%#lx) > fault size (%#x)"
    if (align < size) return VM_FAULT_FALLBACK;
    const base = addr - (addr % size);
    if (base < vma.start || base + size > vma.end) return VM_FAULT_FALLBACK;
    const pgoff = vma.pageIndex(base);
    const nr = levelPages(level);
    if (pgoff + nr > this.daxDev.nrPages) return this.sigbus(); // dax_pgoff_to_phys() == -1
    const pfn = this.daxDev.directAccess(pgoff);
    if (pfn < 0) return this.sigbus();
    const mm = k.memmap;
    const caps = k.policy?.caps;
    const order = ORDER_OF[level];
    // 6.15 dev_dax_probe sets pgmap->vmemmap_shift, so memmap_init_zone_device makes folios of
    // the alignment at probe; the model builds each one when it is first faulted (same state,
    // memory only for what was touched).
    // dan-2022 associates device-dax per folio through its DAX entries, so its folios are
    // compound too (vmemmap_shift has existed since v5.17).
    const compound = caps?.compoundFolios === true || k.policy?.devDaxAssociate !== undefined;
    if (compound && order > 0 && !mm.isLarge(pfn)) mm.prepCompound(pfn, order);
    const policy = k.policy;
    if (policy?.devDaxAssociate !== undefined) {
      // dan-2022: dax_grab_mapping_entry() + dax_insert_entry(): the entry holds a page reference.
      if (!this.entries.has(pgoff)) {
        const rc = policy.devDaxAssociate(k, t, this.mapping, pgoff, pfn, order);
        if (rc !== 0) return rc;
        this.entries.set(pgoff, { pfn, order });
      }
    } else if (mm.mapping(pfn) === 0) {
      // dax_set_mapping(): folio->mapping / index, if not set yet.
      mm.setMapping(pfn, this.mapping.id);
      mm.setIndex(pfn, pgoff);
    }
    const head = mm.compoundHead(pfn);
    // 6.15 __dev_dax_pte_fault() → vmf_insert_page_mkwrite() takes no temporary hold: device-dax
    // pages stay at refcount 1 (MEMORY_DEVICE_GENERIC keeps init_page_count()). [I] A design
    // whose device-dax pages idle at 0 is held across the insert as fs/dax.c dax_fault_iter does,
    // so it does not see folio_get() on a zero count.
    const hold = caps?.mapHoldsRef === true && mm.refcount(head) === 0;
    if (hold) mm.refAdd(head, 1);
    insertFileLeaf(k, t, vma, addr, pfn, level, write);
    if (hold) folioPutRefs(k, t, head, 1);
    return VM_FAULT_NOPAGE;
  }

  /**
   * `kill_dev_dax()` after the mappings are zapped: deletes the DAX entries a design made
   * (`dax_delete_mapping_entry`), dropping the references they hold.
   */
  deleteEntries(k: Kernel, t: Task): void {
    const policy = k.policy;
    for (const [index, e] of [...this.entries].sort((a, b) => a[0] - b[0])) {
      policy?.devDaxDisassociate?.(k, t, this.mapping, index, e.pfn, e.order);
    }
    this.entries.clear();
  }

  private sigbus(): number {
    this.sigbusFaults++;
    return VM_FAULT_SIGBUS;
  }
}

/** Options of `devDaxMmap`. */
export interface DevDaxMmapOptions {
  /** Bytes; a multiple of the namespace alignment. */
  length: number;
  /** Offset in the device, bytes; a multiple of the alignment. Default 0. */
  offset?: number;
  /** PROT_WRITE. Default true. */
  write?: boolean;
  /** MAP_SHARED (device-dax refuses private mappings). Default true. */
  shared?: boolean;
}

/**
 * `mmap()` of /dev/dax: `dax_mmap` → `check_vma` refuses a dead device (-ENXIO), a private
 * mapping and a range not aligned to the device's alignment (-EINVAL); `dax_get_unmapped_area`
 * aligns the address. Returns the address or a negative errno.
 */
export function* devDaxMmap(
  k: Kernel,
  t: Task,
  mm: Mm,
  file: DeviceDaxFile,
  opts: DevDaxMmapOptions,
): KGen<number> {
  const align = file.ns.align;
  const offset = opts.offset ?? 0;
  if (!file.daxDev.alive) return -ENXIO;
  if (opts.shared === false) return -Errno.EINVAL; // "private mapping not supported"
  if (opts.length <= 0 || opts.length % align !== 0 || offset % align !== 0) return -Errno.EINVAL;
  const addr = yield* mmap(k, t, mm, {
    file,
    length: opts.length,
    offset,
    shared: true,
    write: opts.write ?? true,
  });
  if (addr < 0) return addr;
  if (addr % align !== 0) {
    yield* munmap(k, t, mm, addr, opts.length);
    return -Errno.EINVAL;
  }
  return addr;
}

// Shared objects a step touches: DFS footprints track them (two steps on the same one never commute).
trackFootprintClasses([DeviceDaxFile]);
