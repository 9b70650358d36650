/** Who a block of media belongs to: the basis of the `dma-corruption` check. */
export interface OwnerTag {
  /** The inode that owns the block, 0 when the block is free. */
  readonly file: number;
  /** Bumped each time the block is allocated, so a reuse is visible even by the same inode. */
  readonly gen: number;
}

/** The tag of a free block. */
export const FREE_OWNER: OwnerTag = Object.freeze({ file: 0, gen: 0 });

/**
 * The hardware interface the core defines and `@daxref/hw-pmem` implements: byte-addressable
 * media behind a pfn range, with owner tags per 4 KiB block and poison.
 */
export interface MemoryDevice {
  /** A name for messages (`pmem0`). */
  readonly name: string;
  /** First pfn of the media. */
  readonly startPfn: number;
  /** Pages of media. */
  readonly nrPages: number;
  /** The media is present (false after a surprise hot-remove). */
  present(): boolean;
  /** Reads `len` bytes at `offset` within page `pfn`. */
  read(pfn: number, offset: number, len: number): Uint8Array;
  /** Writes `data` at `offset` within page `pfn` (a CPU store or a DMA write). */
  write(pfn: number, offset: number, data: Uint8Array): void;
  /** The owner of the block at `pfn`. */
  ownerTag(pfn: number): OwnerTag;
  /** Sets the owner of the block at `pfn` (the filesystem's allocator). */
  setOwnerTag(pfn: number, tag: OwnerTag): void;
  /** The block holds poison (a load raises a machine check). */
  isPoisoned(pfn: number): boolean;
  /** Clears poison (a hole punch over it, as ndctl's dax-poison test expects). */
  clearPoison(pfn: number): void;
}
