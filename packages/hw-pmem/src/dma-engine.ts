import {
  Errno,
  type Kernel,
  type KGen,
  type MemoryDevice,
  type OwnerTag,
  PAGE_SIZE,
  PG_FREE,
  PREEMPT,
  type Task,
  trackFootprintClasses,
  type ViolationKind,
} from '@daxref/core';
import { HwPmemError } from './errors';
import { MediaView } from './media';

/**
 * The pages a device may DMA to, with what each block belonged to when it was pinned
 * (`ib_umem_get` + `dma_map_sg` for an RDMA memory region). Owner tags are captured here, at pin
 * time, and every later write is checked against them.
 */
export class DmaMapping {
  /** The pinned pages, in buffer order (one per 4 KiB of the buffer). */
  readonly pfns: readonly number[];
  /** Owner tag of each page's block at pin time (free for RAM and holes). */
  readonly tags: readonly OwnerTag[];
  /** The media behind each page, or null for system RAM. */
  readonly media: readonly (MemoryDevice | null)[];
  /** `dma_unmap_sg` ran: the device may no longer use it. */
  unmapped = false;
  /** Violations already reported for this mapping (`kind:index`), so a long transfer reports once per page. */
  private readonly reported = new Set<string>();

  constructor(pfns: readonly number[], tags: readonly OwnerTag[], media: readonly (MemoryDevice | null)[]) {
    this.pfns = pfns;
    this.tags = tags;
    this.media = media;
  }

  /** Bytes the mapping covers. */
  get length(): number {
    return this.pfns.length * PAGE_SIZE;
  }

  /** True the first time `kind` is reported for page `i`. */
  firstReport(kind: ViolationKind, i: number): boolean {
    const key = `${kind}:${i}`;
    if (this.reported.has(key)) return false;
    this.reported.add(key);
    return true;
  }
}

/** The outcome of a DMA transfer. */
export interface DmaResult {
  /** Every chunk completed without an error completion. */
  ok: boolean;
  /** Bytes transferred. */
  bytes: number;
  /** 0, or the negative errno of an error completion (-EIO for poison). */
  err: number;
  /** For a read: the bytes read (all-ones where the media was gone). */
  data?: Uint8Array;
}

/** Options of a DMA engine. */
export interface DmaEngineOptions {
  /** Name for messages. Default `nic0`. */
  name?: string;
  /** Bytes moved per simulated step (each step is a preemption point). Default 4096. */
  chunkBytes?: number;
}

/**
 * An RDMA-NIC-like DMA engine. Given the pfns a task pinned with GUP it reads or writes them in
 * chunks over simulated steps (a `PREEMPT` before each chunk, so truncate, unbind or reuse can
 * interleave with a transfer in flight). Every write checks the target page:
 * - the media vanished (hot-remove) → `use-after-free`, the write is dropped;
 * - its struct page was removed (`memunmap_pages`, `!pfn_valid`) → `use-after-free`;
 * - its block is free now → `use-after-free`; owned by another file or generation →
 *   `dma-corruption` (the write lands: that is the corruption).
 */
export class DmaEngine {
  readonly k: Kernel;
  readonly name: string;
  readonly chunkBytes: number;
  /** Bytes written to memory and read from it. */
  bytesWritten = 0;
  bytesRead = 0;
  /** Chunks moved (simulated steps). */
  chunks = 0;

  constructor(k: Kernel, opts: DmaEngineOptions = {}) {
    this.k = k;
    this.name = opts.name ?? 'nic0';
    const c = opts.chunkBytes ?? PAGE_SIZE;
    if (!Number.isInteger(c) || c <= 0) {
      throw new HwPmemError('BAD_ARGUMENT', this.name, `chunkBytes must be a positive integer, got ${c}`, {
        field: 'chunkBytes',
      });
    }
    this.chunkBytes = c;
  }

  /** Registers pinned pages for DMA, capturing each block's owner tag now. */
  map(pfns: readonly number[]): DmaMapping {
    const k = this.k;
    const tags: OwnerTag[] = [];
    const media: (MemoryDevice | null)[] = [];
    for (const pfn of pfns) {
      const dev = k.deviceAt(pfn);
      if (dev !== null) {
        media.push(dev.media);
        tags.push(dev.media.ownerTag(pfn));
      } else if (k.ram.contains(pfn)) {
        media.push(null);
        tags.push({ file: 0, gen: 0 });
      } else {
        throw new HwPmemError(
          'BAD_ARGUMENT',
          this.name,
          `map: pfn ${pfn} is neither device memory nor system RAM`,
          {
            field: 'pfns',
          },
        );
      }
    }
    return new DmaMapping([...pfns], tags, media);
  }

  /** `dma_unmap_sg`: the device lets go of the pages (the caller then unpins them). */
  unmap(m: DmaMapping): void {
    m.unmapped = true;
  }

  private checkRange(m: DmaMapping, offset: number, len: number, what: string): void {
    if (m.unmapped) throw new HwPmemError('BAD_STATE', this.name, `${what} through an unmapped DMA mapping`);
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(len) ||
      offset < 0 ||
      len < 0 ||
      offset + len > m.length
    ) {
      throw new HwPmemError(
        'BAD_ARGUMENT',
        this.name,
        `${what} of ${len} bytes at ${offset} is outside the mapping (${m.length} bytes)`,
        {
          field: 'offset',
        },
      );
    }
  }

  private report(m: DmaMapping, i: number, kind: ViolationKind, msg: string): void {
    if (m.firstReport(kind, i)) this.k.report(kind, `${this.name}: ${msg}`, m.pfns[i]);
  }

  /** Checks page `i` before a DMA access; returns whether the bytes reach memory. */
  private checkTarget(m: DmaMapping, i: number, write: boolean): boolean {
    const k = this.k;
    const pfn = m.pfns[i]!;
    const media = m.media[i]!;
    const op = write ? 'DMA write to' : 'DMA read from';
    if (media === null) {
      if (k.memmap.flags(pfn) & PG_FREE)
        this.report(m, i, 'use-after-free', `${op} RAM pfn ${pfn}, freed while mapped for DMA`);
      return true;
    }
    if (!media.present()) {
      this.report(
        m,
        i,
        'use-after-free',
        `${op} pfn ${pfn}: its device memory was hot-removed (a machine check / master abort on real hardware)`,
      );
      return false;
    }
    if (!k.memmap.valid(pfn)) {
      this.report(
        m,
        i,
        'use-after-free',
        `${op} pfn ${pfn}: its struct page was removed (memunmap_pages) while it was mapped for DMA`,
      );
      return true;
    }
    const was = m.tags[i]!;
    if (was.file !== 0) {
      const now = media.ownerTag(pfn);
      if (now.file === 0) {
        this.report(
          m,
          i,
          'use-after-free',
          `${op} pfn ${pfn}: its block (inode ${was.file} gen ${was.gen} at pin time) was freed while pinned`,
        );
      } else if (!write && (now.file !== was.file || now.gen !== was.gen)) {
        // DOMAIN §9 `stale-read`: the holder reads the next owner's data (real 6.1 / 6.12:
        // get-holder-munmap-truncate returns the reusing file's bytes through the pipe).
        this.report(
          m,
          i,
          'stale-read',
          `DMA read from pfn ${pfn} returned data of inode ${now.file} gen ${now.gen}; it was pinned for inode ${was.file} gen ${was.gen}`,
        );
      } else if (write && (now.file !== was.file || now.gen !== was.gen)) {
        this.report(
          m,
          i,
          'dma-corruption',
          `DMA write to pfn ${pfn} landed in a block now owned by inode ${now.file} gen ${now.gen}; it was pinned for inode ${was.file} gen ${was.gen}`,
        );
      }
    }
    return true;
  }

  /** DMA into memory (an RDMA WRITE landing in the pinned buffer), `chunkBytes` per step. */
  *write(t: Task, m: DmaMapping, offset: number, data: Uint8Array): KGen<DmaResult> {
    this.checkRange(m, offset, data.length, 'write');
    let done = 0;
    while (done < data.length) {
      yield PREEMPT;
      if (m.unmapped) return { ok: false, bytes: done, err: -Errno.EIO };
      const stepEnd = Math.min(data.length, done + this.chunkBytes);
      while (done < stepEnd) {
        const pos = offset + done;
        const i = Math.floor(pos / PAGE_SIZE);
        const off = pos % PAGE_SIZE;
        const n = Math.min(PAGE_SIZE - off, stepEnd - done);
        if (this.checkTarget(m, i, true)) this.store(m, i, off, data.subarray(done, done + n));
        done += n;
      }
      this.chunks++;
    }
    this.bytesWritten += done;
    return { ok: true, bytes: done, err: 0 };
  }

  /** DMA from memory (an RDMA READ of the pinned buffer), `chunkBytes` per step; poison ends it with -EIO. */
  *read(t: Task, m: DmaMapping, offset: number, len: number): KGen<DmaResult> {
    this.checkRange(m, offset, len, 'read');
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      yield PREEMPT;
      if (m.unmapped) return { ok: false, bytes: done, err: -Errno.EIO, data: out.subarray(0, done) };
      const stepEnd = Math.min(len, done + this.chunkBytes);
      while (done < stepEnd) {
        const pos = offset + done;
        const i = Math.floor(pos / PAGE_SIZE);
        const off = pos % PAGE_SIZE;
        const n = Math.min(PAGE_SIZE - off, stepEnd - done);
        const pfn = m.pfns[i]!;
        const media = m.media[i]!;
        if (!this.checkTarget(m, i, false)) {
          out.fill(0xff, done, done + n);
        } else if (media === null) {
          out.set(this.k.ram.bytes(pfn).subarray(off, off + n), done);
        } else if (media.isPoisoned(pfn)) {
          // A poisoned read completion (PCIe poisoned TLP): the transfer fails.
          this.bytesRead += done;
          return { ok: false, bytes: done, err: -Errno.EIO, data: out.subarray(0, done) };
        } else {
          out.set(media.read(pfn, off, n), done);
        }
        done += n;
      }
      this.chunks++;
    }
    this.bytesRead += done;
    return { ok: true, bytes: done, err: 0, data: out };
  }

  private store(m: DmaMapping, i: number, off: number, bytes: Uint8Array): void {
    const pfn = m.pfns[i]!;
    const media = m.media[i]!;
    if (media === null) this.k.ram.bytes(pfn).set(bytes, off);
    else if (media instanceof MediaView)
      media.media.writeDurable(pfn, off, bytes); // DMA bypasses the CPU cache
    else media.write(pfn, off, bytes);
  }
}

/** Creates a DMA engine on a kernel model. */
export function createDmaEngine(k: Kernel, opts: DmaEngineOptions = {}): DmaEngine {
  return new DmaEngine(k, opts);
}

// Shared objects a step touches: DFS footprints track them (two steps on the same one never commute).
trackFootprintClasses([DmaEngine, DmaMapping]);
