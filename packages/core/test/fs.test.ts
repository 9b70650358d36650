import { describe, expect, it } from 'vitest';
import {
  createMm,
  Errno,
  FOLL_LONGTERM,
  FOLL_WRITE,
  madviseDontneed,
  mmap,
  mprotect,
  munmap,
  PTE_SPECIAL,
  PTE_WRITE,
  pinUserPages,
  type Task,
  unpinUserPages,
  userAccess,
} from '../src/index';
import { legacyPolicy, PMEM_PFN, runAlone, setup, zeroBasedPolicy } from './helpers';

describe('DAX filesystem', () => {
  it('the allocator hands a freed block out again first, with a new owner tag', () => {
    const { k, fs, media } = setup(zeroBasedPolicy());
    const a = fs.create('a');
    runAlone(k, 'w', (t) => fs.pwrite(k, t, a, 0, new Uint8Array(3 * 4096)));
    const b1 = a.blocks.get(1)!;
    const tag = media.ownerTag(PMEM_PFN + b1);
    expect(tag.file).toBe(a.ino);
    runAlone(k, 'punch', (t) => fs.punchHole(k, t, a, 4096, 4096));
    expect(media.ownerTag(PMEM_PFN + b1).file).toBe(0);
    const b = fs.create('b');
    runAlone(k, 'w', (t) => fs.pwrite(k, t, b, 0, new Uint8Array([1])));
    expect(b.blocks.get(0)).toBe(b1);
    expect(media.ownerTag(PMEM_PFN + b1)).toMatchObject({ file: b.ino });
    expect(media.ownerTag(PMEM_PFN + b1).gen).toBeGreaterThan(tag.gen);
  });

  it('pwrite / pread go through dax_direct_access; holes read as zeros', () => {
    const { k, fs } = setup(legacyPolicy());
    const a = fs.create('a');
    runAlone(k, 'w', (t) => fs.pwrite(k, t, a, 4096 + 10, new Uint8Array([1, 2, 3])));
    expect(a.size).toBe(4096 + 13);
    const r = runAlone(k, 'r', (t) => fs.pread(k, t, a, 4096 + 9, 5)) as Uint8Array;
    expect([...r]).toEqual([0, 1, 2, 3]);
    const hole = runAlone(k, 'r0', (t) => fs.pread(k, t, a, 0, 4)) as Uint8Array;
    expect([...hole]).toEqual([0, 0, 0, 0]);
  });

  it('a read fault on a hole maps the zero page; a write then replaces it with a block', () => {
    const { k, fs } = setup(zeroBasedPolicy());
    const f = fs.create('f', 4096);
    const mm = createMm(k);
    const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 4096 }));
    const r = runAlone(k, 'read', (t) => userAccess(k, t, mm, a, false));
    expect(r).toMatchObject({ ok: true, pfn: k.zeroPfn });
    expect(mm.pt.lookup(a)!.bits & PTE_SPECIAL).toBeTruthy();
    expect(f.mapping.lookup(0)?.zero).toBe(true);
    const w = runAlone(k, 'write', (t) => userAccess(k, t, mm, a, true, new Uint8Array([8])));
    expect(w.ok).toBe(true);
    const pfn = (w as { pfn: number }).pfn;
    expect(pfn).not.toBe(k.zeroPfn);
    expect(mm.pt.lookup(a)!.bits & PTE_WRITE).toBeTruthy();
    expect(k.memmap.refcount(pfn)).toBe(1);
    expect(k.memmap.refcount(k.zeroPfn)).toBe(1); // the zero page was never referenced by its mapping
  });

  it('a PMD read of a hole maps the huge zero folio; a write replaces it with a PMD of blocks; a PTE fault downgrades it', () => {
    const { k, fs } = setup(zeroBasedPolicy());
    const f = fs.create('f', 2 * 2 * 1024 * 1024);
    const mm = createMm(k);
    const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 4 * 1024 * 1024 }));
    expect(runAlone(k, 'read', (t) => userAccess(k, t, mm, a + 4096, false))).toMatchObject({ ok: true });
    const z = mm.pt.lookup(a)!;
    expect(z).toMatchObject({ level: 'pmd', pfn: k.hugeZeroPfn() });
    expect(z.bits & PTE_SPECIAL).toBeTruthy();
    expect(f.mapping.lookup(0)).toMatchObject({ zero: true, order: 9 });
    runAlone(k, 'write', (t) => userAccess(k, t, mm, a + 4096, true, new Uint8Array([3])));
    const leaf = mm.pt.lookup(a)!;
    expect(leaf.level).toBe('pmd');
    expect(k.isZeroPfn(leaf.pfn)).toBe(false);
    expect(k.memmap.refcount(leaf.pfn)).toBe(1);
    // the second 2 MiB: a huge zero PMD; once mprotect splits the VMA inside it, a write faults a PTE and downgrades it
    runAlone(k, 'read2', (t) => userAccess(k, t, mm, a + 2 * 1024 * 1024, false));
    expect(f.mapping.lookup(512)).toMatchObject({ zero: true, order: 9 });
    runAlone(k, 'split', (t) => mprotect(k, t, mm, a + 4 * 1024 * 1024 - 4096, 4096, { write: false }));
    runAlone(k, 'zap', (t) => madviseDontneed(k, t, mm, a + 2 * 1024 * 1024, 2 * 1024 * 1024));
    runAlone(k, 'write2', (t) => userAccess(k, t, mm, a + 2 * 1024 * 1024, true, new Uint8Array([4])));
    expect(mm.pt.lookup(a + 2 * 1024 * 1024)!.level).toBe('pte');
    expect(f.mapping.lookup(512)).toMatchObject({ zero: false, order: 0 });
    expect(k.violations).toEqual([]);
  });

  for (const [name, mk] of [
    ['1-based', legacyPolicy],
    ['0-based', zeroBasedPolicy],
  ] as const) {
    it(`${name}: a PTE fault over a PMD entry maps its subpage and leaves the entry and its association alone`, () => {
      const { k, fs } = setup(mk());
      const f = fs.create('f', 2 * 1024 * 1024);
      const mm = createMm(k);
      const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 2 * 1024 * 1024 }));
      runAlone(k, 'write', (t) => userAccess(k, t, mm, a, true, new Uint8Array([1])));
      const head = mm.pt.lookup(a)!.pfn;
      const entry = f.mapping.lookup(0)!;
      expect(entry).toMatchObject({ order: 9, pfn: head });
      // dropping the first page of the VMA zaps the whole PMD; the rest can only refault with PTEs
      runAlone(k, 'munmap', (t) => munmap(k, t, mm, a, 4096));
      const r = runAlone(k, 'read', (t) => userAccess(k, t, mm, a + 7 * 4096, false));
      expect(r).toMatchObject({ ok: true, pfn: head + 7 });
      expect(mm.pt.lookup(a + 7 * 4096)!.level).toBe('pte');
      expect(f.mapping.lookup(7)).toBe(entry);
      expect(entry).toMatchObject({ order: 9, pfn: head });
      expect(k.memmap.mapping(head)).toBe(f.mapping.id);
      expect(k.violations).toEqual([]);
    });
  }

  for (const [name, mk] of [
    ['1-based', legacyPolicy],
    ['0-based', zeroBasedPolicy],
  ] as const) {
    it(`${name}: __split_vma splits a PMD that straddles the new boundary; the write refaults with a PTE`, () => {
      const { k, fs } = setup(mk());
      const f = fs.create('f', 2 * 1024 * 1024);
      const mm = createMm(k);
      const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 2 * 1024 * 1024 }));
      runAlone(k, 'write', (t) => userAccess(k, t, mm, a, true, new Uint8Array([1])));
      const head = mm.pt.lookup(a)!.pfn;
      expect(mm.pt.lookup(a)!.level).toBe('pmd');
      const ref = k.memmap.refcount(head);
      // mprotect the upper half read-only: __split_vma at a + 1 MiB → vma_adjust_trans_huge
      expect(runAlone(k, 'mprotect', (t) => mprotect(k, t, mm, a + 1024 * 1024, 1024 * 1024, {}))).toBe(0);
      expect(mm.vmas).toHaveLength(2);
      expect(mm.pt.lookup(a)).toBeNull(); // the straddling PMD is gone, not write-protected whole
      // 0-based: folio_remove_rmap_pmd + folio_put; 1-based: the devmap PMD held nothing
      expect(k.memmap.refcount(head)).toBe(name === '0-based' ? ref - 1 : ref);
      const w = runAlone(k, 'write', (t) => userAccess(k, t, mm, a + 4096, true, new Uint8Array([2])));
      expect(w).toMatchObject({ ok: true, pfn: head + 1 });
      expect(mm.pt.lookup(a + 4096)!.level).toBe('pte');
      const ro = runAlone(k, 'write', (t) =>
        userAccess(k, t, mm, a + 1024 * 1024, true, new Uint8Array([3])),
      );
      expect(ro).toMatchObject({ ok: false, signal: 'SIGSEGV' });
      runAlone(k, 'munmap', (t) => munmap(k, t, mm, a, 2 * 1024 * 1024));
      expect(k.memmap.refcount(head)).toBe(name === '0-based' ? ref - 1 : ref);
      expect(k.violations).toEqual([]);
    });
  }

  it('fsdax has no 1 GiB faults (dax_iomap_fault): a PUD-sized mapping falls back to PMD leaves', () => {
    const { k, fs } = setup(zeroBasedPolicy(), 2 ** 19);
    const f = fs.create('huge', 2 ** 30);
    const mm = createMm(k);
    const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 2 ** 30 }));
    runAlone(k, 'write', (t) => userAccess(k, t, mm, a + 12345 * 4096, true, new Uint8Array([1])));
    const leaf = mm.pt.lookup(a + 12345 * 4096)!;
    expect(leaf.level).toBe('pmd');
    expect(leaf.pfn % 512).toBe(0);
    expect(k.memmap.folioOrder(leaf.pfn)).toBe(9);
    expect(mm.rss).toBe(512);
  });

  it('a huge fault over an extent whose pfn is not PMD-aligned falls back to PTEs', () => {
    const { k, fs } = setup(zeroBasedPolicy());
    const f = fs.create('f', 2 * 1024 * 1024);
    // fill the file with 4 KiB writes: its blocks are contiguous but start one block off alignment
    const pad = fs.create('pad');
    runAlone(k, 'pad', (t) => fs.pwrite(k, t, pad, 0, new Uint8Array(1)));
    runAlone(k, 'fill', (t) => fs.pwrite(k, t, f, 0, new Uint8Array(2 * 1024 * 1024)));
    const mm = createMm(k);
    const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 2 * 1024 * 1024 }));
    runAlone(k, 'read', (t) => userAccess(k, t, mm, a, false));
    expect(mm.pt.lookup(a)!.level).toBe('pte');
    expect(k.violations).toEqual([]);
  });

  it('a fault waits for a locked DAX entry (wait_entry_unlocked) and is woken when it is unlocked', () => {
    const { k, fs } = setup(zeroBasedPolicy());
    const f = fs.create('f', 4096);
    const mm = createMm(k);
    const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 4096 }));
    const t1 = k.spawn('t1', (t) => userAccess(k, t, mm, a, true, new Uint8Array([1])));
    const t2 = k.spawn('t2', (t) => userAccess(k, t, mm, a, true, new Uint8Array([2])));
    // run t1 into the fault until it holds the entry lock (it yields in the page-table walk for the zero page unmap)
    let guard = 0;
    while (!f.mapping.lookup(0)?.locked && guard++ < 50) k.sched.stepTask(t1);
    expect(f.mapping.lookup(0)?.locked).toBe(true);
    k.sched.runTask(t2);
    expect(t2.blocker?.kind).toBe('entry');
    expect(t2.blocker?.fn).toBe('wait_entry_unlocked');
    expect(k.run().status).toBe('done');
    expect(k.violations).toEqual([]);
  });

  it('unmount is -EBUSY while a file is open; afterwards every inode is evicted', () => {
    const { k, fs } = setup(legacyPolicy());
    const f = fs.create('f');
    runAlone(k, 'w', (t) => fs.pwrite(k, t, f, 0, new Uint8Array([1])));
    expect(runAlone(k, 'umount', (t) => fs.unmount(k, t))).toBe(-Errno.EBUSY);
    runAlone(k, 'close', (t) => fs.close(k, t, f));
    expect(runAlone(k, 'umount', (t) => fs.unmount(k, t))).toBe(0);
    expect(f.evicted).toBe(true);
    expect(() => fs.create('g')).toThrow(/unmounted/);
  });

  it('reflink is refused where the design predates DAX reflink', () => {
    const { k, fs } = setup(legacyPolicy({ reflink: false }));
    const a = fs.create('a');
    const b = fs.create('b');
    expect(runAlone(k, 'reflink', (t) => fs.reflink(k, t, a, b))).toBe(-Errno.EOPNOTSUPP);
  });

  it('a write fault on a reflinked block copies it (CoW) and leaves the other file untouched', () => {
    const { k, fs } = setup(zeroBasedPolicy());
    const a = fs.create('a');
    runAlone(k, 'w', (t) => fs.pwrite(k, t, a, 0, new Uint8Array([42])));
    const b = fs.create('b');
    runAlone(k, 'reflink', (t) => fs.reflink(k, t, a, b));
    expect(b.blocks.get(0)).toBe(a.blocks.get(0));
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: b, length: 4096 }));
    runAlone(k, 'store', (t) => userAccess(k, t, mm, addr, true, new Uint8Array([7])));
    expect(b.blocks.get(0)).not.toBe(a.blocks.get(0));
    const ra = runAlone(k, 'ra', (t) => fs.pread(k, t, a, 0, 1)) as Uint8Array;
    const rb = runAlone(k, 'rb', (t) => fs.pread(k, t, b, 0, 1)) as Uint8Array;
    expect([ra[0], rb[0]]).toEqual([42, 7]);
  });

  it('GUP on a range never faulted (O_DIRECT on unfaulted DAX) faults it in', () => {
    const { k, fs } = setup(zeroBasedPolicy());
    const f = fs.create('f', 8 * 4096);
    const mm = createMm(k);
    const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 8 * 4096 }));
    const r = runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, a, 8, FOLL_WRITE));
    expect(r.err).toBe(0);
    expect(new Set(r.pfns).size).toBe(8);
    for (const pfn of r.pfns) expect(k.memmap.refcount(pfn)).toBe(1 + 1024);
    runAlone(k, 'unpin', function* (t) {
      unpinUserPages(k, t, r.pfns);
    });
    runAlone(k, 'munmap', (t) => munmap(k, t, mm, a, 8 * 4096));
    for (const pfn of r.pfns) expect(k.memmap.refcount(pfn)).toBe(0);
  });

  it('leases: a lease holder may long-term pin; truncate sends SIGIO and waits; a holder that lets go lets truncate finish', () => {
    const { k, fs } = setup(zeroBasedPolicy({ leases: true }));
    const f = fs.create('f', 4096);
    const mm = createMm(k);
    let pins: number[] = [];
    const holder = k.spawn('holder', function* (t: Task) {
      expect(fs.setLease(k, t, f)).toBe(0);
      const a = yield* mmap(k, t, mm, { file: f, length: 4096 });
      const r = yield* pinUserPages(k, t, mm, a, 1, FOLL_LONGTERM | FOLL_WRITE);
      expect(r.err).toBe(0);
      pins = r.pfns;
      yield* munmap(k, t, mm, a, 4096);
      while (!t.takeSignal('SIGIO')) yield* k.sched.sleep(t, 10);
      unpinUserPages(k, t, pins);
      fs.releaseLease(k, t, f);
    });
    const trunc = k.spawn('trunc', (t) => fs.truncate(k, t, f, 0));
    k.sched.runTask(holder);
    expect(pins.length).toBe(1);
    expect(k.run().status).toBe('done');
    expect(holder.state).toBe('done');
    expect(trunc.result).toBe(0);
    expect(k.violations).toEqual([]);
  });

  it('leases: a holder that ignores SIGIO past the lease-break time is killed; its exit unpins', () => {
    const { k, fs } = setup(zeroBasedPolicy({ leases: true }));
    fs.leaseBreakTicks = 50;
    const f = fs.create('f', 4096);
    const mm = createMm(k);
    const holder = k.spawn('holder', function* (t: Task) {
      fs.setLease(k, t, f);
      const a = yield* mmap(k, t, mm, { file: f, length: 4096 });
      const r = yield* pinUserPages(k, t, mm, a, 1, FOLL_LONGTERM | FOLL_WRITE);
      t.exitHooks.push(function* (exit) {
        unpinUserPages(k, exit, r.pfns);
        yield* munmap(k, exit, mm, a, 4096);
      });
      for (;;) yield* k.sched.nanosleep(t, 1000);
    });
    const trunc = k.spawn('trunc', (t) => fs.truncate(k, t, f, 0));
    k.sched.runTask(holder);
    expect(k.run().status).toBe('done');
    expect(holder.state).toBe('killed');
    expect(trunc.result).toBe(0);
    expect(k.violations).toEqual([]);
  });

  it('FOLL_LONGTERM without a lease is refused even where leases exist', () => {
    const { k, fs } = setup(zeroBasedPolicy({ leases: true }));
    const f = fs.create('f', 4096);
    const mm = createMm(k);
    const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 4096 }));
    const r = runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, a, 1, FOLL_LONGTERM));
    expect(r.err).toBe(-Errno.EOPNOTSUPP);
  });
});
