// DOMAIN §6, the 1-based variants: each known bug reproduced by a hand-scheduled run under the
// variant that has it, and shown absent under the one that fixed it.
import {
  Errno,
  FOLL_WRITE,
  getUserPages,
  type Kernel,
  mmap,
  munmap,
  pinUserPages,
  releasePages,
  unpinUserPage,
  userAccess,
} from '@daxref/core';
import {
  completeDma,
  createRig,
  mapFile,
  missedWakeups,
  type Rig,
  runAlone,
  startDma,
  startTask,
  unbindDevice,
  violationKinds,
} from '@daxref/policy-conformance';
import { describe, expect, it } from 'vitest';
import { createOneBasedPolicy } from '../src/index';

const PAGE = 4096;
const rigOf = (variant: string): Rig => createRig(createOneBasedPolicy({ variant }));

function unpin(k: Kernel, pfn: number): void {
  runAlone(k, 'T1 unpin', function* (t) {
    unpinUserPage(k, t, pfn);
  });
}

/** T3 writes a new file: the allocator hands out the most recently freed block first. */
function reuseBlock(r: Rig): void {
  const { k, fs } = r;
  const g = fs.create('other', PAGE);
  runAlone(k, 'T3 write', (t) => fs.pwrite(k, t, g, 0, new Uint8Array([0x33])));
}

/** unpin-missed-wakeup: T1 pins P (DMA running); T2 truncates, finds P busy, sleeps; DMA ends; T1 unpins. */
function unpinMissedWakeup(variant: string) {
  const r = rigOf(variant);
  const { k, fs } = r;
  const m = mapFile(r, 'a');
  runAlone(k, 'T1 pin', (t) => pinUserPages(k, t, m.mm, m.addr, 1, FOLL_WRITE));
  const dma = startDma(k, m.pfn);
  const trunc = startTask(k, 'T2 truncate', (t) => fs.truncate(k, t, m.file, 0));
  const stateBefore = trunc.state;
  completeDma(k, dma);
  unpin(k, m.pfn);
  const missed = missedWakeups(k).includes(trunc);
  const run = k.run();
  return { k, trunc, stateBefore, missed, run };
}

describe('unpin-missed-wakeup (gup_put_folio lost the devmap wake: d8ddc099c6b3, fixed f4f451a16dd1)', () => {
  it('1based@v5.19-rc1: the unpin goes 1025→1 with no wake; truncate sleeps forever with its condition true', () => {
    const { k, trunc, stateBefore, missed, run } = unpinMissedWakeup('v5.19-rc1');
    expect(stateBefore).toBe('blocked');
    expect(missed).toBe(true);
    expect(run.status).toBe('stuck');
    expect(trunc.state).toBe('blocked');
    expect(k.violations).toEqual([]);
  });

  for (const v of ['v4.18', 'v6.14']) {
    it(`1based@${v}: the unpin wakes the truncate, which completes`, () => {
      const { k, trunc, stateBefore, missed, run } = unpinMissedWakeup(v);
      expect(stateBefore).toBe('blocked');
      expect(missed).toBe(false);
      expect(run.status).toBe('done');
      expect(trunc.result).toBe(0);
      expect(k.violations).toEqual([]);
    });
  }

  it('1based@v4.5: truncate does not wait at all; the DMA lands in a freed block', () => {
    const { k, stateBefore, missed } = unpinMissedWakeup('v4.5');
    expect(stateBefore).toBe('done');
    expect(missed).toBe(false);
    expect(violationKinds(k)).toEqual(['use-after-free']);
  });
});

/** release-pages-put: T1 GUPs P (FOLL_GET); T2 truncates, sleeps; T1 drops P via release_pages(). */
function releasePagesPut(variant: string) {
  const r = rigOf(variant);
  const { k, fs } = r;
  const m = mapFile(r, 'a');
  runAlone(k, 'T1 get', (t) => getUserPages(k, t, m.mm, m.addr, 1, FOLL_WRITE));
  const trunc = startTask(k, 'T2 truncate', (t) => fs.truncate(k, t, m.file, 0));
  const stateBefore = trunc.state;
  runAlone(k, 'T1 release_pages', function* (t) {
    releasePages(k, t, [m.pfn]);
  });
  const refAfter = k.memmap.refcount(m.pfn);
  const missed = missedWakeups(k).includes(trunc);
  const run = k.run();
  return { k, stateBefore, refAfter, missed, run };
}

describe('release-pages-put (release_pages() only diverted device-public pages; fixed c5d6c45e90c4)', () => {
  it('1based@v4.18: the put goes 2→1 through put_page_testzero with no wake: missed wakeup', () => {
    const { stateBefore, refAfter, missed, run } = releasePagesPut('v4.18');
    expect(stateBefore).toBe('blocked');
    expect(refAfter).toBe(1);
    expect(missed).toBe(true);
    expect(run.status).toBe('stuck');
  });
  for (const v of ['v5.19-rc1', 'v6.14']) {
    it(`1based@${v}: release_pages() goes through put_devmap_managed_page() and wakes`, () => {
      const { stateBefore, missed, run, k } = releasePagesPut(v);
      expect(stateBefore).toBe('blocked');
      expect(missed).toBe(false);
      expect(run.status).toBe('done');
      expect(k.violations).toEqual([]);
    });
  }
});

/** truncate-during-dma: T1 pins P, starts DMA; T2 truncates; T3 allocates a block; DMA completes. */
function truncateDuringDma(variant: string) {
  const r = rigOf(variant);
  const { k, fs } = r;
  const m = mapFile(r, 'a');
  runAlone(k, 'T1 pin', (t) => pinUserPages(k, t, m.mm, m.addr, 1, FOLL_WRITE));
  const dma = startDma(k, m.pfn);
  const trunc = startTask(k, 'T2 truncate', (t) => fs.truncate(k, t, m.file, 0));
  const stateBefore = trunc.state;
  reuseBlock(r);
  const landed = completeDma(k, dma);
  unpin(k, m.pfn);
  const run = k.run();
  return { k, stateBefore, landed, run };
}

describe('truncate-during-dma (v4.5 has no DMA-vs-truncate wait)', () => {
  it("1based@v4.5: truncate frees the pinned block, T3 gets it, the DMA corrupts T3's file", () => {
    const { k, stateBefore, landed } = truncateDuringDma('v4.5');
    expect(stateBefore).toBe('done');
    expect(landed).toBe(false);
    expect(violationKinds(k)).toEqual(['dma-corruption']);
  });
  for (const v of ['v4.18', 'v6.14']) {
    it(`1based@${v}: break_layouts holds the block until the unpin; the DMA lands in file a`, () => {
      const { k, stateBefore, landed, run } = truncateDuringDma(v);
      expect(stateBefore).toBe('blocked');
      expect(landed).toBe(true);
      expect(run.status).toBe('done');
      expect(k.violations).toEqual([]);
    });
  }
});

/** munmap-then-truncate-dma: T1 mmaps, pins P, starts DMA, munmaps; T2 truncates; T3 reuses; DMA lands. */
function munmapThenTruncate(variant: string) {
  const r = rigOf(variant);
  const { k, fs } = r;
  const m = mapFile(r, 'a');
  runAlone(k, 'T1 pin', (t) => pinUserPages(k, t, m.mm, m.addr, 1, FOLL_WRITE));
  const dma = startDma(k, m.pfn);
  runAlone(k, 'T1 munmap', (t) => munmap(k, t, m.mm, m.addr, 4 * PAGE));
  const mapped = m.file.mapping.mapped();
  const trunc = startTask(k, 'T2 truncate', (t) => fs.truncate(k, t, m.file, 0));
  const stateBefore = trunc.state;
  reuseBlock(r);
  const landed = completeDma(k, dma);
  unpin(k, m.pfn);
  return { k, mapped, stateBefore, landed };
}

describe('munmap-then-truncate-dma (the mapping_mapped() shortcut of dax_layout_busy_page_range)', () => {
  for (const v of ['v4.5', 'v4.18', 'v5.19-rc1', 'v6.14']) {
    it(`1based@${v}: after munmap, truncate skips the busy scan; the DMA corrupts the reused block`, () => {
      const { k, mapped, stateBefore, landed } = munmapThenTruncate(v);
      expect(mapped).toBe(false);
      expect(stateBefore).toBe('done');
      expect(landed).toBe(false);
      const kinds = violationKinds(k);
      expect(kinds).toContain('dma-corruption');
      // v4.18+ also print dax_disassociate_entry's WARN (trunc && _refcount > 1); v4.5 had none.
      expect(kinds.includes('warn')).toBe(v !== 'v4.5');
    });
  }
});

/** evict-during-dma: T1 pins P, unlinks and closes the file; the inode is evicted; the block is reused. */
function evictDuringDma(variant: string) {
  const r = rigOf(variant);
  const { k, fs } = r;
  const m = mapFile(r, 'a');
  runAlone(k, 'T1 pin', (t) => pinUserPages(k, t, m.mm, m.addr, 1, FOLL_WRITE));
  const dma = startDma(k, m.pfn);
  runAlone(k, 'T1 munmap', (t) => munmap(k, t, m.mm, m.addr, 4 * PAGE));
  const closer = startTask(k, 'T1 unlink+close', function* (t) {
    yield* fs.unlink(k, t, m.file);
    yield* fs.close(k, t, m.file);
  });
  reuseBlock(r);
  const landed = completeDma(k, dma);
  unpin(k, m.pfn);
  return { k, closer, landed, evicted: m.file.evicted };
}

describe('evict-during-dma (no break_layouts on evict before 6.15)', () => {
  it('1based@v6.14: evict deletes the entry of the pinned page and frees its block; the DMA corrupts', () => {
    const { k, closer, landed, evicted } = evictDuringDma('v6.14');
    expect(closer.state).toBe('done');
    expect(evicted).toBe(true);
    expect(landed).toBe(false);
    expect(violationKinds(k)).toEqual(['warn', 'dma-corruption']);
  });
});

describe('unbind-while-pinned (4.5 waited for page references; ≈4.13–5.1 and 5.18+ do not)', () => {
  function unbindWhilePinned(variant: string) {
    const r = rigOf(variant);
    const { k } = r;
    const m = mapFile(r, 'a');
    runAlone(k, 'T1 pin', (t) => pinUserPages(k, t, m.mm, m.addr, 1, FOLL_WRITE));
    const dma = startDma(k, m.pfn);
    runAlone(k, 'T1 munmap', (t) => munmap(k, t, m.mm, m.addr, 4 * PAGE));
    const unb = startTask(k, 'admin unbind', (t) => unbindDevice(k, t, r.dax));
    const stateBefore = unb.state;
    const landed = completeDma(k, dma);
    unpin(k, m.pfn);
    const run = k.run();
    return { k, unb, stateBefore, landed, run };
  }
  it('1based@v4.5: unbind waits for the pinned page, the DMA completes safely', () => {
    const { k, unb, stateBefore, landed, run } = unbindWhilePinned('v4.5');
    expect(stateBefore).toBe('blocked');
    expect(landed).toBe(true);
    expect(run.status).toBe('done');
    expect(unb.state).toBe('done');
    expect(k.violations).toEqual([]);
  });
  it('1based@v4.18: memory removed before the pinned page was reaped (50f44ee7248a): use-after-free', () => {
    const { k, stateBefore, landed } = unbindWhilePinned('v4.18');
    expect(stateBefore).toBe('done');
    expect(landed).toBe(false);
    expect(violationKinds(k)).toContain('use-after-free');
  });
  it('1based@v6.14: unbind removes the memory under the pin (5.18+ bulk static refs)', () => {
    const { k, stateBefore, landed } = unbindWhilePinned('v6.14');
    expect(stateBefore).toBe('done');
    expect(landed).toBe(false);
    expect(violationKinds(k).filter((x) => x !== 'warn')).toEqual(['use-after-free', 'use-after-free']);
  });
});

describe('reflink-shared-block: 6.0–6.1 dax_mapping_set_cow() vs 6.2+ page->share', () => {
  function reflinkThenReuse(variant: string) {
    const r = rigOf(variant);
    const { k, fs } = r;
    const a = mapFile(r, 'a', PAGE);
    const b = fs.create('b');
    return { r, k, fs, a, b, rl: runAlone(k, 'reflink', (t) => fs.reflink(k, t, a.file, b)) };
  }

  it('1based@v5.19-rc1: xfs refuses reflink on DAX (before v6.0)', () => {
    expect(reflinkThenReuse('v5.19-rc1').rl).toBe(-Errno.EOPNOTSUPP);
  });

  it('1based@v6.1: the second file’s read fault takes the unshared path and WARNs (real 6.1.176 fs/dax.c:380)', () => {
    const { k, a, b, rl } = reflinkThenReuse('v6.1');
    expect(rl).toBe(0);
    const addrB = runAlone(k, 'map b', (t) => mmap(k, t, a.mm, { file: b, length: PAGE }));
    expect(runAlone(k, 'read b', (t) => userAccess(k, t, a.mm, addrB, false)).ok).toBe(true);
    expect(k.violations.map((v) => v.rule)).toEqual(['dax_associate_entry: WARN_ON_ONCE(page->mapping)']);
  });

  it('1based@v6.1: a CoW write marks its new page with the post-decremented COW count; its reuse WARNs', () => {
    const { r, k, fs, a, rl } = reflinkThenReuse('v6.1');
    expect(rl).toBe(0);
    // a's write fault on the shared block (through a fresh mapping): xfs_reflink_allocate_cow +
    // dax_mapping_set_cow() on the new page
    runAlone(k, 'munmap a', (t) => munmap(k, t, a.mm, a.addr, PAGE));
    const addr = runAlone(k, 'map a', (t) => mmap(k, t, a.mm, { file: a.file, length: PAGE }));
    const w = runAlone(k, 'write a', (t) => userAccess(k, t, a.mm, addr, true, new Uint8Array([1])));
    expect(w.ok).toBe(true);
    const cowPfn = w.ok ? w.pfn : -1;
    expect(cowPfn).not.toBe(a.pfn);
    expect(runAlone(k, 'truncate a', (t) => fs.truncate(k, t, a.file, 0))).toBe(0);
    expect(k.violations).toEqual([]);
    // `if (page->index-- > 0) continue;` left PAGE_MAPPING_DAX_COW on the freed page
    const c = mapFile(r, 'c', PAGE);
    expect(c.pfn).toBe(cowPfn);
    expect(violationKinds(k)).toEqual(['warn']);
  });

  it('1based@v6.14: both files mapped, one truncated, then reuse: share count, no WARN', () => {
    const { r, k, fs, a, b, rl } = reflinkThenReuse('v6.14');
    expect(rl).toBe(0);
    const addrB = runAlone(k, 'map b', (t) => mmap(k, t, a.mm, { file: b, length: PAGE }));
    expect(runAlone(k, 'read b', (t) => userAccess(k, t, a.mm, addrB, false)).ok).toBe(true);
    expect(k.memmap.index(a.pfn)).toBe(2); // share count
    expect(runAlone(k, 'truncate b', (t) => fs.truncate(k, t, b, 0))).toBe(0);
    expect(runAlone(k, 'truncate a', (t) => fs.truncate(k, t, a.file, 0))).toBe(0);
    const c = mapFile(r, 'c', PAGE);
    expect(c.pfn).toBe(a.pfn);
    expect(k.violations).toEqual([]);
  });
});
