import {
  FREE_OWNER,
  type Kernel,
  type MemoryDevice,
  type OwnerTag,
  PAGE_SIZE,
  PG_HWPOISON,
  trackFootprintClasses,
} from '@daxref/core';
import { CACHE_LINE } from './constants';
import { HwPmemError } from './errors';

/**
 * Where stores become durable (`/sys/bus/nd/devices/regionX/persistence_domain`): `adr` =
 * "memory_controller" (a store persists once flushed from the CPU cache and fenced), `eadr` =
 * "cpu_cache" (the CPU caches are flushed on power loss, so every completed store persists).
 */
export type PersistenceDomain = 'adr' | 'eadr';

const LINES_PER_PAGE = PAGE_SIZE / CACHE_LINE;
const TAG_SHIFT = 9; // owner tags are stored per 2 MiB: 512 blocks, 4 KiB of typed arrays
const TAG_PAGES = 1 << TAG_SHIFT;

/** Owner tags of 512 consecutive blocks. */
class TagChunk {
  readonly file = new Int32Array(TAG_PAGES);
  readonly gen = new Int32Array(TAG_PAGES);
  used = 0;
}

/** A cache line the CPU has dirtied under ADR: what the DIMM holds, and what a `clwb` sent. */
class LineState {
  /** The bytes the DIMM holds (what a power failure leaves). */
  durable: Uint8Array;
  /** The bytes a `clwb` wrote back and a fence has not yet made durable, or null. */
  flushed: Uint8Array | null = null;
  constructor(durable: Uint8Array) {
    this.durable = durable;
  }
}

/** A line lost by a power failure. */
export interface LostLine {
  readonly pfn: number;
  /** Byte offset of the line in its page. */
  readonly offset: number;
}

/** What survived a power failure (`PmemMedia.powerFail`). */
export interface PowerFailImage {
  readonly domain: PersistenceDomain;
  /** Lines whose last stores were lost (dirty or flushed without a fence, ADR only). */
  readonly lostLines: readonly LostLine[];
  /** Dirty lines that survived (eADR: the caches were flushed on the way down). */
  readonly keptLines: number;
  /** Reads the media as it is after the power failure. */
  read(pfn: number, offset: number, len: number): Uint8Array;
}

/** Memory the media model holds, for the scale checks. */
export interface MediaStats {
  /** 4 KiB chunks of media allocated (written at least once). */
  chunks: number;
  /** Bytes of media storage. */
  bytes: number;
  /** Blocks with a non-free owner tag. */
  ownerTags: number;
  /** 2 MiB owner-tag chunks allocated (4 KiB each). */
  tagChunks: number;
  /** Poisoned blocks. */
  poisoned: number;
  /** Cache lines tracked for the persistence domain. */
  trackedLines: number;
}

/**
 * The byte-addressable media of one NVDIMM region, addressed by absolute pfn. Storage is
 * allocated in 4 KiB chunks on first write, owner tags and poison are sparse, so a 1 TiB
 * region costs memory only where it was touched. Under ADR the CPU-cache state of each dirtied
 * line is tracked (an undo record of the durable bytes) so a power failure can drop the stores
 * that were never flushed and fenced.
 */
export class PmemMedia {
  readonly name: string;
  readonly startPfn: number;
  readonly nrPages: number;
  readonly domain: PersistenceDomain;
  /** Loads and stores that reached the media after it vanished (hot-remove). */
  accessesWhileGone = 0;
  /** `clwb` lines and fences issued. */
  flushes = 0;
  fences = 0;
  private gone = false;
  private readonly k: Kernel | null;
  private readonly chunks = new Map<number, Uint8Array>();
  private readonly tags = new Map<number, TagChunk>();
  private tagCount = 0;
  private readonly poison = new Set<number>();
  private readonly lines = new Map<number, LineState>();

  constructor(name: string, startPfn: number, nrPages: number, domain: PersistenceDomain, k: Kernel | null) {
    this.name = name;
    this.startPfn = startPfn;
    this.nrPages = nrPages;
    this.domain = domain;
    this.k = k;
  }

  /** The media responds (false after a surprise hot-remove). */
  present(): boolean {
    return !this.gone;
  }

  /** Surprise hot-remove: the media vanishes; later accesses read all-ones and drop stores. */
  remove(): void {
    this.gone = true;
  }

  private check(pfn: number, offset: number, len: number, what: string): void {
    if (!Number.isInteger(pfn) || pfn < this.startPfn || pfn >= this.startPfn + this.nrPages) {
      throw new HwPmemError(
        'BAD_ARGUMENT',
        this.name,
        `${what}: pfn ${pfn} is outside the media [${this.startPfn}, ${this.startPfn + this.nrPages})`,
        { field: 'pfn' },
      );
    }
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(len) ||
      offset < 0 ||
      len < 0 ||
      offset + len > PAGE_SIZE
    ) {
      throw new HwPmemError(
        'BAD_ARGUMENT',
        this.name,
        `${what}: ${len} bytes at offset ${offset} do not fit in one 4 KiB page`,
        { field: 'offset' },
      );
    }
  }

  private chunk(pfn: number): Uint8Array {
    let c = this.chunks.get(pfn);
    if (c === undefined) {
      c = new Uint8Array(PAGE_SIZE);
      this.chunks.set(pfn, c);
    }
    return c;
  }

  /** Reads `len` bytes at `offset` of page `pfn` (the CPU or a DMA engine). A vanished device reads all-ones. */
  read(pfn: number, offset: number, len: number): Uint8Array {
    this.check(pfn, offset, len, 'read');
    if (this.gone) {
      this.accessesWhileGone++;
      return new Uint8Array(len).fill(0xff); // a master abort on real hardware
    }
    const c = this.chunks.get(pfn);
    return c === undefined ? new Uint8Array(len) : c.slice(offset, offset + len);
  }

  /**
   * A CPU store: under ADR it sits in the CPU cache until `flush` and `fence`; under eADR it is
   * durable at once.
   */
  write(pfn: number, offset: number, data: Uint8Array): void {
    this.check(pfn, offset, data.length, 'write');
    if (this.gone) {
      this.accessesWhileGone++;
      return;
    }
    if (data.length === 0) return;
    const c = this.chunk(pfn);
    if (this.domain === 'adr') {
      const first = Math.floor(offset / CACHE_LINE);
      const last = Math.floor((offset + data.length - 1) / CACHE_LINE);
      for (let l = first; l <= last; l++) {
        const key = pfn * LINES_PER_PAGE + l;
        if (!this.lines.has(key))
          this.lines.set(key, new LineState(c.slice(l * CACHE_LINE, (l + 1) * CACHE_LINE)));
      }
    }
    c.set(data, offset);
  }

  /**
   * A store that bypasses the CPU cache and is durable on completion: a DMA write from a device,
   * or the driver's `memcpy_flushcache` (drivers/nvdimm/pmem.c `write_pmem`). A dirty CPU line
   * it overlaps is snooped and written back with it.
   */
  writeDurable(pfn: number, offset: number, data: Uint8Array): void {
    this.check(pfn, offset, data.length, 'write');
    if (this.gone) {
      this.accessesWhileGone++;
      return;
    }
    if (data.length === 0) return;
    this.chunk(pfn).set(data, offset);
    if (this.domain === 'adr' && this.lines.size > 0) {
      const first = Math.floor(offset / CACHE_LINE);
      const last = Math.floor((offset + data.length - 1) / CACHE_LINE);
      for (let l = first; l <= last; l++) this.lines.delete(pfn * LINES_PER_PAGE + l);
    }
  }

  /** `clwb` / `clflushopt` over [offset, offset+len) of page `pfn`: writes the lines back (not yet ordered). */
  flush(pfn: number, offset: number, len: number): void {
    this.check(pfn, offset, len, 'flush');
    if (len === 0) return;
    const first = Math.floor(offset / CACHE_LINE);
    const last = Math.floor((offset + len - 1) / CACHE_LINE);
    this.flushes += last - first + 1;
    if (this.domain !== 'adr') return;
    const c = this.chunks.get(pfn);
    for (let l = first; l <= last; l++) {
      const st = this.lines.get(pfn * LINES_PER_PAGE + l);
      if (st !== undefined && c !== undefined) st.flushed = c.slice(l * CACHE_LINE, (l + 1) * CACHE_LINE);
    }
  }

  /** `sfence` (`pmem_wmb()` / `arch_wb_cache_pmem` + `wmb`): flushed lines reach the persistence domain. */
  fence(): void {
    this.fences++;
    if (this.domain !== 'adr') return;
    for (const [key, st] of this.lines) {
      if (st.flushed === null) continue;
      st.durable = st.flushed;
      st.flushed = null;
      const c = this.chunks.get(Math.floor(key / LINES_PER_PAGE));
      const l = key % LINES_PER_PAGE;
      if (c === undefined || equal(c.subarray(l * CACHE_LINE, (l + 1) * CACHE_LINE), st.durable))
        this.lines.delete(key);
    }
  }

  /**
   * Power loss. Under ADR every line not flushed and fenced reverts to the bytes the DIMM holds;
   * under eADR the caches drain and nothing is lost. The media keeps the surviving bytes, so
   * reading it afterwards is the image a reboot would find.
   */
  powerFail(): PowerFailImage {
    const lost: LostLine[] = [];
    let kept = 0;
    if (this.domain === 'adr') {
      for (const [key, st] of this.lines) {
        const pfn = Math.floor(key / LINES_PER_PAGE);
        const l = key % LINES_PER_PAGE;
        const c = this.chunks.get(pfn);
        if (c !== undefined && !equal(c.subarray(l * CACHE_LINE, (l + 1) * CACHE_LINE), st.durable)) {
          c.set(st.durable, l * CACHE_LINE);
          lost.push({ pfn, offset: l * CACHE_LINE });
        }
      }
      lost.sort((a, b) => a.pfn - b.pfn || a.offset - b.offset);
    } else {
      kept = this.lines.size;
    }
    this.lines.clear();
    return {
      domain: this.domain,
      lostLines: lost,
      keptLines: kept,
      read: (pfn, offset, len) => this.read(pfn, offset, len),
    };
  }

  /** Lines dirty in the CPU cache (not yet durable) under ADR. */
  dirtyLines(): number {
    let n = 0;
    for (const st of this.lines.values()) if (st.flushed === null) n++;
    return n;
  }

  /** The owner of the block at `pfn`. */
  ownerTag(pfn: number): OwnerTag {
    const c = this.tags.get(Math.floor(pfn / TAG_PAGES));
    if (c === undefined) return FREE_OWNER;
    const i = pfn % TAG_PAGES;
    const file = c.file[i]!;
    return file === 0 ? FREE_OWNER : { file, gen: c.gen[i]! };
  }

  /** Sets the owner of the block at `pfn`; tags are stored sparsely, per 2 MiB of media. */
  setOwnerTag(pfn: number, tag: OwnerTag): void {
    this.check(pfn, 0, 0, 'setOwnerTag');
    const ci = Math.floor(pfn / TAG_PAGES);
    const i = pfn % TAG_PAGES;
    let c = this.tags.get(ci);
    if (c === undefined) {
      if (tag.file === 0) return;
      c = new TagChunk();
      this.tags.set(ci, c);
    }
    const was = c.file[i]! !== 0;
    c.file[i] = tag.file;
    c.gen[i] = tag.gen;
    const now = tag.file !== 0;
    if (was !== now) {
      const d = now ? 1 : -1;
      c.used += d;
      this.tagCount += d;
      if (c.used === 0) this.tags.delete(ci);
    }
  }

  /** The block at `pfn` holds poison. */
  isPoisoned(pfn: number): boolean {
    return this.poison.has(pfn);
  }

  /** Poisons the block at `pfn` (`ndctl inject-error`; the address lands in the region's badblocks). */
  injectPoison(pfn: number): void {
    this.check(pfn, 0, 0, 'injectPoison');
    this.poison.add(pfn);
  }

  /**
   * Clears poison at `pfn` (drivers/nvdimm/pmem.c `pmem_clear_poison`: the badblock is cleared
   * through the bus and `pmem_clear_pgmap_poison` clears `PageHWPoison` on the struct page).
   */
  clearPoison(pfn: number): void {
    if (!this.poison.delete(pfn)) return;
    const k = this.k;
    if (k?.memmap.valid(pfn) && k.memmap.flags(pfn) & PG_HWPOISON) k.memmap.clearFlags(pfn, PG_HWPOISON);
  }

  /** Poisoned pfns in [startPfn, startPfn+nrPages), ascending. */
  poisonedIn(startPfn: number, nrPages: number): number[] {
    const out: number[] = [];
    for (const p of this.poison) if (p >= startPfn && p < startPfn + nrPages) out.push(p);
    return out.sort((a, b) => a - b);
  }

  /** Memory the model holds for this media. */
  stats(): MediaStats {
    return {
      chunks: this.chunks.size,
      bytes: this.chunks.size * PAGE_SIZE,
      ownerTags: this.tagCount,
      tagChunks: this.tags.size,
      poisoned: this.poison.size,
      trackedLines: this.lines.size,
    };
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A window of a region's media as core's `MemoryDevice`: a namespace's whole resource (what
 * `devm_memremap_pages` covers) or its data area (what `dax_direct_access` hands out).
 */
export class MediaView implements MemoryDevice {
  readonly name: string;
  readonly startPfn: number;
  readonly nrPages: number;
  /** The region media behind the window. */
  readonly media: PmemMedia;

  constructor(name: string, media: PmemMedia, startPfn: number, nrPages: number) {
    this.name = name;
    this.media = media;
    this.startPfn = startPfn;
    this.nrPages = nrPages;
  }

  private check(pfn: number, what: string): void {
    if (!(pfn >= this.startPfn && pfn < this.startPfn + this.nrPages)) {
      throw new HwPmemError(
        'BAD_ARGUMENT',
        this.name,
        `${what}: pfn ${pfn} is outside [${this.startPfn}, ${this.startPfn + this.nrPages})`,
        { field: 'pfn' },
      );
    }
  }

  present(): boolean {
    return this.media.present();
  }
  read(pfn: number, offset: number, len: number): Uint8Array {
    this.check(pfn, 'read');
    return this.media.read(pfn, offset, len);
  }
  write(pfn: number, offset: number, data: Uint8Array): void {
    this.check(pfn, 'write');
    this.media.write(pfn, offset, data);
  }
  ownerTag(pfn: number): OwnerTag {
    return this.media.ownerTag(pfn);
  }
  setOwnerTag(pfn: number, tag: OwnerTag): void {
    this.check(pfn, 'setOwnerTag');
    this.media.setOwnerTag(pfn, tag);
  }
  isPoisoned(pfn: number): boolean {
    return this.media.isPoisoned(pfn);
  }
  clearPoison(pfn: number): void {
    this.media.clearPoison(pfn);
  }
}

// Shared objects a step touches: DFS footprints track them (two steps on the same one never commute).
trackFootprintClasses([PmemMedia, MediaView]);
