// DOMAIN §4 / §6, the coarse VMA pin: the unbind hang of `block` (absent under `revoke`), the
// pgmap reference balance across mmap / fork / split / mremap / munmap / exit, and the DMA gap
// once a pinned page's VMA is gone.
import {
  createMm,
  exitMmap,
  FOLL_WRITE,
  fork,
  type Kernel,
  type KGen,
  mmap,
  mprotect,
  mremap,
  munmap,
  pinUserPages,
  syscall,
  type Task,
  unpinUserPage,
  userAccess,
} from '@daxref/core';
import {
  adoptMm,
  completeDma,
  createRig,
  extraPgmapRefs,
  mapFile,
  type Rig,
  runAlone,
  startDma,
  startTask,
  unbindDevice,
  violationKinds,
} from '@daxref/policy-conformance';
import { describe, expect, it } from 'vitest';
import { createCoarsePinPolicy } from '../src/index';

const PAGE = 4096;
const rigOf = (variant: string): Rig => createRig(createCoarsePinPolicy({ variant }));

/** Idle in user space (a `pause()`: TASK_INTERRUPTIBLE), so a SIGKILL ends it and it exits. */
function* idle(k: Kernel, t: Task): KGen {
  yield* syscall(
    t,
    k.waits.wait(t, `idle:${t.id}`, () => false, 'keeps its mapping, idle', {
      fn: 'pause',
      state: 'interruptible',
    }),
  );
}

describe('unbind-while-mapped', () => {
  function unbindWhileMapped(variant: string) {
    const r = rigOf(variant);
    const { k } = r;
    const mm = createMm(k);
    let addr = 0;
    const mapper = k.spawn('T1 mapper', function* (t) {
      adoptMm(k, t, mm);
      const f = r.fs.open('a');
      addr = yield* mmap(k, t, mm, { file: f, length: 4 * PAGE });
      yield* userAccess(k, t, mm, addr, true, new Uint8Array([1]));
      yield* idle(k, t);
    });
    r.fs.create('a', 4 * PAGE);
    expect(k.sched.runTask(mapper)).toBe('blocked');
    expect(extraPgmapRefs(r.pgmap)).toBe(variant === 'block' ? 1 : 0); // revoke: only I/O pins
    const unb = startTask(k, 'admin unbind', (t) => unbindDevice(k, t, r.dax));
    const run = k.run();
    return { r, k, mm, addr, mapper, unb, run };
  }

  it('coarse-pin@block: unbind waits for the VMA to close, and it never does: unbind-hang', () => {
    const { k, mm, addr, mapper, unb, run, r } = unbindWhileMapped('block');
    expect(run.status).toBe('stuck');
    expect(unb.state).toBe('blocked');
    expect(unb.blocker?.teardown).toBe(true);
    expect(unb.blocker?.fn).toBe('wait_for_completion');
    expect(mapper.state).toBe('blocked');
    expect(r.pgmap.removed).toBe(false);
    // The mapping still works: the device is alive until the last VMA closes.
    const acc = runAlone(k, 'T1 access', (t) => userAccess(k, t, mm, addr, false));
    expect(acc.ok).toBe(true);
    // Closing the VMA at last lets the unbind finish.
    runAlone(k, 'T1 munmap', (t) => munmap(k, t, mm, addr, 4 * PAGE));
    expect(unb.state).toBe('runnable');
    expect(k.sched.runTask(unb)).toBe('done');
    expect(k.violations).toEqual([]);
  });

  it('coarse-pin@revoke: unbind zaps the mapping, SIGBUS-kills the mapper, its exit closes the VMA', () => {
    const { k, mm, mapper, unb, run, r } = unbindWhileMapped('revoke');
    expect(run.status).toBe('done');
    expect(unb.state).toBe('done');
    expect(mapper.state).toBe('killed');
    expect(mapper.hasSignal('SIGBUS')).toBe(true);
    expect(mm.dead).toBe(true);
    expect(r.pgmap.removed).toBe(true);
    expect(k.violations).toEqual([]);
  });
});

describe('pgmap reference balance (one ref per open DAX VMA)', () => {
  for (const variant of ['block']) {
    it(`coarse-pin@${variant}: mmap +1, fork +1, mprotect split +2, mremap ±1, munmap / exit −1 each`, () => {
      const r = rigOf(variant);
      const { k, pgmap } = r;
      const refs = () => extraPgmapRefs(pgmap);
      const a = mapFile(r, 'a', 8 * PAGE);
      expect(refs()).toBe(1); // f_op->mmap
      const child = runAlone(k, 'fork', (t) => fork(k, t, a.mm));
      expect(refs()).toBe(2); // dup_mmap → vm_ops->open
      expect(
        runAlone(k, 'mprotect', (t) => mprotect(k, t, a.mm, a.addr + PAGE, PAGE, { write: false })),
      ).toBe(0);
      expect(a.mm.vmas).toHaveLength(3);
      expect(refs()).toBe(4); // two __split_vma → vm_ops->open
      // Restoring the protection does not merge them back: DAX VMAs with ->close never merge.
      expect(runAlone(k, 'mprotect', (t) => mprotect(k, t, a.mm, a.addr + PAGE, PAGE, { write: true }))).toBe(
        0,
      );
      expect(a.mm.vmas).toHaveLength(3);
      expect(refs()).toBe(4);
      const moved = runAlone(k, 'mremap', (t) => mremap(k, t, child, a.addr, 8 * PAGE, 16 * PAGE));
      expect(moved).toBeGreaterThan(0);
      expect(refs()).toBe(4); // copy_vma → ->open, then the old VMA's ->close
      runAlone(k, 'child touch', (t) => userAccess(k, t, child, moved, true, new Uint8Array([2])));
      expect(runAlone(k, 'munmap middle', (t) => munmap(k, t, a.mm, a.addr + PAGE, PAGE))).toBe(0);
      expect(refs()).toBe(3); // remove_vma → ->close
      runAlone(k, 'child exit', (t) => exitMmap(k, t, child));
      expect(refs()).toBe(2);
      runAlone(k, 'munmap rest', (t) => munmap(k, t, a.mm, a.addr, 8 * PAGE));
      expect(refs()).toBe(0);
      const unb = startTask(k, 'unbind', (t) => unbindDevice(k, t, r.dax));
      expect(unb.state).toBe('done');
      expect(k.violations).toEqual([]);
    });
  }

  it('a failed mmap on a dying device takes no reference', () => {
    const r = rigOf('block');
    const { k, pgmap } = r;
    const f = r.fs.create('a', PAGE);
    runAlone(k, 'kill', function* (t) {
      pgmap.ref.kill(t.cpu);
    });
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: PAGE }));
    expect(addr).toBeLessThan(0);
    expect(mm.vmas).toHaveLength(0);
    expect(pgmap.done.done).toBe(1); // the kill dropped the last reference
  });
});

describe('coarse-pin@revoke pins the device only while I/O is in flight (seed 001)', () => {
  it('a mapping holds nothing; a GUP reference holds the pgmap until its put', () => {
    const r = rigOf('revoke');
    const { k, pgmap } = r;
    const a = mapFile(r, 'a', 4 * PAGE);
    expect(extraPgmapRefs(pgmap)).toBe(0);
    runAlone(k, 'pin', (t) => pinUserPages(k, t, a.mm, a.addr, 2, FOLL_WRITE));
    expect(extraPgmapRefs(pgmap)).toBe(2);
    runAlone(k, 'unpin', function* (t) {
      unpinUserPage(k, t, a.pfn);
      unpinUserPage(k, t, a.pfn + 1);
    });
    expect(extraPgmapRefs(pgmap)).toBe(0);
    expect(k.violations).toEqual([]);
  });
});

describe('the coarse pin does not cover a GUP reference that outlives its VMA', () => {
  function pinThenMunmap(variant: string) {
    const r = rigOf(variant);
    const { k } = r;
    const m = mapFile(r, 'a');
    runAlone(k, 'T1 pin', (t) => pinUserPages(k, t, m.mm, m.addr, 1, FOLL_WRITE));
    const dma = startDma(k, m.pfn);
    runAlone(k, 'T1 munmap', (t) => munmap(k, t, m.mm, m.addr, 4 * PAGE));
    expect(extraPgmapRefs(r.pgmap)).toBe(variant === 'block' ? 0 : 1); // revoke: the I/O pin
    return { r, k, m, dma };
  }

  for (const variant of ['block', 'revoke']) {
    it(`coarse-pin@${variant}: munmap-then-truncate-dma: the truncate skips the busy scan, the DMA corrupts`, () => {
      const { r, k, m, dma } = pinThenMunmap(variant);
      const trunc = startTask(k, 'T2 truncate', (t) => r.fs.truncate(k, t, m.file, 0));
      expect(trunc.state).toBe('done');
      const g = r.fs.create('other', PAGE);
      runAlone(k, 'T3 write', (t) => r.fs.pwrite(k, t, g, 0, new Uint8Array([3])));
      expect(completeDma(k, dma)).toBe(false);
      expect(violationKinds(k)).toEqual(['warn', 'dma-corruption']);
    });
  }

  it('coarse-pin@block: unbind-while-pinned: nothing holds the pgmap; the DMA hits removed memory', () => {
    const { r, k, m, dma } = pinThenMunmap('block');
    const unb = startTask(k, 'unbind', (t) => unbindDevice(k, t, r.dax));
    expect(unb.state).toBe('done');
    expect(completeDma(k, dma)).toBe(false);
    runAlone(k, 'T1 unpin', function* (t) {
      unpinUserPage(k, t, m.pfn);
    });
    expect(violationKinds(k)).toEqual(['use-after-free', 'use-after-free']);
  });

  it('coarse-pin@revoke: unbind-while-pinned: unbind waits for the I/O in flight; the DMA lands safely', () => {
    const { r, k, m, dma } = pinThenMunmap('revoke');
    const unb = startTask(k, 'unbind', (t) => unbindDevice(k, t, r.dax));
    expect(unb.state).toBe('blocked');
    expect(completeDma(k, dma)).toBe(true);
    runAlone(k, 'T1 unpin', function* (t) {
      unpinUserPage(k, t, m.pfn);
    });
    expect(k.sched.runTask(unb)).toBe('done');
    expect(k.violations).toEqual([]);
  });
});
