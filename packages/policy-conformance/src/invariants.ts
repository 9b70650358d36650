// The invariants every design keeps, registered by describeConformance for any policy.
import {
  Errno,
  exitMmap,
  FOLL_GET,
  FOLL_LONGTERM,
  FOLL_WRITE,
  fork,
  getUserPages,
  getUserPagesFast,
  mmap,
  mprotect,
  mremap,
  munmap,
  pinUserPages,
  pinUserPagesFast,
  releasePages,
  unpinUserPages,
  userAccess,
} from '@daxref/core';
import { busyPages, extraPgmapRefs } from './checks';
import type { ConformanceApi } from './conformance';
import { mapFile, type Rig, runAlone, startTask, unbindDevice } from './rig';

const PAGE = 4096;
const PMD = 2 * 1024 * 1024;

/** Whether GUP works on a mapped page of this design (ralph-rfc: the 0 refcount makes it fail). */
export function probeGup(rig: () => Rig): boolean {
  const r = rig();
  const m = mapFile(r, 'probe');
  const g = runAlone(r.k, 'probe', (t) => getUserPages(r.k, t, m.mm, m.addr, 1, FOLL_WRITE));
  return g.err === 0;
}

/** The invariants every design keeps, whatever DOMAIN says of it. */
export function invariants(api: ConformanceApi, rig: () => Rig, gupWorks: boolean): void {
  const { it, expect } = api;
  it('invariant: FOLL_LONGTERM is refused on FSDAX (slow and fast, PTE and PMD)', () => {
    const r = rig();
    const { k } = r;
    for (const m of [mapFile(r, 'a'), mapFile(r, 'huge', PMD)]) {
      const before = k.memmap.refcount(m.pfn);
      for (const gup of [pinUserPages, pinUserPagesFast]) {
        const p = runAlone(k, 'longterm', (t) => gup(k, t, m.mm, m.addr, 1, FOLL_WRITE | FOLL_LONGTERM));
        expect(p).toEqual({ pfns: [], err: -Errno.EOPNOTSUPP });
      }
      expect(k.memmap.refcount(m.pfn)).toBe(before);
    }
    expect(k.violations).toEqual([]);
  });

  it('invariant: every reference is dropped by teardown (fork, split, mremap, GUP), then unbind completes', () => {
    const r = rig();
    const { k, fs, pgmap } = r;
    const a = mapFile(r, 'a', 4 * PAGE);
    const b = mapFile(r, 'b', PMD);
    const held: { pfns: number[]; pin: boolean }[] = [];
    if (gupWorks) {
      held.push({
        ...runAlone(k, 'pin', (t) => pinUserPages(k, t, a.mm, a.addr, 1, FOLL_WRITE)),
        pin: true,
      });
      held.push({
        ...runAlone(k, 'get', (t) => getUserPagesFast(k, t, b.mm, b.addr, 2, FOLL_GET)),
        pin: false,
      });
      held.push({
        ...runAlone(k, 'pin', (t) => pinUserPagesFast(k, t, b.mm, b.addr + PAGE, 3)),
        pin: true,
      });
      for (const h of held) expect(h.pfns.length).toBeGreaterThan(0);
    }
    const child = runAlone(k, 'fork', (t) => fork(k, t, a.mm));
    runAlone(k, 'child touch', (t) => userAccess(k, t, child, a.addr + PAGE, true, new Uint8Array([7])));
    expect(runAlone(k, 'mprotect', (t) => mprotect(k, t, a.mm, a.addr + PAGE, PAGE, { write: false }))).toBe(
      0,
    );
    const moved = runAlone(k, 'mremap', (t) => mremap(k, t, b.mm, b.addr, PMD, 2 * PMD));
    expect(moved).toBeGreaterThan(0);
    const again = runAlone(k, 'remap', (t) => mmap(k, t, a.mm, { file: b.file, length: PMD }));
    runAlone(k, 'touch', (t) => userAccess(k, t, a.mm, again, false));
    runAlone(k, 'drop', function* (t) {
      for (const h of held) {
        if (h.pin) unpinUserPages(k, t, h.pfns);
        else releasePages(k, t, h.pfns);
      }
    });
    runAlone(k, 'exit child', (t) => exitMmap(k, t, child));
    runAlone(k, 'munmap a', (t) => munmap(k, t, a.mm, a.addr, 4 * PAGE));
    runAlone(k, 'munmap again', (t) => munmap(k, t, a.mm, again, PMD));
    runAlone(k, 'munmap b', (t) => munmap(k, t, b.mm, moved, 2 * PMD));
    for (const f of [a.file, b.file]) {
      expect(runAlone(k, 'truncate', (t) => fs.truncate(k, t, f, 0))).toBe(0);
      runAlone(k, 'close', (t) => fs.close(k, t, f));
      runAlone(k, 'unlink', (t) => fs.unlink(k, t, f));
      expect(f.evicted).toBe(true);
    }
    expect(busyPages(k, pgmap)).toEqual([]);
    expect(extraPgmapRefs(pgmap)).toBe(0);
    expect(fs.alloc.used).toBe(0);
    const unb = startTask(k, 'unbind', (t) => unbindDevice(k, t, r.dax));
    expect(unb.state).toBe('done');
    expect(pgmap.removed).toBe(true);
    expect(k.violations).toEqual([]);
  });
}
