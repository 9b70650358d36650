import type { Kernel } from '../kernel';
import type { KGen, Task } from '../sched/task';
import { rmapRemove } from './memory';
import { releasePages } from './page-ref';
import type { PtLevel } from './page-table';

/**
 * `struct mmu_gather` (mm/mmu_gather.c): pages whose mapping was zapped are collected and their
 * references dropped only after the TLB flush: `__tlb_remove_page` → `tlb_flush_mmu` →
 * `tlb_batch_pages_flush` → `free_pages_and_swap_cache` → `folios_put_refs`.
 */
export class MmuGather {
  /** Head pfns whose reference is dropped after the flush, one entry per reference. */
  readonly pages: number[] = [];
  /** Some entry was cleared: the TLB must be flushed. */
  needFlush = false;
  /** Rmap removals delayed until the flush (`delay_rmap` of a dirty file page). */
  readonly delayedRmaps: { pfn: number; level: PtLevel }[] = [];
  /**
   * A dirty file page was zapped: `zap_pte_range()` flushes the TLB, removes the delayed rmaps
   * (`tlb_flush_rmaps`) and frees the batch (`tlb_flush_mmu`) before it returns, instead of
   * leaving the put to `tlb_finish_mmu()`.
   */
  forceFlush = false;

  /** `__tlb_remove_page()`: defers the put of one reference on `head`. */
  removePage(head: number): void {
    this.pages.push(head);
    this.needFlush = true;
  }

  /**
   * The `force_flush` tail of `zap_pte_range()`: flush the TLB, remove the delayed rmaps, drop the
   * gathered references (mm/memory.c: `tlb_flush_mmu_tlbonly`, `tlb_flush_rmaps`, `tlb_flush_mmu`).
   */
  *flushForced(k: Kernel, t: Task): KGen {
    if (!this.forceFlush) return;
    yield* k.irq.synchronize(t, 'flush_tlb_mm_range');
    for (const r of this.delayedRmaps.splice(0)) rmapRemove(k, r.pfn, r.level);
    const pages = this.pages.splice(0);
    this.forceFlush = false;
    releasePages(k, t, pages);
  }

  /**
   * `tlb_finish_mmu()`: flushes the TLB — the IPI waits for every CPU that runs with IRQs off,
   * which is what keeps gup-fast safe — then drops the gathered references.
   */
  *finish(k: Kernel, t: Task): KGen {
    if (!this.needFlush) return;
    yield* k.irq.synchronize(t, 'flush_tlb_mm_range');
    const pages = this.pages.splice(0);
    this.needFlush = false;
    releasePages(k, t, pages);
  }
}
