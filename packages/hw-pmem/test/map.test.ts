import {
  createMm,
  exitMmap,
  FOLL_WRITE,
  fork,
  getUserPagesFast,
  mmap,
  munmap,
  type PtLevel,
  pinUserPages,
  pinUserPagesFast,
  putPage,
  unpinUserPages,
  userAccess,
} from '@daxref/core';
import { describe, expect, it } from 'vitest';
import { createDmaEngine, devDaxMmap, SZ_1G, SZ_2M, SZ_4K, unbindNamespace } from '../src/index';
import { devdax, fsdax, POLICIES, runAlone, zeroBasedPolicy } from './utils';

const LEVEL: Record<number, PtLevel> = { [SZ_4K]: 'pte', [SZ_2M]: 'pmd', [SZ_1G]: 'pud' };
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe.each(POLICIES)('map at each alignment (%s)', (_name, mk) => {
  it.each([SZ_4K, SZ_2M, SZ_1G])('devdax, align %d: faults map exactly the alignment', (align) => {
    const size = align === SZ_1G ? 3 * SZ_1G : 64 * SZ_2M;
    const { k, ns, b } = devdax(mk(), { align, size, map: 'ram' });
    const mm = createMm(k);
    const len = align === SZ_1G ? SZ_1G : 4 * SZ_2M;
    const addr = runAlone(k, 'mmap', (t) => devDaxMmap(k, t, mm, b.file, { length: len }));
    expect(addr % align).toBe(0);
    const at = addr + (align === SZ_1G ? 3 * SZ_4K : align + 3 * SZ_4K);
    const w = runAlone(k, 'store', (t) => userAccess(k, t, mm, at, true, bytes('devdax')));
    expect(w.ok).toBe(true);
    const leaf = mm.pt.lookup(at)!;
    expect(leaf.level).toBe(LEVEL[align]);
    expect(leaf.pfn % (align / SZ_4K)).toBe(0);
    expect(w.ok && w.pfn).toBe(ns.dataPfn((at - addr) / SZ_4K));
    expect(text(ns.region.media.read(ns.dataPfn((at - addr) / SZ_4K), 0, 6))).toBe('devdax');
    runAlone(k, 'munmap', (t) => munmap(k, t, mm, addr, len));
    // device-dax pages idle at 1 under both designs: 6.15 leaves MEMORY_DEVICE_GENERIC at
    // init_page_count() (`case MEMORY_DEVICE_GENERIC: break;` in __init_zone_device_page)
    expect(k.memmap.refcount(leaf.pfn)).toBe(1);
    runAlone(k, 'unbind', (t) => unbindNamespace(k, t, ns));
    expect(k.violations).toEqual([]);
  });

  it.each([SZ_2M, SZ_1G])('fsdax, align %d: a file extent maps with PMD leaves', (align) => {
    const { k, fs, ns } = fsdax(mk(), { align, size: 3 * SZ_1G, map: 'ram' });
    expect(ns.layout.dataStartPfn % (align / SZ_4K)).toBe(0);
    const len = align === SZ_1G ? SZ_1G : 2 * SZ_2M;
    const f = fs.create('a', len);
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: len }));
    const w = runAlone(k, 'store', (t) => userAccess(k, t, mm, addr + 5 * SZ_4K, true, bytes('fsdax')));
    expect(w.ok).toBe(true);
    const leaf = mm.pt.lookup(addr)!;
    // fsdax faults are PTE or PMD only (dax_iomap_fault); 1 GiB leaves are device-dax's.
    expect(leaf.level).toBe('pmd');
    expect(leaf.pfn % 512).toBe(0);
    const r = runAlone(k, 'pread', (t) => fs.pread(k, t, f, 5 * SZ_4K, 5));
    expect(text(r as Uint8Array)).toBe('fsdax');
    runAlone(k, 'munmap', (t) => munmap(k, t, mm, addr, len));
    runAlone(k, 'unbind', (t) => unbindNamespace(k, t, ns));
    expect(k.violations).toEqual([]);
  });

  it('fsdax, align 4 KiB: data right after the info block, PTE mappings', () => {
    const { k, fs, ns } = fsdax(mk(), { align: SZ_4K, size: SZ_1G, map: 'ram' });
    expect(ns.layout.dataStartPfn % 512).toBe(2);
    const f = fs.create('a', 64 * SZ_4K);
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 64 * SZ_4K }));
    expect(runAlone(k, 'store', (t) => userAccess(k, t, mm, addr, true, bytes('x'))).ok).toBe(true);
    expect(mm.pt.lookup(addr)!.level).toBe('pte');
    expect(k.violations).toEqual([]);
  });

  it('devdax refuses what does not fit its alignment (check_vma, fault size)', () => {
    const { k, b } = devdax(mk(), { align: SZ_2M, size: 64 * SZ_2M, map: 'ram' });
    const mm = createMm(k);
    expect(runAlone(k, 'mmap', (t) => devDaxMmap(k, t, mm, b.file, { length: SZ_4K }))).toBe(-22);
    expect(runAlone(k, 'mmap', (t) => devDaxMmap(k, t, mm, b.file, { length: SZ_2M, shared: false }))).toBe(
      -22,
    );
    // A mapping placed where no PMD fits: the PTE fault is smaller than the alignment → SIGBUS.
    const addr = runAlone(k, 'mmap', (t) =>
      mmap(k, t, mm, { file: b.file, length: SZ_2M, addr: SZ_1G + SZ_4K }),
    );
    const r = runAlone(k, 'load', (t) => userAccess(k, t, mm, addr, false));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.signal).toBe('SIGBUS');
    expect(b.file.sigbusFaults).toBe(1);
  });
});

describe.each(POLICIES)('GUP and fork (%s)', (name, mk) => {
  const idle = name === '1based' ? 1 : 0;

  it('GUP on a range never faulted (O_DIRECT read into an unfaulted DAX mapping)', () => {
    const { k, fs } = fsdax(mk(), { size: SZ_1G });
    const f = fs.create('buf', SZ_2M);
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: SZ_2M }));
    expect(mm.pt.lookup(addr)).toBeNull();
    const pin = runAlone(k, 'gup', (t) => pinUserPages(k, t, mm, addr, 512, FOLL_WRITE));
    expect(pin.err).toBe(0);
    expect(pin.pfns).toHaveLength(512);
    expect(mm.pt.lookup(addr)!.level).toBe('pmd');
    // The "disk" DMAs the O_DIRECT read into the pinned pages.
    const nic = createDmaEngine(k, { chunkBytes: 64 * 1024 });
    const m = nic.map(pin.pfns);
    const payload = new Uint8Array(3 * SZ_4K).fill(0x5a);
    const res = runAlone(k, 'dma', (t) => nic.write(t, m, SZ_4K, payload));
    expect(res).toMatchObject({ ok: true, bytes: 3 * SZ_4K });
    nic.unmap(m);
    runAlone(k, 'unpin', function* (t) {
      unpinUserPages(k, t, pin.pfns);
    });
    const r = runAlone(k, 'pread', (t) => fs.pread(k, t, f, SZ_4K, 3 * SZ_4K)) as Uint8Array;
    expect(r.every((x) => x === 0x5a)).toBe(true);
    // gup-fast over the now-faulted range, then truncate with nothing busy.
    const g = runAlone(k, 'gupf', (t) => getUserPagesFast(k, t, mm, addr, 8));
    expect(g.err).toBe(0);
    runAlone(k, 'put', function* (t) {
      for (const p of g.pfns) putPage(k, t, p);
    });
    expect(k.memmap.refcount(k.memmap.compoundHead(pin.pfns[0]!))).toBe(idle + (name === '0based' ? 1 : 0));
    expect(runAlone(k, 'truncate', (t) => fs.truncate(k, t, f, 0))).toBe(0);
    expect(k.violations).toEqual([]);
  });

  it('fork with a PMD mapped: the child refaults; teardown is balanced', () => {
    const { k, fs, ns } = fsdax(mk(), { size: SZ_1G });
    const f = fs.create('a', SZ_2M);
    const parent = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, parent, { file: f, length: SZ_2M }));
    runAlone(k, 'store', (t) => userAccess(k, t, parent, addr + SZ_4K, true, bytes('parent')));
    const leaf = parent.pt.lookup(addr)!;
    expect(leaf.level).toBe('pmd');
    const child = runAlone(k, 'fork', (t) => fork(k, t, parent));
    expect(child.pt.lookup(addr)).toBeNull(); // copy_huge_pmd: "Skip if can be re-fill on fault"
    const r = runAlone(k, 'child-load', (t) => userAccess(k, t, child, addr + SZ_4K, false, undefined, 6));
    expect(r.ok && text(r.data)).toBe('parent');
    expect(child.pt.lookup(addr)!.level).toBe('pmd');
    expect(child.pt.lookup(addr)!.pfn).toBe(leaf.pfn);
    runAlone(k, 'child-exit', (t) => exitMmap(k, t, child));
    runAlone(k, 'parent-exit', (t) => exitMmap(k, t, parent));
    expect(k.memmap.refcount(leaf.pfn)).toBe(idle);
    expect(runAlone(k, 'truncate', (t) => fs.truncate(k, t, f, 0))).toBe(0);
    runAlone(k, 'unbind', (t) => unbindNamespace(k, t, ns));
    expect(ns.state).toBe('idle');
    expect(k.violations).toEqual([]);
  });
});

describe('device-dax through the design (seed 000 patch 12)', () => {
  it('0based@dan-2022: the devdax fault inserts a DAX entry that holds the page; GUP works; unbind drops it', () => {
    const { k, ns, b } = devdax(zeroBasedPolicy('dan-2022'), { align: SZ_2M, size: 8 * SZ_2M, map: 'ram' });
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => devDaxMmap(k, t, mm, b.file, { length: SZ_2M }));
    const w = runAlone(k, 'store', (t) => userAccess(k, t, mm, addr, true, bytes('x')));
    expect(w.ok).toBe(true);
    const pfn = w.ok ? w.pfn : -1;
    expect(k.memmap.refcount(pfn)).toBe(1); // the entry's reference (dax_insert_entry)
    expect(b.file.entries.size).toBe(1);
    const pin = runAlone(k, 'pin', (t) => pinUserPagesFast(k, t, mm, addr, 1, FOLL_WRITE));
    expect(pin.err).toBe(0);
    expect(k.violations).toEqual([]); // no get on a zero refcount
    runAlone(k, 'unpin', function* (t) {
      unpinUserPages(k, t, pin.pfns);
      yield* munmap(k, t, mm, addr, SZ_2M);
    });
    expect(k.memmap.refcount(pfn)).toBe(1);
    runAlone(k, 'unbind', (t) => unbindNamespace(k, t, ns));
    expect(b.file.entries.size).toBe(0);
    expect(k.violations).toEqual([]);
  });

  it('0based@v6.15 keeps dax_set_mapping(): no entry; the page idles at 1 (MEMORY_DEVICE_GENERIC) and the mapping holds one more', () => {
    const { k, b } = devdax(zeroBasedPolicy('v6.15'), { align: SZ_2M, size: 8 * SZ_2M, map: 'ram' });
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => devDaxMmap(k, t, mm, b.file, { length: SZ_2M }));
    const w = runAlone(k, 'store', (t) => userAccess(k, t, mm, addr, true, bytes('x')));
    // __init_zone_device_page() leaves MEMORY_DEVICE_GENERIC at init_page_count()'s 1 in 6.15;
    // vmf_insert_page_mkwrite() → insert_page() takes the mapping's folio reference
    expect(w.ok && k.memmap.refcount(w.pfn)).toBe(2);
    expect(b.file.entries.size).toBe(0);
  });
});
