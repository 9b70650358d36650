import {
  BLOCK,
  createMm,
  DaxFs,
  DaxrefError,
  type Inode,
  type Kernel,
  type KGen,
  type Mm,
  mmap,
  type Task,
  userAccess,
} from '@daxref/core';
import {
  bindNamespace,
  createDmaEngine,
  createNvdimmBus,
  type DmaEngine,
  type FsdaxBinding,
  type PmemNamespace,
  SZ_2M,
} from '@daxref/hw-pmem';

/**
 * A scenario's machine: one fsdax namespace bound under the policy in force, a DAX filesystem on
 * it, an RDMA-like DMA engine, and the task that did the setup. Scenarios build it in `setup`.
 */
export interface DaxWorld {
  readonly k: Kernel;
  /** The task setup ran as (already finished: it only lends its identity to setup work). */
  readonly boot: Task;
  readonly ns: PmemNamespace;
  readonly binding: FsdaxBinding;
  readonly fs: DaxFs;
  readonly dma: DmaEngine;
}

/** Options of `daxWorld`. */
export interface DaxWorldOptions {
  /** Namespace size in bytes (default 64 MiB). */
  size?: number;
  /** Namespace alignment (default 2 MiB). */
  align?: number;
  /** Bytes a DMA engine moves per step (default 1 KiB: a 4 KiB page takes four steps). */
  dmaChunk?: number;
  /**
   * `mkfs.xfs -m rmapbt=`: the pre-remove notification needs it (default true). The real-kernel
   * runs used xfsprogs 6.1's default, rmapbt=0, except where a row says rmapbt=1.
   */
  rmapbt?: boolean;
  /** `mkfs.xfs -d agcount=` (default 1; the 6.14+ notify wrap needs more than one). */
  agCount?: number;
  /** The filesystem's `->evict_inode` runs `dax_break_layout_final()` (default true; false: 6.15.0 FUSE / virtiofs). */
  evictBreaksLayouts?: boolean;
}

/**
 * Runs a kernel path to completion during setup (no other task exists yet, so it cannot be
 * preempted; a path that would block is a scenario bug).
 */
export function settle<T>(g: KGen<T>, what: string): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    if (r.value === BLOCK)
      throw new DaxrefError('SCHEDULER', 'scenario setup', `${what} blocked during setup`);
  }
}

/** Binds an fsdax namespace and mounts a DAX filesystem on it. */
export function daxWorld(k: Kernel, opts: DaxWorldOptions = {}): DaxWorld {
  const boot = k.spawn('setup', function* () {});
  k.sched.runTask(boot);
  const size = opts.size ?? 64 * 1024 * 1024;
  const align = opts.align ?? SZ_2M;
  const bus = createNvdimmBus(k);
  const region = bus.addRegion({ base: 2 ** 36, size: size + Math.max(align, 64 * SZ_2M) });
  const ns = region.createNamespace({ mode: 'fsdax', size, align, map: 'dev' });
  const binding = bindNamespace(k, boot, ns) as FsdaxBinding;
  const fs = new DaxFs(k, binding.dax, {
    ...(opts.rmapbt !== undefined ? { rmapbt: opts.rmapbt } : {}),
    ...(opts.agCount !== undefined ? { agCount: opts.agCount } : {}),
    ...(opts.evictBreaksLayouts !== undefined ? { evictBreaksLayouts: opts.evictBreaksLayouts } : {}),
    ...(opts.evictBreaksLayouts === false ? { name: 'virtiofs' } : {}),
  });
  const dma = createDmaEngine(k, { chunkBytes: opts.dmaChunk ?? 1024 });
  return { k, boot, ns, binding, fs, dma };
}

/** A file mapped by a process. */
export interface Mapping {
  readonly file: Inode;
  readonly mm: Mm;
  readonly addr: number;
  readonly length: number;
}

/**
 * Creates a file of `pages` pages, maps it shared and writable into a new mm and (unless
 * `fault` is false) write-faults every page. `ptes` maps it from file offset 4 KiB so every
 * leaf is a PTE.
 */
export function mapFile(
  w: DaxWorld,
  name: string,
  pages: number,
  opts: { fault?: boolean; ptes?: boolean } = {},
): Mapping {
  const { k, boot } = w;
  const skip = opts.ptes ? 1 : 0;
  const file = w.fs.create(name, (pages + skip) * 4096);
  const mm = createMm(k);
  const length = pages * 4096;
  const addr = settle(mmap(k, boot, mm, { file, length, offset: skip * 4096 }), 'mmap');
  if (opts.fault ?? true) {
    for (let i = 0; i < pages; i++) {
      const r = settle(
        userAccess(k, boot, mm, addr + i * 4096, true, new Uint8Array([i & 0xff, 0x5a])),
        'fault',
      );
      if (!r.ok)
        throw new DaxrefError(
          'BAD_STATE',
          'scenario setup',
          `fault of ${name} page ${i} failed with ${r.signal}`,
        );
    }
  }
  return { file, mm, addr, length };
}

/** A DMA payload of `n` bytes. */
export function payload(n: number, byte = 0xd4): Uint8Array {
  return new Uint8Array(n).fill(byte);
}
