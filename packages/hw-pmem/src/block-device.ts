import { Errno, PAGE_SIZE, trackFootprintClasses } from '@daxref/core';
import type { PmemNamespace } from './bus';
import { ENXIO } from './constants';
import { HwPmemError } from './errors';

/**
 * The pmem block device (`/dev/pmemN`, drivers/nvdimm/pmem.c): byte-granular reads and writes
 * of the namespace's data area, as `pmem_submit_bio` does them. A read over a bad block fails
 * with -EIO (`pmem_do_read` → `is_bad_pmem`); a write over one clears the poison first
 * (`pmem_do_write` → `pmem_clear_poison`), which is how ndctl's tests repair media errors.
 */
export class PmemBlockDevice {
  readonly name: string;
  readonly ns: PmemNamespace;
  /** `del_gendisk()` ran: I/O fails with -ENXIO. */
  dead = false;
  private readonly startPfn: number;
  private readonly nrPages: number;

  constructor(name: string, ns: PmemNamespace) {
    this.name = name;
    this.ns = ns;
    this.startPfn = ns.layout.dataStartPfn;
    this.nrPages = ns.layout.dataPages;
  }

  /** Bytes of the device (`i_size` of /dev/pmemN). */
  get size(): number {
    return this.nrPages * PAGE_SIZE;
  }

  private check(offset: number, len: number): void {
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(len) ||
      offset < 0 ||
      len < 0 ||
      offset + len > this.size
    ) {
      throw new HwPmemError(
        'BAD_ARGUMENT',
        this.name,
        `I/O of ${len} bytes at ${offset} is outside the device (${this.size} bytes)`,
        {
          field: 'offset',
        },
      );
    }
  }

  /** Reads `len` bytes at `offset`: the bytes, or a negative errno. */
  read(offset: number, len: number): Uint8Array | number {
    this.check(offset, len);
    const media = this.ns.region.media;
    if (this.dead || !media.present()) return -ENXIO;
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const pos = offset + done;
      const pfn = this.startPfn + Math.floor(pos / PAGE_SIZE);
      const off = pos % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, len - done);
      if (media.isPoisoned(pfn)) return -Errno.EIO; // is_bad_pmem() → BLK_STS_IOERR
      out.set(media.read(pfn, off, n), done);
      done += n;
    }
    return out;
  }

  /** Writes `data` at `offset` (durable: `memcpy_flushcache`); returns bytes written or a negative errno. */
  write(offset: number, data: Uint8Array): number {
    this.check(offset, data.length);
    const media = this.ns.region.media;
    if (this.dead || !media.present()) return -ENXIO;
    let done = 0;
    while (done < data.length) {
      const pos = offset + done;
      const pfn = this.startPfn + Math.floor(pos / PAGE_SIZE);
      const off = pos % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, data.length - done);
      if (media.isPoisoned(pfn)) media.clearPoison(pfn); // pmem_do_write: bad_pmem → pmem_clear_poison
      media.writeDurable(pfn, off, data.subarray(done, done + n));
      done += n;
    }
    return done;
  }
}

// Shared objects a step touches: DFS footprints track them (two steps on the same one never commute).
trackFootprintClasses([PmemBlockDevice]);
