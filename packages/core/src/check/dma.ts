import type { MemoryDevice, OwnerTag } from '../device';
import type { Kernel } from '../kernel';

/**
 * A DMA transfer as the checker sees it: the engine (`@daxref/hw-pmem`) records the owner tag
 * of the target block when the transfer is set up (the page was pinned for that file), and asks
 * `checkDmaLanding` when the data lands.
 */
export interface DmaTransfer {
  /** Engine-assigned id, for messages. */
  readonly id: number;
  /** Target page. */
  readonly pfn: number;
  /** The block's owner when the transfer was started. */
  readonly owner: OwnerTag;
  /** The media behind `pfn`. */
  readonly device: MemoryDevice;
  /** The task that started it, for messages. */
  readonly task?: string;
}

/** The checker-side contract a DMA engine implements: call `landing` for every transfer that lands. */
export interface DmaOwnerCheck {
  /** Checks a landing transfer; reports through `k.report`; true when it was safe. */
  landing(k: Kernel, xfer: DmaTransfer, fn?: string): boolean;
}

/**
 * The `dma-corruption` / `use-after-free` check for a landing DMA transfer: the device must still
 * be present, and the block must still belong to the owner it had when the transfer started
 * (same file, same allocation generation). Reports through `k.report` and returns true if safe.
 */
export function checkDmaLanding(k: Kernel, xfer: DmaTransfer, fn = 'dma_complete'): boolean {
  const dev = xfer.device;
  const hex = `0x${xfer.pfn.toString(16)}`;
  if (!dev.present()) {
    k.report(
      'use-after-free',
      `${fn}: DMA transfer ${xfer.id}${xfer.task ? ` (${xfer.task})` : ''} lands on pfn ${hex} of ${dev.name}, which was removed`,
      xfer.pfn,
    );
    return false;
  }
  const now = dev.ownerTag(xfer.pfn);
  if (now.file !== xfer.owner.file || now.gen !== xfer.owner.gen) {
    k.report(
      'dma-corruption',
      `${fn}: DMA transfer ${xfer.id}${xfer.task ? ` (${xfer.task})` : ''} for inode ${xfer.owner.file} ` +
        `(gen ${xfer.owner.gen}) lands on pfn ${hex}, whose block now belongs to ` +
        (now.file === 0 ? 'nobody (freed)' : `inode ${now.file} (gen ${now.gen})`),
      xfer.pfn,
    );
    return false;
  }
  return true;
}

/** The default `DmaOwnerCheck`: `checkDmaLanding`. */
export const dmaOwnerCheck: DmaOwnerCheck = { landing: checkDmaLanding };
