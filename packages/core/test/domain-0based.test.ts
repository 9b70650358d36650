// DOMAIN §3a: the 0-based design as merged in 6.15, row by row, with the core's mechanisms and
// the 0-based test policy.
import { describe, expect, it } from 'vitest';
import {
  createMm,
  Errno,
  FOLL_LONGTERM,
  FOLL_WRITE,
  getUserPages,
  KEY_PAGE,
  MEMMAP_POISON,
  memunmapPages,
  mmap,
  munmap,
  PG_DAX_SHARED,
  PG_HEAD,
  PG_STALE,
  PTE_DEVMAP,
  PTE_DIRTY,
  PTE_SPECIAL,
  pageVarKey,
  pinUserPages,
  pinUserPagesFast,
  unpinUserPage,
  unpinUserPages,
  userAccess,
} from '../src/index';
import { PMEM_PFN, runAlone, setup, zeroBasedPolicy } from './helpers';

function mapped(pages = 4) {
  const env = setup(zeroBasedPolicy());
  const { k, fs } = env;
  const f = fs.create('f', pages * 4096);
  const mm = createMm(k);
  const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: pages * 4096 }));
  return { ...env, f, mm, addr };
}

function fault(
  env: { k: ReturnType<typeof setup>['k']; mm: ReturnType<typeof createMm>; addr: number },
  page = 0,
  write = true,
) {
  const { k, mm, addr } = env;
  const r = runAlone(k, 'fault', (t) =>
    userAccess(k, t, mm, addr + page * 4096, write, write ? new Uint8Array([7]) : undefined),
  );
  expect(r.ok).toBe(true);
  return (r as { pfn: number }).pfn;
}

describe('0-based (DOMAIN §3a)', () => {
  it('device setup: pages start at 0 (__init_zone_device_page)', () => {
    const { k } = setup(zeroBasedPolicy(), 1024);
    expect(k.memmap.refcount(PMEM_PFN)).toBe(0);
    expect(k.devmapManagedKey).toBe(0);
  });

  it('fault (4 KiB): dax_folio_init sets mapping/index, the mapping holds +1 ref and +1 mapcount; the temporary ref is gone', () => {
    const env = mapped();
    const pfn = fault(env, 1);
    const { k, f, mm, addr } = env;
    expect(k.memmap.refcount(pfn)).toBe(1);
    expect(k.memmap.mapcount(pfn)).toBe(1);
    expect(k.memmap.mapping(pfn)).toBe(f.mapping.id);
    expect(k.memmap.index(pfn)).toBe(1);
    const leaf = mm.pt.lookup(addr + 4096)!;
    expect(leaf.bits & (PTE_DEVMAP | PTE_SPECIAL)).toBe(0);
    expect(mm.rss).toBe(1);
    expect(k.violations).toEqual([]);
  });

  it('fault (2 MiB): an order-9 folio, one ref and one entire mapcount on the head', () => {
    const env = setup(zeroBasedPolicy());
    const { k, fs } = env;
    const f = fs.create('big', 2 * 1024 * 1024);
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 2 * 1024 * 1024 }));
    const r = runAlone(k, 'fault', (t) => userAccess(k, t, mm, addr + 5 * 4096, true, new Uint8Array([1])));
    expect(r.ok).toBe(true);
    const leaf = mm.pt.lookup(addr)!;
    expect(leaf.level).toBe('pmd');
    const head = leaf.pfn;
    expect(head % 512).toBe(0);
    expect(k.memmap.flags(head) & PG_HEAD).toBeTruthy();
    expect(k.memmap.folioOrder(head)).toBe(9);
    expect(k.memmap.compoundHead(head + 77)).toBe(head);
    expect(k.memmap.refcount(head)).toBe(1);
    expect(k.memmap.refcount(head + 1)).toBe(0);
    expect(k.memmap.entireMapcount(head)).toBe(1);
    expect(k.memmap.folioMapcount(head)).toBe(1);
    expect(k.memmap.pincount(head)).toBe(0);
    expect(mm.rss).toBe(512);
  });

  it('fault: a folio still referenced when it is initialised warns (dax_folio_init)', () => {
    const env = mapped();
    const pfn = PMEM_PFN; // the first block the allocator hands out
    env.k.memmap.setRefcount(pfn, 1);
    fault(env, 0);
    expect(env.k.violations.map((v) => v.rule)).toEqual(['dax_folio_init: folio_ref_count(folio) != 0']);
  });

  it('GUP: the normal path, no pgmap work; +1 GET, +1024 PIN on a small folio', () => {
    const env = mapped();
    const { k, mm, addr, pgmap } = env;
    const pfn = fault(env, 0);
    const before = pgmap.ref.count();
    let lookups = 0;
    const orig = k.pgmaps.getDevPagemap.bind(k.pgmaps);
    k.pgmaps.getDevPagemap = (p, c, cpu) => {
      lookups++;
      return orig(p, c, cpu);
    };
    runAlone(k, 'get', (t) => getUserPages(k, t, mm, addr, 1));
    expect(k.memmap.refcount(pfn)).toBe(2);
    runAlone(k, 'pin', (t) => pinUserPagesFast(k, t, mm, addr, 1, FOLL_WRITE));
    expect(k.memmap.refcount(pfn)).toBe(2 + 1024);
    expect(k.memmap.maybeDmaPinned(pfn, 1024)).toBe(true);
    expect(lookups).toBe(0);
    expect(pgmap.ref.count()).toBe(before);
  });

  it('GUP on a PMD folio: a pin adds 1 ref and 1 _pincount per page; unpin takes them back', () => {
    const env = setup(zeroBasedPolicy());
    const { k, fs } = env;
    const f = fs.create('big', 2 * 1024 * 1024);
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 2 * 1024 * 1024 }));
    runAlone(k, 'fault', (t) => userAccess(k, t, mm, addr, true, new Uint8Array([1])));
    const head = mm.pt.lookup(addr)!.pfn;
    const p = runAlone(k, 'pin', (t) => pinUserPagesFast(k, t, mm, addr, 123, FOLL_WRITE));
    expect(p.pfns.length).toBe(123);
    expect(k.memmap.refcount(head)).toBe(1 + 123);
    expect(k.memmap.pincount(head)).toBe(123);
    expect(k.memmap.maybeDmaPinned(head, 1024)).toBe(true);
    runAlone(k, 'unpin', function* (t) {
      unpinUserPages(k, t, p.pfns);
    });
    expect(k.memmap.refcount(head)).toBe(1);
    expect(k.memmap.pincount(head)).toBe(0);
  });

  it('FOLL_LONGTERM is refused on FSDAX (folio_is_longterm_pinnable / check_vma_flags)', () => {
    const env = mapped();
    fault(env, 0);
    const r = runAlone(env.k, 'lt', (t) => pinUserPagesFast(env.k, t, env.mm, env.addr, 1, FOLL_LONGTERM));
    expect(r).toEqual({ pfns: [], err: -Errno.EOPNOTSUPP });
  });

  it('put / unpin: free_zone_device_folio at 0 wakes &folio->page; the mapping is not cleared there', () => {
    const env = mapped();
    const { k, mm, addr, f } = env;
    const pfn = fault(env, 0);
    runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, addr, 1));
    const woken: unknown[] = [];
    k.waits.onWake = (key) => woken.push(key);
    runAlone(k, 'munmap', (t) => munmap(k, t, mm, addr, 4 * 4096));
    expect(k.memmap.refcount(pfn)).toBe(1024);
    expect(woken).toEqual([]);
    runAlone(k, 'unpin', function* (t) {
      unpinUserPage(k, t, pfn);
    });
    expect(k.memmap.refcount(pfn)).toBe(0);
    expect(woken).toEqual([pageVarKey(pfn, KEY_PAGE)]);
    expect(k.memmap.mapping(pfn)).toBe(f.mapping.id);
  });

  it('zap of a clean PTE: the rmap goes at once, the reference only after the TLB flush', () => {
    const env = mapped();
    const { k, mm, addr, f, fs } = env;
    runAlone(k, 'write', (t) => fs.pwrite(k, t, f, 0, new Uint8Array([1]))); // a block, mapped by a read fault: clean
    const pfn = fault(env, 0, false);
    expect(mm.pt.lookup(addr)!.bits & PTE_DIRTY).toBe(0);
    const un = k.spawn('munmap', (t) => munmap(k, t, mm, addr, 4 * 4096));
    // run until the window between zap and flush
    while (k.memmap.mapcount(pfn) !== 0) k.sched.stepTask(un);
    expect(k.memmap.refcount(pfn)).toBe(1);
    expect(un.state).toBe('runnable');
    k.sched.runTask(un);
    expect(k.memmap.refcount(pfn)).toBe(0);
  });

  it('zap of a dirty file PTE: delay_rmap + force_flush drop the rmap and the reference together', () => {
    const env = mapped();
    const { k, mm, addr } = env;
    const pfn = fault(env, 0, true);
    expect(mm.pt.lookup(addr)!.bits & PTE_DIRTY).toBeTruthy();
    const un = k.spawn('munmap', (t) => munmap(k, t, mm, addr, 4 * 4096));
    while (k.memmap.refcount(pfn) !== 0) {
      expect(k.memmap.mapcount(pfn)).toBe(1); // never a window with the rmap gone and the reference held
      k.sched.stepTask(un);
    }
    expect(k.memmap.mapcount(pfn)).toBe(0);
    expect(k.violations).toEqual([]);
  });

  it('truncate: busy = ref − mapcount ≠ 0, wait_page_idle for 0 with locks dropped, retry; then dax_folio_put', () => {
    const env = mapped();
    const { k, mm, addr, f, fs } = env;
    const pfn = fault(env, 0);
    runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, addr, 1));
    runAlone(k, 'munmap', (t) => munmap(k, t, mm, addr, 4 * 4096)); // no mapping_mapped shortcut in 6.15
    const trunc = k.spawn('trunc', (t) => fs.truncate(k, t, f, 0));
    expect(k.sched.runTask(trunc)).toBe('blocked');
    expect(k.waits.waiters(pageVarKey(pfn, KEY_PAGE))).toEqual([trunc]);
    expect(f.mmapLock.heldBy(trunc)).toBe(false);
    runAlone(k, 'unpin', function* (t) {
      unpinUserPage(k, t, pfn);
    });
    expect(k.sched.runTask(trunc)).toBe('done');
    expect(k.memmap.mapping(pfn)).toBe(0);
    expect(fs.alloc.shareCount(pfn - PMEM_PFN)).toBe(0);
    expect(k.violations).toEqual([]);
  });

  it('truncate of a mapped, unpinned page: ref == mapcount is not busy; unmapping drops both', () => {
    const env = mapped();
    const { k, f, fs } = env;
    const pfn = fault(env, 0);
    runAlone(k, 'trunc', (t) => fs.truncate(k, t, f, 0));
    expect(k.memmap.refcount(pfn)).toBe(0);
    expect(k.memmap.mapcount(pfn)).toBe(0);
    expect(k.violations).toEqual([]);
  });

  it('delete of a PMD folio: mapping NULL, split to order 0 with the folio metadata poisoned', () => {
    const env = setup(zeroBasedPolicy());
    const { k, fs } = env;
    const f = fs.create('big', 2 * 1024 * 1024);
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 2 * 1024 * 1024 }));
    runAlone(k, 'fault', (t) => userAccess(k, t, mm, addr, true, new Uint8Array([1])));
    const head = mm.pt.lookup(addr)!.pfn;
    runAlone(k, 'trunc', (t) => fs.truncate(k, t, f, 0));
    expect(k.memmap.isLarge(head)).toBe(false);
    expect(k.memmap.folioOrder(head)).toBe(0);
    expect(k.memmap.compoundHead(head + 3)).toBe(head + 3);
    expect(k.memmap.mapping(head)).toBe(0);
    expect(k.memmap.flags(head + 1) & PG_STALE).toBeTruthy();
    expect(k.memmap.index(head + 1)).toBe(MEMMAP_POISON);
    expect(() => k.memmap.pincount(head)).toThrow(/stale read of _pincount/);
    expect(k.violations).toEqual([]);
  });

  it('reflink: a shared folio gets mapping NULL and share 2; the last share clears it', () => {
    const env = mapped(1);
    const { k, fs, f, mm, addr } = env;
    const pfn = fault(env, 0);
    runAlone(k, 'unmap', (t) => munmap(k, t, mm, addr, 4096));
    const g = fs.create('g', 0);
    expect(runAlone(k, 'reflink', (t) => fs.reflink(k, t, f, g))).toBe(0);
    // f's cached entry is private: drop it so both files associate the block as shared
    runAlone(k, 'drop', (t) => fs.punchHole(k, t, f, 0, 4096));
    runAlone(k, 'reflink2', (t) => fs.reflink(k, t, g, f));
    const mm2 = createMm(k);
    const a1 = runAlone(k, 'map1', (t) => mmap(k, t, mm2, { file: f, length: 4096 }));
    const a2 = runAlone(k, 'map2', (t) => mmap(k, t, mm2, { file: g, length: 4096 }));
    expect(runAlone(k, 'r1', (t) => userAccess(k, t, mm2, a1, false)).ok).toBe(true);
    expect(runAlone(k, 'r2', (t) => userAccess(k, t, mm2, a2, false)).ok).toBe(true);
    expect(k.memmap.flags(pfn) & PG_DAX_SHARED).toBeTruthy();
    expect(k.memmap.mapping(pfn)).toBe(0);
    expect(k.memmap.index(pfn)).toBe(2);
    expect(k.memmap.refcount(pfn)).toBe(2); // two mappings
    runAlone(k, 'unmap', (t) => munmap(k, t, mm2, a1, 4096));
    runAlone(k, 'trunc-f', (t) => fs.truncate(k, t, f, 0));
    expect(k.memmap.index(pfn)).toBe(1);
    expect(k.violations).toEqual([]);
  });

  it('evict: dax_break_layout_final waits, uninterruptibly, for the page to go idle', () => {
    const env = mapped();
    const { k, mm, addr, f, fs } = env;
    const pfn = fault(env, 0);
    runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, addr, 1));
    runAlone(k, 'munmap', (t) => munmap(k, t, mm, addr, 4 * 4096));
    const closer = k.spawn('unlink+close', function* (t) {
      yield* fs.unlink(k, t, f);
      yield* fs.close(k, t, f);
    });
    expect(k.sched.runTask(closer)).toBe('blocked');
    expect(fs.alloc.shareCount(pfn - PMEM_PFN)).toBe(1); // the block is not freed yet
    runAlone(k, 'unpin', function* (t) {
      unpinUserPage(k, t, pfn);
    });
    expect(k.sched.runTask(closer)).toBe('done');
    expect(f.evicted).toBe(true);
    expect(fs.alloc.shareCount(pfn - PMEM_PFN)).toBe(0);
  });

  it('unbind: memunmap_pages drops the static refs and does not wait on folio refs', () => {
    const env = mapped();
    const { k, mm, addr, pgmap, dax } = env;
    fault(env, 0);
    runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, addr, 1));
    dax.kill();
    runAlone(k, 'unbind', (t) => memunmapPages(k, t, pgmap));
    expect(pgmap.removed).toBe(true);
    expect(pgmap.ref.count()).toBe(0);
  });
});
