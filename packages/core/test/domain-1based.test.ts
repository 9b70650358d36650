// DOMAIN §2: the legacy 1-based design, row by row, with the core's own mechanisms and the
// 1-based test policy (v6.14 rules).
import { describe, expect, it } from 'vitest';
import {
  createMm,
  Errno,
  FOLL_LONGTERM,
  FOLL_WRITE,
  getUserPages,
  getUserPagesFast,
  KEY_REFCOUNT,
  memunmapPages,
  mmap,
  munmap,
  PG_DAX_SHARED,
  PTE_DEVMAP,
  PTE_SPECIAL,
  pageVarKey,
  pinUserPages,
  pinUserPagesFast,
  putPage,
  releasePages,
  unpinUserPage,
  userAccess,
} from '../src/index';
import { legacyPolicy, PMEM_PFN, runAlone, setup } from './helpers';

function mapped(pages = 4, policy = legacyPolicy()) {
  const env = setup(policy);
  const { k, fs } = env;
  const f = fs.create('f', pages * 4096);
  const mm = createMm(k);
  const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: pages * 4096 }));
  return { ...env, f, mm, addr };
}

function fault(env: ReturnType<typeof mapped>, page = 0, write = true) {
  const { k, mm, addr } = env;
  const r = runAlone(k, 'fault', (t) =>
    userAccess(k, t, mm, addr + page * 4096, write, write ? new Uint8Array([7]) : undefined),
  );
  expect(r.ok).toBe(true);
  return (r as { pfn: number }).pfn;
}

describe('1-based (DOMAIN §2)', () => {
  it('device setup: every page at _refcount 1, static pgmap refs for every page, devmap_managed_key on', () => {
    const { k, pgmap } = setup(legacyPolicy(), 2048);
    expect(k.memmap.refcount(PMEM_PFN)).toBe(1);
    expect(k.memmap.refcount(PMEM_PFN + 2047)).toBe(1);
    expect(k.memmap.mapping(PMEM_PFN)).toBe(0);
    expect(pgmap.ref.count()).toBe(2048 + 1); // static refs + percpu_ref's initial reference
    expect(k.devmapManagedKey).toBe(1);
    expect(k.memmap.stats().allocatedPages).toBe(512); // only the RAM chunk holding the zero page was touched
  });

  it('fault: refcount unchanged, mapping/index set, leaf is devmap+special, no rmap', () => {
    const env = mapped();
    const pfn = fault(env, 2);
    const { k, f, mm, addr } = env;
    expect(k.memmap.refcount(pfn)).toBe(1);
    expect(k.memmap.mapcount(pfn)).toBe(0);
    expect(k.memmap.mapping(pfn)).toBe(f.mapping.id);
    expect(k.memmap.index(pfn)).toBe(2);
    const leaf = mm.pt.lookup(addr + 2 * 4096)!;
    expect(leaf.bits & PTE_DEVMAP).toBeTruthy();
    expect(leaf.bits & PTE_SPECIAL).toBeTruthy();
    expect(f.mapping.lookup(2)?.pfn).toBe(pfn);
    expect(k.violations).toEqual([]);
  });

  it('fault: a second association of the same page warns (WARN_ON_ONCE(page->mapping))', () => {
    const env = mapped();
    const pfn = fault(env, 0);
    const { k, f } = env;
    k.policy!.daxAssociateEntry(k, k.sched.tasks[0]!, f.mapping, 0, pfn, 0, false);
    expect(k.violations.map((v) => v.rule)).toEqual(['dax_associate_entry: WARN_ON_ONCE(page->mapping)']);
  });

  it('GUP slow: +1 for FOLL_GET, +1024 for FOLL_PIN; the transient pgmap ref is dropped at the end', () => {
    const env = mapped();
    const { k, mm, addr, pgmap } = env;
    const pfn = fault(env, 0);
    const before = pgmap.ref.count();
    const g = runAlone(k, 'get', (t) => getUserPages(k, t, mm, addr, 1));
    expect(g.pfns).toEqual([pfn]);
    expect(k.memmap.refcount(pfn)).toBe(2);
    const p = runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, addr, 1, FOLL_WRITE));
    expect(p.pfns).toEqual([pfn]);
    expect(k.memmap.refcount(pfn)).toBe(2 + 1024);
    expect(pgmap.ref.count()).toBe(before);
  });

  it('GUP fast: devmap bails on FOLL_LONGTERM; otherwise grabs with a cached pgmap reference, dropped at the end', () => {
    const env = mapped(4);
    const { k, mm, addr, pgmap } = env;
    for (let i = 0; i < 4; i++) fault(env, i);
    const before = pgmap.ref.count();
    let lookups = 0;
    const orig = k.pgmaps.getDevPagemap.bind(k.pgmaps);
    k.pgmaps.getDevPagemap = (pfn, cached, cpu) => {
      lookups++;
      return orig(pfn, cached, cpu);
    };
    const r = runAlone(k, 'gupf', (t) => getUserPagesFast(k, t, mm, addr, 4));
    expect(r.pfns.length).toBe(4);
    expect(lookups).toBe(4); // one get_dev_pagemap per page; only the first misses the cache
    expect(pgmap.ref.count()).toBe(before);
    for (const pfn of r.pfns) expect(k.memmap.refcount(pfn)).toBe(2);
    const lt = runAlone(k, 'lt', (t) => pinUserPagesFast(k, t, mm, addr, 1, FOLL_LONGTERM));
    expect(lt).toEqual({ pfns: [], err: -Errno.EOPNOTSUPP });
  });

  it('GUP fast: a leaf zapped between the read and the grab is re-checked and the grab undone', () => {
    const env = mapped(1);
    const { k, mm, addr, f, fs } = env;
    const pfn = fault(env, 0);
    const gup = k.spawn('gup', (t) => getUserPagesFast(k, t, mm, addr, 1));
    k.sched.stepTask(gup); // reads the PTE, stops at the preemption point before the grab
    expect(k.memmap.refcount(pfn)).toBe(1);
    // zap it from under gup-fast: a hole punch unmaps the page
    const punch = k.spawn('punch', (t) => fs.punchHole(k, t, f, 0, 4096));
    k.sched.runTask(punch);
    expect(punch.state).toBe('blocked'); // the TLB flush IPI waits for gup-fast's IRQ-off section
    k.sched.runTask(gup); // the grab sees the PTE changed, undoes it and falls back to the slow path
    expect(k.memmap.refcount(pfn)).toBe(1);
    k.run();
    expect(punch.state).toBe('done');
    expect(gup.state).toBe('done');
    // the slow path refaulted the punched hole: a read maps the zero page
    expect((gup.result as { pfns: number[] }).pfns).toEqual([k.zeroPfn]);
    expect(k.violations).toEqual([]);
  });

  it('put_page: −refs, never frees; reaching 1 wakes &page->_refcount and nothing else', () => {
    const env = mapped();
    const { k, mm, addr } = env;
    const pfn = fault(env, 0);
    runAlone(k, 'get', (t) => getUserPages(k, t, mm, addr, 1));
    runAlone(k, 'get2', (t) => getUserPages(k, t, mm, addr, 1));
    const woken: unknown[] = [];
    k.waits.onWake = (key) => woken.push(key);
    runAlone(k, 'put', function* (t) {
      putPage(k, t, pfn);
    });
    expect(k.memmap.refcount(pfn)).toBe(2);
    expect(woken).toEqual([]);
    runAlone(k, 'put', function* (t) {
      putPage(k, t, pfn);
    });
    expect(k.memmap.refcount(pfn)).toBe(1);
    expect(woken).toEqual([pageVarKey(pfn, KEY_REFCOUNT)]);
  });

  it('unpin_user_page: −1024 through the same path, with the same wake', () => {
    const env = mapped();
    const { k, mm, addr } = env;
    const pfn = fault(env, 0);
    runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, addr, 1));
    const woken: unknown[] = [];
    k.waits.onWake = (key) => woken.push(key);
    runAlone(k, 'unpin', function* (t) {
      unpinUserPage(k, t, pfn);
    });
    expect(k.memmap.refcount(pfn)).toBe(1);
    expect(woken).toEqual([pageVarKey(pfn, KEY_REFCOUNT)]);
  });

  it('release_pages: same wake on reaching 1', () => {
    const env = mapped();
    const { k, mm, addr } = env;
    const pfn = fault(env, 0);
    runAlone(k, 'get', (t) => getUserPages(k, t, mm, addr, 1));
    const woken: unknown[] = [];
    k.waits.onWake = (key) => woken.push(key);
    runAlone(k, 'rel', function* (t) {
      releasePages(k, t, [pfn]);
    });
    expect(woken).toEqual([pageVarKey(pfn, KEY_REFCOUNT)]);
  });

  it('zap: refcount unchanged, no mmu_gather work, mapping kept', () => {
    const env = mapped();
    const { k, mm, addr, f } = env;
    const pfn = fault(env, 0);
    const woken: unknown[] = [];
    k.waits.onWake = (key) => woken.push(key);
    runAlone(k, 'munmap', (t) => munmap(k, t, mm, addr, 4 * 4096));
    expect(k.memmap.refcount(pfn)).toBe(1);
    expect(k.memmap.mapping(pfn)).toBe(f.mapping.id);
    expect(mm.pt.lookup(addr)).toBeNull();
    expect(woken).toEqual([]);
  });

  it('truncate: returns at once if !mapping_mapped(), even with a page pinned', () => {
    const env = mapped();
    const { k, mm, addr, f, fs } = env;
    const pfn = fault(env, 0);
    runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, addr, 1));
    runAlone(k, 'munmap', (t) => munmap(k, t, mm, addr, 4 * 4096));
    expect(f.mapping.mapped()).toBe(false);
    runAlone(k, 'trunc', (t) => fs.truncate(k, t, f, 0)); // does not block
    expect(fs.alloc.shareCount(pfn - PMEM_PFN)).toBe(0); // the block is free while pinned
    expect(k.violations.map((v) => v.rule)).toEqual([
      'dax_disassociate_entry: trunc && page_ref_count(page) > 1',
    ]);
  });

  it('truncate: unmaps, finds the first page with _refcount > 1, waits for 1 with MMAPLOCK dropped, retries', () => {
    const env = mapped();
    const { k, mm, addr, f, fs } = env;
    const pfn = fault(env, 1);
    runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, addr + 4096, 1));
    const trunc = k.spawn('trunc', (t) => fs.truncate(k, t, f, 0));
    expect(k.sched.runTask(trunc)).toBe('blocked');
    expect(trunc.blocker?.kind).toBe('var');
    expect(mm.pt.lookup(addr + 4096)).toBeNull(); // unmap_mapping_pages ran
    expect(f.mmapLock.heldBy(trunc)).toBe(false); // MMAPLOCK dropped while asleep
    expect(k.waits.waiters(pageVarKey(pfn, KEY_REFCOUNT))).toEqual([trunc]);
    // a fault can take MMAPLOCK shared meanwhile
    const r = runAlone(k, 'refault', (t) => userAccess(k, t, mm, addr, false));
    expect(r.ok).toBe(true);
    runAlone(k, 'unpin', function* (t) {
      unpinUserPage(k, t, pfn);
    });
    expect(k.sched.runTask(trunc)).toBe('done');
    expect(f.mapping.entries.size).toBe(0);
    expect(k.memmap.mapping(pfn)).toBe(0);
    expect(k.violations).toEqual([]);
  });

  it('delete: dax_disassociate_entry clears mapping; a shared (reflinked) page keeps PAGE_MAPPING_DAX_SHARED until its last share', () => {
    const env = mapped(1);
    const { k, fs, f, mm, addr } = env;
    const pfn = fault(env, 0);
    const g = fs.create('g', 0);
    expect(runAlone(k, 'reflink', (t) => fs.reflink(k, t, f, g))).toBe(0);
    // refault both files: the block is shared now
    runAlone(k, 'unmap', (t) => munmap(k, t, mm, addr, 4096));
    runAlone(k, 'trunc-cache', (t) => fs.truncate(k, t, f, 4096)); // no-op size: entries stay
    const mm2 = createMm(k);
    const a1 = runAlone(k, 'map1', (t) => mmap(k, t, mm2, { file: f, length: 4096 }));
    const a2 = runAlone(k, 'map2', (t) => mmap(k, t, mm2, { file: g, length: 4096 }));
    runAlone(k, 'r1', (t) => userAccess(k, t, mm2, a1, false));
    runAlone(k, 'r2', (t) => userAccess(k, t, mm2, a2, false));
    expect(k.memmap.flags(pfn) & PG_DAX_SHARED).toBeTruthy();
    expect(k.memmap.index(pfn)).toBe(2); // share count
    runAlone(k, 'unmap2', (t) => munmap(k, t, mm2, a2, 4096));
    runAlone(k, 'trunc-g', (t) => fs.truncate(k, t, g, 0));
    expect(k.memmap.index(pfn)).toBe(1);
    expect(k.memmap.flags(pfn) & PG_DAX_SHARED).toBeTruthy();
    expect(k.violations).toEqual([]);
  });

  it('unbind: percpu_ref_kill, drop the static refs, wait only for transient refs; page refs are ignored', () => {
    const env = mapped();
    const { k, mm, addr, pgmap, dax } = env;
    const pfn = fault(env, 0);
    runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, addr, 1)); // a page reference: not waited for
    const gup = k.spawn('gup-fast', (t) => getUserPagesFast(k, t, mm, addr, 1));
    k.sched.stepTask(gup); // holds a transient pgmap reference inside gup-fast
    dax.kill();
    const unbind = k.spawn('unbind', (t) => memunmapPages(k, t, pgmap));
    expect(k.sched.runTask(unbind)).toBe('blocked');
    expect(unbind.blocker?.teardown).toBe(true);
    k.sched.runTask(gup); // drops the transient ref
    expect(k.sched.runTask(unbind)).toBe('done');
    expect(pgmap.removed).toBe(true);
    expect(k.memmap.valid(pfn)).toBe(false);
    // the pin outlived the device: its unpin touches a struct page that is gone
    runAlone(k, 'late-unpin', function* (t) {
      unpinUserPage(k, t, pfn);
    });
    expect(k.violations.map((v) => v.kind)).toEqual(['use-after-free']);
  });
});
