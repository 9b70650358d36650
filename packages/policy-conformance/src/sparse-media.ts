import { FREE_OWNER, type MemoryDevice, type OwnerTag } from '@daxref/core';

/** A sparse in-memory pmem device: pages, owner tags and poison materialise on first touch. */
export class SparseMedia implements MemoryDevice {
  readonly name: string;
  readonly startPfn: number;
  readonly nrPages: number;
  /** Set to simulate a surprise hot-remove. */
  gone = false;
  /** Poisoned pfns. */
  readonly poison = new Set<number>();
  private readonly pages = new Map<number, Uint8Array>();
  private readonly tags = new Map<number, OwnerTag>();

  constructor(name: string, startPfn: number, nrPages: number) {
    this.name = name;
    this.startPfn = startPfn;
    this.nrPages = nrPages;
  }

  present(): boolean {
    return !this.gone;
  }

  private page(pfn: number): Uint8Array {
    let p = this.pages.get(pfn);
    if (p === undefined) {
      p = new Uint8Array(4096);
      this.pages.set(pfn, p);
    }
    return p;
  }

  read(pfn: number, offset: number, len: number): Uint8Array {
    return this.page(pfn).slice(offset, offset + len);
  }

  write(pfn: number, offset: number, data: Uint8Array): void {
    this.page(pfn).set(data, offset);
  }

  ownerTag(pfn: number): OwnerTag {
    return this.tags.get(pfn) ?? FREE_OWNER;
  }

  setOwnerTag(pfn: number, tag: OwnerTag): void {
    this.tags.set(pfn, tag);
  }

  isPoisoned(pfn: number): boolean {
    return this.poison.has(pfn);
  }

  clearPoison(pfn: number): void {
    this.poison.delete(pfn);
  }
}
