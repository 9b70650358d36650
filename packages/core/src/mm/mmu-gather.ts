import type { Kernel } from '../kernel';
import type { KGen, Task } from '../sched/task';
import { releasePages } from './page-ref';

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

  /** `__tlb_remove_page()`: defers the put of one reference on `head`. */
  removePage(head: number): void {
    this.pages.push(head);
    this.needFlush = true;
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
