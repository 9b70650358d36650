import type { AddressSpace } from '../fs/address-space';
import type { Kernel } from '../kernel';
import { RwSem } from '../sched/sync';
import type { KGen, Task } from '../sched/task';
import { PageTable, type PtLevel } from './page-table';

/** `VM_READ`. */
export const VM_READ = 1 << 0;
/** `VM_WRITE`. */
export const VM_WRITE = 1 << 1;
/** `VM_SHARED`: MAP_SHARED. */
export const VM_SHARED = 1 << 3;
/** `VM_HUGEPAGE`: set by xfs / ext4 mmap for DAX files (`xfs_file_mmap`). */
export const VM_HUGEPAGE = 1 << 4;
/** The VMA maps a DAX file (`vma_is_dax()`): not a kernel flag, the file's property. */
export const VM_DAX = 1 << 5;

/**
 * A mappable file (`struct file` with its `vm_operations_struct`). The DAX filesystem
 * implements it; the mm calls its fault handler and takes and drops file references.
 */
export interface VmFile {
  readonly id: number;
  /** The page cache (`file->f_mapping`), with the rmap of VMAs mapping it (`i_mmap`). */
  readonly mapping: AddressSpace;
  /** `IS_DAX(inode)`, or a device-dax character device. */
  readonly dax: boolean;
  /** A device-dax character device (`/dev/daxX.Y`), not a file of a DAX filesystem (`vma_is_fsdax()` is false). */
  readonly devdax?: boolean;
  /** `vm_ops->huge_fault` / `->fault` for the leaf size `level`: returns a `VM_FAULT_*` set. */
  fault(k: Kernel, t: Task, vma: Vma, addr: number, write: boolean, level: PtLevel): KGen<number>;
  /** `get_file()`. */
  get(): void;
  /** `fput()`: the last reference may evict the inode. */
  put(k: Kernel, t: Task): KGen;
}

/** `struct vm_area_struct`. */
export class Vma {
  readonly id: number;
  readonly mm: Mm;
  start: number;
  end: number;
  flags: number;
  readonly file: VmFile | null;
  /** File offset of `start`, in pages. */
  pgoff: number;
  /** Has an `anon_vma` (anonymous memory, or CoW pages in a private file mapping). */
  anon: boolean;
  /** Removed from its mm (`remove_vma`); a stale pointer is visible. */
  dead = false;

  constructor(
    id: number,
    mm: Mm,
    start: number,
    end: number,
    flags: number,
    file: VmFile | null,
    pgoff: number,
  ) {
    this.id = id;
    this.mm = mm;
    this.start = start;
    this.end = end;
    this.flags = flags;
    this.file = file;
    this.pgoff = pgoff;
    this.anon = file === null;
  }

  /** `vma_is_dax()`. */
  get isDax(): boolean {
    return (this.flags & VM_DAX) !== 0;
  }

  /** `vma_is_fsdax()`: a DAX mapping of a filesystem file (device-dax is not). */
  get isFsdax(): boolean {
    return this.isDax && this.file?.devdax !== true;
  }

  /** The file page index `addr` maps (`linear_page_index`). */
  pageIndex(addr: number): number {
    return this.pgoff + (addr - this.start) / 4096;
  }

  toString(): string {
    return `vma[0x${this.start.toString(16)}-0x${this.end.toString(16)}]`;
  }
}

/** `struct mm_struct`: an address space with its VMAs, page table and `mmap_lock`. */
export class Mm {
  readonly id: number;
  readonly vmas: Vma[] = [];
  readonly pt = new PageTable();
  readonly mmapLock: RwSem;
  /** `MM_FILEPAGES` + `MM_ANONPAGES`, in pages. */
  rss = 0;
  /** The next address `get_unmapped_area` hands out. */
  private brk = 2 ** 40;
  /** The mm was torn down (`exit_mmap`). */
  dead = false;

  constructor(id: number) {
    this.id = id;
    this.mmapLock = new RwSem(`mm${id}->mmap_lock`);
  }

  /** `find_vma()` narrowed to the VMA containing `addr`, or null. */
  findVma(addr: number): Vma | null {
    for (const v of this.vmas) if (addr >= v.start && addr < v.end) return v;
    return null;
  }

  /**
   * `get_unmapped_area()` (with `thp_get_unmapped_area` for DAX files): an address aligned to
   * the largest leaf size the length allows, with a guard gap so fresh mappings never merge.
   */
  unmappedArea(len: number): number {
    const align = len >= 2 ** 30 ? 2 ** 30 : len >= 2 ** 21 ? 2 ** 21 : 4096;
    const start = Math.ceil(this.brk / align) * align;
    this.brk = start + len + 2 ** 21;
    return start;
  }

  /** Inserts a VMA in address order (`vma_link`). */
  link(v: Vma): void {
    let i = 0;
    while (i < this.vmas.length && this.vmas[i]!.start < v.start) i++;
    this.vmas.splice(i, 0, v);
  }

  /** Removes a VMA from the list. */
  unlink(v: Vma): void {
    const i = this.vmas.indexOf(v);
    if (i >= 0) this.vmas.splice(i, 1);
  }
}
