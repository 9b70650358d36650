import type { Kernel, OwnerTag } from '@daxref/core';

/** A DMA transfer into a pinned page, started while the block belonged to `owner`. */
export interface DmaTransfer {
  readonly pfn: number;
  readonly owner: OwnerTag;
}

/** Starts a DMA transfer to `pfn`: records who owns the block now. */
export function startDma(k: Kernel, pfn: number): DmaTransfer {
  const dev = k.deviceAt(pfn);
  if (dev === null) throw new Error(`startDma: pfn ${pfn} is not device memory`);
  return { pfn, owner: dev.media.ownerTag(pfn) };
}

/**
 * Completes a DMA transfer: the device writes `data` into the page. If the page's memory was
 * removed, or its block was freed, that is a `use-after-free`; if the block now belongs to
 * another file (or was reallocated), a `dma-corruption`. Returns true if the data landed where
 * it was meant to.
 */
export function completeDma(k: Kernel, x: DmaTransfer, data: Uint8Array = new Uint8Array([0xd7])): boolean {
  const dev = k.deviceAt(x.pfn);
  if (dev === null || !k.memmap.valid(x.pfn) || !dev.media.present()) {
    k.report('use-after-free', `DMA to pfn ${x.pfn} after its device memory was removed`, x.pfn);
    return false;
  }
  const now = dev.media.ownerTag(x.pfn);
  dev.media.write(x.pfn, 0, data);
  if (now.file === 0) {
    k.report(
      'use-after-free',
      `DMA to pfn ${x.pfn}: its block was freed while pinned (was inode ${x.owner.file})`,
      x.pfn,
    );
    return false;
  }
  if (now.file !== x.owner.file || now.gen !== x.owner.gen) {
    k.report(
      'dma-corruption',
      `DMA to pfn ${x.pfn} landed in a block now owned by inode ${now.file} (pinned for inode ${x.owner.file})`,
      x.pfn,
    );
    return false;
  }
  return true;
}
