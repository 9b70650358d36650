import { describe, expect, it } from 'vitest';
import { DaxrefError, MEMMAP_POISON, Memmap, PG_HEAD, PG_STALE, PG_TAIL, PG_ZONE_DEVICE } from '../src/index';

describe('memmap', () => {
  it('describes a range without allocating; reads return the range defaults', () => {
    const m = new Memmap();
    m.addRange({ startPfn: 1 << 20, nrPages: 1 << 20, refcount: 1, flags: PG_ZONE_DEVICE, pgmapId: 3 });
    expect(m.stats().allocatedPages).toBe(0);
    expect(m.refcount((1 << 20) + 12345)).toBe(1);
    expect(m.pgmapId((1 << 20) + 5)).toBe(3);
    expect(m.isZoneDevice(1 << 20)).toBe(true);
    expect(m.mapcount(1 << 20)).toBe(0);
    expect(m.stats().allocatedPages).toBe(0);
  });

  it('a write materialises one 2 MiB chunk; its other pages keep the defaults', () => {
    const m = new Memmap();
    m.addRange({ startPfn: 0, nrPages: 4096, refcount: 1, flags: PG_ZONE_DEVICE, pgmapId: 1 });
    expect(m.refAdd(700, 2)).toBe(3);
    expect(m.stats().allocatedPages).toBe(512);
    expect(m.refcount(701)).toBe(1);
    expect(m.pgmapId(701)).toBe(1);
    expect(m.refcount(700)).toBe(3);
  });

  it('rejects misaligned and overlapping ranges, and pfns outside every range, with typed errors', () => {
    const m = new Memmap();
    expect(() => m.addRange({ startPfn: 3, nrPages: 512, refcount: 0, flags: 0, pgmapId: 0 })).toThrow(
      /startPfn 3 must be/,
    );
    expect(() => m.addRange({ startPfn: 0, nrPages: 100, refcount: 0, flags: 0, pgmapId: 0 })).toThrow(
      /nrPages 100/,
    );
    m.addRange({ startPfn: 0, nrPages: 1024, refcount: 0, flags: 0, pgmapId: 0 });
    expect(() => m.addRange({ startPfn: 512, nrPages: 1024, refcount: 0, flags: 0, pgmapId: 0 })).toThrow(
      /overlaps/,
    );
    try {
      m.refcount(5000);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DaxrefError);
      expect((e as DaxrefError).code).toBe('PFN_INVALID');
    }
    expect(m.valid(5000)).toBe(false);
    expect(m.valid(1023)).toBe(true);
  });

  it('removeRange makes the struct pages disappear', () => {
    const m = new Memmap();
    m.addRange({ startPfn: 0, nrPages: 1024, refcount: 1, flags: 0, pgmapId: 0 });
    m.refAdd(3, 1);
    m.removeRange(0, 1024);
    expect(m.valid(3)).toBe(false);
    expect(() => m.refAdd(3, 1)).toThrow(/pfn_valid/);
    expect(m.stats()).toMatchObject({ allocatedPages: 0, describedPages: 0 });
  });

  it('compound folios: head / tail, natural alignment, counters in page[1] / page[2], poisoned on split', () => {
    const m = new Memmap();
    m.addRange({ startPfn: 0, nrPages: 2048, refcount: 0, flags: PG_ZONE_DEVICE, pgmapId: 1 });
    m.prepCompound(512, 9);
    expect(m.flags(512) & PG_HEAD).toBeTruthy();
    expect(m.flags(600) & PG_TAIL).toBeTruthy();
    expect(m.compoundHead(1023)).toBe(512);
    expect(m.compoundHead(1024)).toBe(1024);
    expect(m.folioOrder(512)).toBe(9);
    m.pincountAdd(512, 3);
    m.largeMapcountAdd(512, 1);
    m.entireMapcountAdd(512, 1);
    expect([m.pincount(512), m.largeMapcount(512), m.entireMapcount(512), m.folioMapcount(512)]).toEqual([
      3, 1, 1, 1,
    ]);
    expect(m.maybeDmaPinned(512, 1024)).toBe(true);
    m.splitFolio(512);
    expect(m.compoundHead(600)).toBe(600);
    expect(m.index(513)).toBe(MEMMAP_POISON);
    expect(m.flags(513) & PG_STALE).toBeTruthy();
    expect(() => m.pincount(512)).toThrow(/stale read/);
    expect(() => m.prepCompound(100, 9)).toThrow(/not aligned/);
  });

  it('small folios: maybe_dma_pinned reads _refcount against the bias', () => {
    const m = new Memmap();
    m.addRange({ startPfn: 0, nrPages: 512, refcount: 1, flags: 0, pgmapId: 0 });
    expect(m.maybeDmaPinned(1, 1024)).toBe(false);
    m.refAdd(1, 1024);
    expect(m.maybeDmaPinned(1, 1024)).toBe(true);
  });

  it('a 64 GiB range at 4 KiB with 1% touched costs at most 24 bytes per page touched or allocated', () => {
    const m = new Memmap();
    const pages = 16_777_216;
    m.addRange({ startPfn: 1 << 24, nrPages: pages, refcount: 1, flags: PG_ZONE_DEVICE, pgmapId: 1 });
    let x = 12345;
    for (let i = 0; i < pages / 100; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0; // deterministic scatter
      m.refAdd((1 << 24) + (x % pages), 1);
    }
    const s = m.stats();
    const bytes = s.storageBytes + s.directoryBytes;
    expect(bytes / s.allocatedPages).toBeLessThanOrEqual(24);
  });
});
