import {
  DaxDevice,
  type DevPagemap,
  type Kernel,
  type KGen,
  memremapPages,
  memunmapPages,
  type Task,
  unmapMappingPages,
} from '@daxref/core';
import { PmemBlockDevice } from './block-device';
import type { NamespaceConfig, PmemNamespace, PmemRegion } from './bus';
import { DeviceDaxFile } from './device-dax';
import { HwPmemError } from './errors';

/** An fsdax namespace bound to the pmem driver: a block device with a DAX device for a filesystem. */
export interface FsdaxBinding {
  readonly mode: 'fsdax';
  readonly ns: PmemNamespace;
  /** The `dax_device` a filesystem mounts (`DaxFs`); `holder` is set by the mount. */
  readonly dax: DaxDevice;
  readonly pgmap: DevPagemap;
  /** `/dev/pmemN`. */
  readonly block: PmemBlockDevice;
}

/** A devdax namespace bound to device-dax: `/dev/daxR.N`, mappable. */
export interface DevdaxBinding {
  readonly mode: 'devdax';
  readonly ns: PmemNamespace;
  readonly dax: DaxDevice;
  readonly pgmap: DevPagemap;
  /** The character device to `mmap` (`devDaxMmap` or core's `mmap`). */
  readonly file: DeviceDaxFile;
}

/** A raw namespace: a block device with no struct pages and no DAX. */
export interface RawBinding {
  readonly mode: 'raw';
  readonly ns: PmemNamespace;
  readonly block: PmemBlockDevice;
}

/** What binding a namespace produced. */
export type PmemBinding = FsdaxBinding | DevdaxBinding | RawBinding;

function component(ns: PmemNamespace): string {
  return `${ns.region.name}: ${ns.name}`;
}

function checkKernel(k: Kernel, ns: PmemNamespace): void {
  if (ns.region.bus.k !== k) {
    throw new HwPmemError('BAD_ARGUMENT', component(ns), 'the namespace belongs to another kernel model', {
      field: 'k',
    });
  }
  if (ns.destroyed) throw new HwPmemError('BAD_STATE', component(ns), 'the namespace was destroyed');
}

/**
 * Probe / bind (`echo namespaceX.Y > /sys/bus/nd/drivers/.../bind`):
 * - fsdax: drivers/nvdimm/pmem.c `pmem_attach_disk` → `devm_memremap_pages` over the whole
 *   namespace resource (MEMORY_DEVICE_FS_DAX, the design's initial refcount and static
 *   references), then `alloc_dax` over the data area (`pmem->data_offset`) — core's
 *   `createDaxDevice`, with the data offset the pfn info block imposes;
 * - devdax: drivers/dax/device.c `dev_dax_probe` → `devm_memremap_pages` (MEMORY_DEVICE_GENERIC)
 *   and the /dev/dax character device;
 * - raw: `pmem_attach_disk` without a pfn device: a block device, no pgmap.
 */
export function bindNamespace(k: Kernel, t: Task, ns: PmemNamespace): PmemBinding {
  checkKernel(k, ns);
  if (ns.state !== 'idle') {
    throw new HwPmemError('ALREADY_BOUND', component(ns), `bind of a ${ns.state} namespace (${ns.devName})`, {
      field: 'state',
      allowed: ['idle'],
    });
  }
  if (!ns.region.media.present()) {
    throw new HwPmemError(
      'BAD_STATE',
      component(ns),
      'probe of a namespace whose media was removed (-ENXIO)',
    );
  }
  const r = ns.region.id;
  let b: PmemBinding;
  if (ns.mode === 'devdax') {
    ns.devName = `dax${r}.${ns.id}`;
    const pgmap = memremapPages(k, t, ns.resourceView, 'generic');
    const dax = new DaxDevice(ns.devName, ns.dataView, pgmap);
    b = { mode: 'devdax', ns, dax, pgmap, file: new DeviceDaxFile(k, `/dev/${ns.devName}`, ns, dax) };
  } else {
    ns.devName = ns.id === 0 ? `pmem${r}` : `pmem${r}.${ns.id}`; // nvdimm_namespace_disk_name()
    const block = new PmemBlockDevice(ns.devName, ns);
    if (ns.mode === 'fsdax') {
      const pgmap = memremapPages(k, t, ns.resourceView, 'fsdax');
      const dax = new DaxDevice(ns.devName, ns.dataView, pgmap);
      b = { mode: 'fsdax', ns, dax, pgmap, block };
    } else {
      b = { mode: 'raw', ns, block };
    }
  }
  ns.binding = b;
  return b;
}

/**
 * Unbind (`echo … > unbind`, `ndctl disable-namespace`) as a task that can block:
 * 1. fsdax: `kill_dax` (drivers/dax/super.c) and `del_gendisk`; devdax: `kill_dev_dax`
 *    (drivers/dax/bus.c: `kill_dax`, then `unmap_mapping_range` of every /dev/dax mapping);
 * 2. if the design notifies (v6.6+) and a filesystem holds the device:
 *    `dax_holder_notify_failure(MF_MEM_PRE_REMOVE)` — the kernel calls it inside `kill_dax`
 *    before clearing DAXDEV_ALIVE, with xfs freezing the filesystem so nothing refaults; the
 *    model has no freeze, so it clears "alive" first, which closes the same window;
 *    then `del_gendisk` → `fs_bdev_mark_dead` (6.6+): unused inodes are evicted;
 * 3. the design's `unbindPrepare` (coarse-pin@revoke zaps and kills mappers);
 * 4. `memunmap_pages` (mm/memremap.c): kill the percpu ref, drop static references, wait for
 *    `pgmap->done` — a reference that is never dropped is an `unbind-hang`.
 */
export function* unbindNamespace(k: Kernel, t: Task, ns: PmemNamespace): KGen {
  checkKernel(k, ns);
  if (ns.unbinding) {
    throw new HwPmemError(
      'NOT_BOUND',
      component(ns),
      `unbind while an unbind of ${ns.devName} is in progress`,
      {
        field: 'state',
        allowed: ['bound'],
      },
    );
  }
  const b = ns.binding;
  if (b === null) {
    throw new HwPmemError('NOT_BOUND', component(ns), 'unbind of a namespace with no driver bound', {
      field: 'state',
      allowed: ['bound'],
    });
  }
  ns.unbinding = true;
  let done = false;
  try {
    if (b.mode === 'raw') {
      b.block.dead = true; // pmem_release_disk → del_gendisk
      done = true;
      return;
    }
    const policy = k.needPolicy('unbind');
    b.dax.kill(); // kill_dax(): clear DAXDEV_ALIVE, synchronize_srcu(&dax_srcu)
    if (b.mode === 'fsdax') {
      b.block.dead = true;
      const holder = b.dax.holder;
      if (policy.caps.notifyPreRemove && holder !== null) {
        yield* holder.notifyFailure(k, t, ns.layout.dataStartPfn, ns.layout.dataPages, 'pre-remove');
      }
      b.dax.holder = null; // kill_dax: holder_ops / holder_data cleared
      // pmem_release_disk(): kill_dax() then del_gendisk() → blk_report_disk_dead() →
      // bdev_mark_dead() → fs_bdev_mark_dead() (6.6+ fs_holder_ops): evict_inodes(), which on
      // 6.15+ waits in dax_break_layout_final() for a pinned folio (real 6.18 / 7.3 unbind).
      if (policy.caps.bdevMarkDeadEvicts === true && holder?.bdevMarkDead !== undefined) {
        yield* holder.bdevMarkDead(k, t);
      }
    } else {
      // kill_dev_dax(): unmap_mapping_range(inode->i_mapping, 0, 0, 1); with dan-2022's entries,
      // dax_delete_mapping_entry() for each (seed 000 patch 12).
      yield* unmapMappingPages(k, t, b.file, 0, b.dax.nrPages);
      b.file.deleteEntries(k, t);
    }
    if (policy.unbindPrepare) yield* policy.unbindPrepare(k, t, b.pgmap);
    yield* memunmapPages(k, t, b.pgmap);
    done = true;
  } finally {
    ns.unbinding = false;
    if (done) ns.binding = null;
  }
}

/** Options of `reconfigureNamespace`. */
export interface ReconfigureOptions {
  /** Bind after reconfiguring (`ndctl create-namespace -f -e` enables). Default true. */
  enable?: boolean;
}

/**
 * `ndctl create-namespace -f -e namespaceX.Y --mode … --align … --map …`: the new
 * configuration is validated first (a bad one changes nothing), the namespace is unbound if
 * bound, a new info block is written (`nd_pfn_init`: new data offset), and it is bound again.
 * Mappings of the old personality are dead: an access refaults into a killed device (SIGBUS).
 */
export function* reconfigureNamespace(
  k: Kernel,
  t: Task,
  ns: PmemNamespace,
  cfg: NamespaceConfig,
  opts: ReconfigureOptions = {},
): KGen<PmemBinding | null> {
  checkKernel(k, ns);
  ns.validate(cfg);
  if (ns.binding !== null) yield* unbindNamespace(k, t, ns);
  ns.reconfigure(cfg);
  return (opts.enable ?? true) ? bindNamespace(k, t, ns) : null;
}

/**
 * Surprise hot-remove of a region's DIMMs, then the driver core's removal of every bound
 * namespace (the unbind path runs on a device whose media is already gone). Any access that
 * still reaches the media afterwards is a use-after-free.
 */
export function* hotRemoveRegion(k: Kernel, t: Task, region: PmemRegion): KGen {
  region.surpriseRemove();
  for (const ns of [...region.namespaces])
    if (ns.binding !== null && !ns.unbinding) yield* unbindNamespace(k, t, ns);
}
