import { Errno } from '../constants';
import type { MemoryDevice } from '../device';
import type { Kernel } from '../kernel';
import { memremapPages } from '../memremap';
import type { DevPagemap } from '../pgmap';
import type { KGen, Task } from '../sched/task';

/** What a filesystem mounted on a DAX device is told on a failure (`dax_holder_operations`). */
export interface DaxHolder {
  /** `->notify_failure(dax_dev, offset, len, mf_flags)`: `pre-remove` on unbind, `poison` on memory failure. */
  notifyFailure(
    k: Kernel,
    t: Task,
    startPfn: number,
    nrPages: number,
    kind: 'pre-remove' | 'poison',
  ): KGen<number>;
  /**
   * 6.6+ `fs_holder_ops->mark_dead`: the block device under the filesystem died (unbind's
   * `del_gendisk()` → `bdev_mark_dead()` → `fs_bdev_mark_dead()`): unused inodes are evicted.
   */
  bdevMarkDead?(k: Kernel, t: Task): KGen;
}

/**
 * `struct dax_device` (drivers/dax/super.c) over a pmem namespace: `dax_direct_access` turns
 * an offset into a pfn while the device is alive; `kill_dax` stops that.
 */
export class DaxDevice {
  readonly name: string;
  readonly media: MemoryDevice;
  readonly pgmap: DevPagemap;
  alive = true;
  holder: DaxHolder | null = null;

  constructor(name: string, media: MemoryDevice, pgmap: DevPagemap) {
    this.name = name;
    this.media = media;
    this.pgmap = pgmap;
  }

  /** Pages of the device. */
  get nrPages(): number {
    return this.media.nrPages;
  }

  /** `dax_direct_access(dax_dev, pgoff)`: the pfn of page `pgoff`, or -ENXIO once killed or gone. */
  directAccess(pgoff: number): number {
    if (!this.alive || !this.media.present()) return -Errno.ENXIO;
    return this.media.startPfn + pgoff;
  }

  /** `kill_dax()`: new direct accesses fail (and `synchronize_srcu(&dax_srcu)` waits out readers). */
  kill(): void {
    this.alive = false;
  }
}

/** Binds media as an fsdax device: `devm_memremap_pages` then `alloc_dax`. */
export function createDaxDevice(k: Kernel, t: Task, media: MemoryDevice): DaxDevice {
  const pgmap = memremapPages(k, t, media, 'fsdax');
  return new DaxDevice(media.name, media, pgmap);
}
