import { PAGE_SHIFT } from '../constants';
import { DaxrefError } from '../errors';

/** Leaf bits of a page-table entry (arch/x86/include/asm/pgtable_types.h, as a model). */
export const PTE_PRESENT = 1 << 0;
/** `_PAGE_RW`. */
export const PTE_WRITE = 1 << 1;
/** `_PAGE_DIRTY`. */
export const PTE_DIRTY = 1 << 2;
/** `_PAGE_ACCESSED` (young). */
export const PTE_YOUNG = 1 << 3;
/** `_PAGE_DEVMAP` (removed in 6.15): the pfn belongs to a dev_pagemap; GUP must pin the pgmap. */
export const PTE_DEVMAP = 1 << 4;
/** `_PAGE_SPECIAL`: `vm_normal_page()` returns NULL (zero page, pfn maps). */
export const PTE_SPECIAL = 1 << 5;
/** A PMD / PUD leaf (`_PAGE_PSE`). */
export const PTE_HUGE = 1 << 6;

/** Page-table levels, named by what a leaf at that level maps. */
export type PtLevel = 'pte' | 'pmd' | 'pud';

/** The largest user address: 8 TiB, so a virtual page number fits in 31 bits. */
export const TASK_SIZE = 2 ** 43;

const PTRS = 512;

class Table {
  readonly pfn = new Int32Array(PTRS);
  readonly bits = new Uint8Array(PTRS);
  readonly next: (Table | undefined)[] = new Array(PTRS).fill(undefined);
  used = 0;
}

/** A leaf found by a walk. */
export interface Leaf {
  level: PtLevel;
  pfn: number;
  bits: number;
  /** The address the leaf starts at. */
  start: number;
}

/** The pfn and bits of a leaf: the value gup-fast reads and re-checks. */
export interface PteValue {
  pfn: number;
  bits: number;
}

/**
 * A 4-level page table (PGD → PUD → PMD → PTE) with leaves at PTE (4 KiB), PMD (2 MiB) and
 * PUD (1 GiB). Entries are (pfn, bits) pairs in typed arrays.
 */
export class PageTable {
  private readonly pgd = new Table();

  private static vpn(addr: number): number {
    if (!(addr >= 0 && addr < TASK_SIZE) || addr % 4096 !== 0) {
      throw new DaxrefError(
        'BAD_ARGUMENT',
        'pagetable',
        `address 0x${addr.toString(16)} is not a page-aligned user address below 0x${TASK_SIZE.toString(16)}`,
      );
    }
    return addr / 4096;
  }

  /** The leaf mapping `addr`, or null (`follow_page_mask`'s walk without the locks). */
  lookup(addr: number): Leaf | null {
    // A user address in range is the common case: its page number without the two float
    // modulos of the general path (the same number; anything else goes the checked way).
    const vpn = addr >= 0 && addr < TASK_SIZE ? Math.floor(addr / 4096) : PageTable.vpn(addr - (addr % 4096));
    const pud = this.pgd.next[vpn >>> 27];
    if (pud === undefined) return null;
    const i3 = (vpn >>> 18) & 511;
    if (pud.bits[i3]! & PTE_PRESENT)
      return {
        level: 'pud',
        pfn: pud.pfn[i3]!,
        bits: pud.bits[i3]!,
        start: Math.floor(vpn / 2 ** 18) * 2 ** 18 * 4096,
      };
    const pmd = pud.next[i3];
    if (pmd === undefined) return null;
    const i2 = (vpn >>> 9) & 511;
    if (pmd.bits[i2]! & PTE_PRESENT)
      return {
        level: 'pmd',
        pfn: pmd.pfn[i2]!,
        bits: pmd.bits[i2]!,
        start: Math.floor(vpn / 512) * 512 * 4096,
      };
    const pte = pmd.next[i2];
    if (pte === undefined) return null;
    const i1 = vpn & 511;
    if (pte.bits[i1]! & PTE_PRESENT)
      return { level: 'pte', pfn: pte.pfn[i1]!, bits: pte.bits[i1]!, start: vpn * 4096 };
    return null;
  }

  /** The pfn `addr` translates to (the leaf's pfn plus the offset inside a huge leaf), or -1. */
  translate(addr: number): number {
    const l = this.lookup(addr);
    if (l === null) return -1;
    return l.pfn + Math.floor((addr - l.start) / 4096);
  }

  /** True if a PMD or PUD leaf, or a PTE table, occupies the slot `level` would use at `addr`. */
  occupied(addr: number, level: PtLevel): boolean {
    const vpn = PageTable.vpn(addr);
    const pud = this.pgd.next[vpn >>> 27];
    if (pud === undefined) return false;
    const i3 = (vpn >>> 18) & 511;
    if (level === 'pud') return (pud.bits[i3]! & PTE_PRESENT) !== 0 || pud.next[i3] !== undefined;
    if (pud.bits[i3]! & PTE_PRESENT) return true;
    const pmd = pud.next[i3];
    if (pmd === undefined) return false;
    const i2 = (vpn >>> 9) & 511;
    if (level === 'pmd') return (pmd.bits[i2]! & PTE_PRESENT) !== 0 || pmd.next[i2] !== undefined;
    if (pmd.bits[i2]! & PTE_PRESENT) return true;
    const pte = pmd.next[i2];
    return pte !== undefined && (pte.bits[vpn & 511]! & PTE_PRESENT) !== 0;
  }

  /** Installs a leaf (`set_pte_at` / `set_pmd_at` / `set_pud_at`), allocating tables on the way. */
  set(addr: number, level: PtLevel, pfn: number, bits: number): void {
    const vpn = PageTable.vpn(addr);
    const need = level === 'pte' ? 1 : level === 'pmd' ? 512 : 2 ** 18;
    if (vpn % need !== 0)
      throw new DaxrefError(
        'BAD_ARGUMENT',
        'pagetable',
        `a ${level} leaf at 0x${addr.toString(16)} is misaligned`,
      );
    const i4 = vpn >>> 27;
    let pud = this.pgd.next[i4];
    if (pud === undefined) {
      pud = new Table();
      this.pgd.next[i4] = pud;
    }
    const i3 = (vpn >>> 18) & 511;
    if (level === 'pud') {
      if (pud.next[i3] !== undefined)
        throw new DaxrefError(
          'BAD_STATE',
          'pagetable',
          `PUD at 0x${addr.toString(16)} has a PMD table below it`,
        );
      this.write(pud, i3, pfn, bits | PTE_PRESENT | PTE_HUGE);
      return;
    }
    let pmd = pud.next[i3];
    if (pmd === undefined) {
      pmd = new Table();
      pud.next[i3] = pmd;
    }
    const i2 = (vpn >>> 9) & 511;
    if (level === 'pmd') {
      if (pmd.next[i2] !== undefined && pmd.next[i2]!.used > 0)
        throw new DaxrefError(
          'BAD_STATE',
          'pagetable',
          `PMD at 0x${addr.toString(16)} has live PTEs below it`,
        );
      pmd.next[i2] = undefined;
      this.write(pmd, i2, pfn, bits | PTE_PRESENT | PTE_HUGE);
      return;
    }
    let pte = pmd.next[i2];
    if (pte === undefined) {
      pte = new Table();
      pmd.next[i2] = pte;
    }
    this.write(pte, vpn & 511, pfn, (bits | PTE_PRESENT) & ~PTE_HUGE);
  }

  private write(t: Table, i: number, pfn: number, bits: number): void {
    if (!(t.bits[i]! & PTE_PRESENT)) t.used++;
    t.pfn[i] = pfn;
    t.bits[i] = bits;
  }

  /** Updates the bits of the leaf that maps `addr` (`pte_mkyoung`, `pte_wrprotect`, …). */
  setBits(addr: number, bits: number): void {
    const l = this.lookup(addr);
    if (l === null) throw new DaxrefError('NOT_MAPPED', 'pagetable', `no leaf maps 0x${addr.toString(16)}`);
    this.set(l.start, l.level, l.pfn, bits);
  }

  /** Clears the leaf starting at `start` (`ptep_get_and_clear`); returns its old value or null. */
  clear(start: number, level: PtLevel): PteValue | null {
    const vpn = PageTable.vpn(start);
    const pud = this.pgd.next[vpn >>> 27];
    if (pud === undefined) return null;
    const i3 = (vpn >>> 18) & 511;
    let t: Table | undefined = pud;
    let i = i3;
    if (level !== 'pud') {
      const pmd = pud.next[i3];
      if (pmd === undefined) return null;
      i = (vpn >>> 9) & 511;
      t = pmd;
      if (level === 'pte') {
        t = pmd.next[i];
        i = vpn & 511;
        if (t === undefined) return null;
      }
    }
    if (!(t.bits[i]! & PTE_PRESENT)) return null;
    const old = { pfn: t.pfn[i]!, bits: t.bits[i]! };
    t.bits[i] = 0;
    t.pfn[i] = 0;
    t.used--;
    return old;
  }

  /** Every leaf in [start, end), in address order. */
  leaves(start: number, end: number): Leaf[] {
    const out: Leaf[] = [];
    const v0 = PageTable.vpn(start);
    const v1 = end / 4096;
    for (let i4 = v0 >>> 27; i4 <= Math.min(15, (v1 - 1) >>> 27); i4++) {
      const pud = this.pgd.next[i4];
      if (pud === undefined) continue;
      for (let i3 = 0; i3 < 512; i3++) {
        const b3 = i4 * 2 ** 27 + i3 * 2 ** 18;
        if (b3 + 2 ** 18 <= v0 || b3 >= v1) continue;
        if (pud.bits[i3]! & PTE_PRESENT) {
          out.push({ level: 'pud', pfn: pud.pfn[i3]!, bits: pud.bits[i3]!, start: b3 * 4096 });
          continue;
        }
        const pmd = pud.next[i3];
        if (pmd === undefined) continue;
        for (let i2 = 0; i2 < 512; i2++) {
          const b2 = b3 + i2 * 512;
          if (b2 + 512 <= v0 || b2 >= v1) continue;
          if (pmd.bits[i2]! & PTE_PRESENT) {
            out.push({ level: 'pmd', pfn: pmd.pfn[i2]!, bits: pmd.bits[i2]!, start: b2 * 4096 });
            continue;
          }
          const pte = pmd.next[i2];
          if (pte === undefined || pte.used === 0) continue;
          for (let i1 = 0; i1 < 512; i1++) {
            const b1 = b2 + i1;
            if (b1 < v0 || b1 >= v1) continue;
            if (pte.bits[i1]! & PTE_PRESENT)
              out.push({ level: 'pte', pfn: pte.pfn[i1]!, bits: pte.bits[i1]!, start: b1 * 4096 });
          }
        }
      }
    }
    return out;
  }

  /** Moves every leaf of [from, from+len) to [to, to+len) (`move_page_tables`). */
  move(from: number, to: number, len: number): void {
    const ls = this.leaves(from, from + len);
    for (const l of ls) this.clear(l.start, l.level);
    for (const l of ls) this.set(l.start - from + to, l.level, l.pfn, l.bits);
  }
}

/** Bytes a leaf at `level` maps. */
export function levelSize(level: PtLevel): number {
  return level === 'pte' ? 4096 : level === 'pmd' ? 2 * 1024 * 1024 : 1024 * 1024 * 1024;
}

/** Pages a leaf at `level` maps. */
export function levelPages(level: PtLevel): number {
  return levelSize(level) >> PAGE_SHIFT;
}
