// DOMAIN §5–§6, the 0-based variants: each known bug reproduced by a hand-scheduled run under the
// variant that has it, and shown absent under the one that fixed it.
import {
  Errno,
  FOLL_LONGTERM,
  FOLL_WRITE,
  getPage,
  getUserPages,
  KEY_REFCOUNT,
  type Kernel,
  munmap,
  pageVarKey,
  pinUserPages,
  pinUserPagesFast,
  putPage,
  unpinUserPage,
  unpinUserPages,
  userAccess,
} from '@daxref/core';
import {
  cleanPte,
  completeDma,
  createRig,
  extraPgmapRefs,
  mapFile,
  missedWakeups,
  type Rig,
  runAlone,
  startDma,
  startTask,
  violationKinds,
} from '@daxref/policy-conformance';
import { describe, expect, it } from 'vitest';
import { createZeroBasedPolicy } from '../src/index';

const PAGE = 4096;
const rigOf = (variant: string, leases = false): Rig => createRig(createZeroBasedPolicy({ variant, leases }));

function unpin(k: Kernel, pfn: number): void {
  runAlone(k, 'T1 unpin', function* (t) {
    unpinUserPage(k, t, pfn);
  });
}

function reuseBlock(r: Rig): void {
  const { k, fs } = r;
  const g = fs.create('other', PAGE);
  runAlone(k, 'T3 write', (t) => fs.pwrite(k, t, g, 0, new Uint8Array([0x33])));
}

describe('munmap-then-truncate-dma (6.15 "fs/dax: Return unmapped busy pages from dax_layout_busy_page_range()")', () => {
  for (const v of ['v6.15', 'dan-2022']) {
    it(`0based@${v}: truncate finds the unmapped pinned page busy and waits; the DMA lands safely`, () => {
      const r = rigOf(v);
      const { k, fs } = r;
      const m = mapFile(r, 'a');
      runAlone(k, 'T1 pin', (t) => pinUserPages(k, t, m.mm, m.addr, 1, FOLL_WRITE));
      const dma = startDma(k, m.pfn);
      runAlone(k, 'T1 munmap', (t) => munmap(k, t, m.mm, m.addr, 4 * PAGE));
      expect(m.file.mapping.mapped()).toBe(false);
      const trunc = startTask(k, 'T2 truncate', (t) => fs.truncate(k, t, m.file, 0));
      expect(trunc.state).toBe('blocked');
      reuseBlock(r);
      expect(completeDma(k, dma)).toBe(true);
      unpin(k, m.pfn);
      expect(trunc.state).toBe('runnable');
      expect(k.run().status).toBe('done');
      expect(trunc.result).toBe(0);
      expect(k.violations).toEqual([]);
    });
  }
});

describe('evict-during-dma (6.15 dax_break_layout_final on evict)', () => {
  it('0based@v6.15: evict of the unlinked file waits for the pin; the DMA lands in file a', () => {
    const r = rigOf('v6.15');
    const { k, fs } = r;
    const m = mapFile(r, 'a');
    runAlone(k, 'T1 pin', (t) => pinUserPages(k, t, m.mm, m.addr, 1, FOLL_WRITE));
    const dma = startDma(k, m.pfn);
    runAlone(k, 'T1 munmap', (t) => munmap(k, t, m.mm, m.addr, 4 * PAGE));
    const closer = startTask(k, 'T1 unlink+close', function* (t) {
      yield* fs.unlink(k, t, m.file);
      yield* fs.close(k, t, m.file);
    });
    expect(closer.state).toBe('blocked');
    expect(closer.blocker?.fn).toBe('wait_page_idle_uninterruptible');
    reuseBlock(r);
    expect(completeDma(k, dma)).toBe(true);
    unpin(k, m.pfn);
    expect(k.run().status).toBe('done');
    expect(m.file.evicted).toBe(true);
    expect(k.violations).toEqual([]);
  });
});

describe('tlb-gather-window (6.15: the mapping ref is dropped after the TLB flush)', () => {
  it('0based@v6.15: truncate between zap and flush sees ref − mapcount = 1, waits, is woken by the 1→0 put', () => {
    const r = rigOf('v6.15');
    const { k, fs } = r;
    const m = mapFile(r, 'a');
    cleanPte(m); // the window exists for a clean PTE; a dirty one is force-flushed inside the zap
    const t1 = k.spawn('T1 munmap', (t) => munmap(k, t, m.mm, m.addr, 4 * PAGE));
    k.sched.stepTask(t1); // zapped and unlinked from i_mmap; the gather still holds the ref
    expect(k.memmap.mapcount(m.pfn)).toBe(0);
    expect(k.memmap.refcount(m.pfn)).toBe(1);
    const trunc = startTask(k, 'T2 truncate', (t) => fs.truncate(k, t, m.file, 0));
    expect(trunc.state).toBe('blocked');
    expect(k.sched.runTask(t1)).toBe('done'); // tlb_finish_mmu → folios_put_refs → free → wake
    expect(k.memmap.refcount(m.pfn)).toBe(0);
    expect(trunc.state).toBe('runnable');
    expect(k.sched.runTask(trunc)).toBe('done');
    expect(k.violations).toEqual([]);
  });
});

describe('gup-on-zero-ref (ralph-rfc: pages mapped at refcount 0)', () => {
  it('0based@ralph-rfc: gup-fast fails add-unless-zero, slow GUP WARNs and fails, get_page hits VM_BUG_ON', () => {
    const r = rigOf('ralph-rfc');
    const { k } = r;
    const m = mapFile(r, 'a');
    expect(k.memmap.refcount(m.pfn)).toBe(0);
    const p = runAlone(k, 'T1 pin', (t) => pinUserPagesFast(k, t, m.mm, m.addr, 1, FOLL_WRITE));
    expect(p.pfns).toEqual([]);
    expect(p.err).toBe(-Errno.ENOMEM);
    const afterGup = violationKinds(k);
    expect(new Set(afterGup)).toEqual(new Set(['vm-bug-on', 'warn']));
    runAlone(k, 'T1 get_page', function* (t) {
      getPage(k, t, m.pfn);
    });
    expect(violationKinds(k)).toEqual([...afterGup, 'vm-bug-on']);
  });
  it('0based@v6.15: the mapping holds a reference, so GUP and get_page work', () => {
    const r = rigOf('v6.15');
    const { k } = r;
    const m = mapFile(r, 'a');
    const p = runAlone(k, 'T1 pin', (t) => pinUserPagesFast(k, t, m.mm, m.addr, 1, FOLL_WRITE));
    expect(p.pfns).toEqual([m.pfn]);
    runAlone(k, 'T1 get+put', function* (t) {
      getPage(k, t, m.pfn);
      putPage(k, t, m.pfn);
      unpinUserPage(k, t, m.pfn);
    });
    expect(k.memmap.refcount(m.pfn)).toBe(1);
    expect(k.violations).toEqual([]);
  });
  it('0based@ralph-rfc: a waiter on == 1 is never woken when the only wake is at 1→0', () => {
    const r = rigOf('ralph-rfc');
    const { k, fs } = r;
    const m = mapFile(r, 'a');
    // Two kernel references taken before the RFC's change (the state GUP can no longer reach).
    k.memmap.setRefcount(m.pfn, 2);
    const trunc = startTask(k, 'T2 truncate', (t) => fs.truncate(k, t, m.file, 0));
    expect(trunc.state).toBe('blocked');
    expect(k.waits.waiters(pageVarKey(m.pfn, KEY_REFCOUNT))).toContain(trunc);
    runAlone(k, 'put', function* (t) {
      putPage(k, t, m.pfn);
    });
    expect(k.memmap.refcount(m.pfn)).toBe(1);
    expect(missedWakeups(k)).toContain(trunc); // == 1 holds, nobody woke it
    runAlone(k, 'put', function* (t) {
      putPage(k, t, m.pfn);
    });
    expect(trunc.state).toBe('runnable'); // the 1→0 wake
    expect(k.sched.runTask(trunc)).toBe('blocked'); // ...but == 1 no longer holds
    expect(k.run().status).toBe('stuck');
  });
});

describe('get-holder-vs-pin-wait (dan-2022 v1 waited only for !page_maybe_dma_pinned())', () => {
  function getHolder(variant: string) {
    const r = rigOf(variant);
    const { k, fs } = r;
    const m = mapFile(r, 'a');
    runAlone(k, 'T1 get', (t) => getUserPages(k, t, m.mm, m.addr, 1, FOLL_WRITE));
    const dma = startDma(k, m.pfn);
    const trunc = startTask(k, 'T2 truncate', (t) => fs.truncate(k, t, m.file, 0));
    const stateBefore = trunc.state;
    reuseBlock(r);
    const landed = completeDma(k, dma);
    runAlone(k, 'T1 put', function* (t) {
      putPage(k, t, m.pfn);
    });
    const run = k.run();
    return { k, stateBefore, landed, run, ref: k.memmap.refcount(m.pfn) };
  }
  it('0based@dan-2022-pin-only: the FOLL_GET holder is not "pinned"; truncate frees its block', () => {
    const { k, stateBefore, landed, ref } = getHolder('dan-2022-pin-only');
    expect(stateBefore).toBe('done');
    expect(landed).toBe(false);
    expect(violationKinds(k)).toEqual(['warn', 'dma-corruption']);
    expect(ref).toBe(0);
  });
  it('0based@dan-2022: truncate waits for 2→1; the put wakes it', () => {
    const { k, stateBefore, landed, run, ref } = getHolder('dan-2022');
    expect(stateBefore).toBe('blocked');
    expect(landed).toBe(true);
    expect(run.status).toBe('done');
    expect(ref).toBe(0);
    expect(k.violations).toEqual([]);
  });
});

describe('dan-2022: pgmap references live with the DAX entry', () => {
  it('a fault on a dying pgmap gets SIGBUS from dax_associate_entry; delete drops the entry refs', () => {
    const r = rigOf('dan-2022');
    const { k, fs, pgmap } = r;
    const m = mapFile(r, 'a');
    expect(extraPgmapRefs(pgmap)).toBe(1);
    expect(k.memmap.refcount(m.pfn)).toBe(1);
    runAlone(k, 'percpu_ref_kill', function* (t) {
      pgmap.ref.kill(t.cpu);
    });
    const acc = runAlone(k, 'T1 write page 1', (t) =>
      userAccess(k, t, m.mm, m.addr + PAGE, true, new Uint8Array([1])),
    );
    expect(acc.ok).toBe(false);
    expect(acc.ok ? '' : acc.signal).toBe('SIGBUS');
    expect(pgmap.ref.count()).toBe(pgmap.staticRefs + 1); // only page 0's entry
    expect(runAlone(k, 'truncate', (t) => fs.truncate(k, t, m.file, 0))).toBe(0);
    expect(pgmap.ref.count()).toBe(pgmap.staticRefs);
    expect(k.memmap.refcount(m.pfn)).toBe(0);
    expect(k.violations).toEqual([]);
  });
});

describe('lease-break (DOMAIN §5, opt-in)', () => {
  function leaseRig() {
    const r = rigOf('v6.15', true);
    const m = mapFile(r, 'a');
    return { r, m };
  }
  it('0based@v6.15+leases: the holder unpins on SIGIO and truncate completes', () => {
    const { r, m } = leaseRig();
    const { k, fs } = r;
    let holderSawSigio = false;
    const holder = k.spawn('T1 holder', function* (t) {
      expect(fs.setLease(k, t, m.file)).toBe(0);
      const p = yield* pinUserPages(k, t, m.mm, m.addr, 1, FOLL_WRITE | FOLL_LONGTERM);
      expect(p.pfns).toEqual([m.pfn]);
      yield* k.waits.wait(t, 'sigio', () => t.hasSignal('SIGIO'), 'SIGIO');
      holderSawSigio = t.takeSignal('SIGIO');
      unpinUserPage(k, t, m.pfn);
      fs.releaseLease(k, t, m.file);
    });
    expect(k.sched.runTask(holder)).toBe('blocked');
    expect(k.memmap.refcount(m.pfn)).toBe(1 + 1024);
    const trunc = startTask(k, 'T2 truncate', (t) => fs.truncate(k, t, m.file, 0));
    expect(trunc.state).toBe('blocked');
    k.waits.wake('sigio'); // the signal delivery
    expect(k.run().status).toBe('done');
    expect(holderSawSigio).toBe(true);
    expect(trunc.result).toBe(0);
    expect(holder.state).toBe('done');
    expect(k.violations).toEqual([]);
  });
  it('0based@v6.15+leases: a holder that ignores SIGIO is killed after the lease-break time; its exit unpins', () => {
    const { r, m } = leaseRig();
    const { k, fs } = r;
    const holder = k.spawn('T1 holder', function* (t) {
      fs.setLease(k, t, m.file);
      const p = yield* pinUserPages(k, t, m.mm, m.addr, 1, FOLL_WRITE | FOLL_LONGTERM);
      t.exitHooks.push(function* (exit) {
        unpinUserPages(k, exit, p.pfns);
      });
      for (;;) yield* k.sched.nanosleep(t, 1_000_000); // ignores SIGIO: sleeps on in user space
    });
    k.sched.runTask(holder);
    const trunc = startTask(k, 'T2 truncate', (t) => fs.truncate(k, t, m.file, 0));
    expect(trunc.state).toBe('blocked');
    expect(k.run().status).toBe('done');
    expect(holder.state).toBe('killed');
    expect(holder.hasSignal('SIGIO')).toBe(true); // delivered to its (ignoring) handler
    expect(k.sched.now).toBeGreaterThanOrEqual(fs.leaseBreakTicks);
    expect(trunc.result).toBe(0);
    expect(k.memmap.refcount(m.pfn)).toBe(0);
    expect(k.violations).toEqual([]);
  });
  it('0based@v6.15 without leases: FOLL_LONGTERM stays refused even for the lease holder', () => {
    const r = rigOf('v6.15', false);
    const m = mapFile(r, 'a');
    const { k, fs } = r;
    const p = runAlone(k, 'T1', function* (t) {
      fs.setLease(k, t, m.file);
      return yield* pinUserPages(k, t, m.mm, m.addr, 1, FOLL_WRITE | FOLL_LONGTERM);
    });
    expect(p).toEqual({ pfns: [], err: -Errno.EOPNOTSUPP });
  });
});

describe('dan-2022 v2: pgmap references of an entry (kernel-source audit, seed 000)', () => {
  it('a non-COW association takes one; only a truncating delete drops it', () => {
    const r = rigOf('dan-2022');
    const { k, fs, pgmap } = r;
    const a = mapFile(r, 'a', PAGE);
    expect(extraPgmapRefs(pgmap)).toBe(1); // get_dev_pagemap_many() at association
    const b = mapFile(r, 'b', PAGE);
    expect(extraPgmapRefs(pgmap)).toBe(2);
    runAlone(k, 'truncate b', (t) => fs.truncate(k, t, b.file, 0));
    expect(extraPgmapRefs(pgmap)).toBe(1);
    // An invalidation (trunc = false) deletes a's entry but keeps the reference:
    // `if (trunc && !dax_mapping_is_cow(page->mapping))` guards pgmap_release_folios().
    runAlone(k, 'invalidate', (t) => fs.notifyFailure(k, t, a.pfn, 1, 'pre-remove'));
    expect(a.file.mapping.entries.size).toBe(0);
    expect(extraPgmapRefs(pgmap)).toBe(1);
  });
});
