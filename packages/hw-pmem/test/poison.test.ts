import {
  createMm,
  Errno,
  exitMmap,
  getUserPages,
  mmap,
  PG_HWPOISON,
  type Task,
  userAccess,
} from '@daxref/core';
import { describe, expect, it } from 'vitest';
import {
  devDaxMmap,
  MF_COUNT_INCREASED,
  memoryFailure,
  SZ_1G,
  SZ_2M,
  SZ_4K,
  userAccessWithMce,
} from '../src/index';
import { devdax, fsdax, POLICIES, runAlone } from './utils';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe.each(POLICIES)('poison (%s)', (name, mk) => {
  it('poison then hole punch (ndctl dax-poison): SIGBUS, holder notified, -EIO, punch clears it', () => {
    const { k, bus, fs, ns } = fsdax(mk(), { size: SZ_1G });
    const f = fs.create('a');
    runAlone(k, 'pwrite', (t) => fs.pwrite(k, t, f, 0, new Uint8Array(4 * SZ_4K).fill(7)));
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 4 * SZ_4K }));
    const body = (t: Task) => {
      t.locals.mm = mm;
      return userAccessWithMce(k, t, bus, mm, addr + SZ_4K, false);
    };
    const ok = runAlone(k, 'load', body);
    expect(ok.ok).toBe(true);
    const pfn = f.pfnOf(1);
    ns.injectError((pfn - ns.startPfn) * SZ_4K, 512);
    expect(ns.badblocks()).toEqual([{ offset: (pfn - ns.startPfn) * SZ_4K, length: SZ_4K }]);
    let task: Task | null = null;
    const r = runAlone(k, 'load2', (t) => {
      task = t;
      return body(t);
    });
    expect(r).toMatchObject({ ok: false, signal: 'SIGBUS', errno: -Errno.EHWPOISON });
    expect(task!.signals).toEqual(['SIGBUS']);
    expect(bus.memoryFailures).toEqual([{ pfn, flags: 2, rc: 0, handler: 'holder' }]);
    expect(k.memmap.flags(pfn) & PG_HWPOISON).toBeTruthy();
    expect(mm.pt.lookup(addr + SZ_4K)).toBeNull(); // the filesystem unmapped the failed page
    expect(runAlone(k, 'pread', (t) => fs.pread(k, t, f, SZ_4K, 16))).toBe(-Errno.EIO);
    // Punching a hole frees the block and clears the poison with it.
    expect(runAlone(k, 'punch', (t) => fs.punchHole(k, t, f, SZ_4K, SZ_4K))).toBe(0);
    expect(ns.badblocks()).toEqual([]);
    expect(k.memmap.flags(pfn) & PG_HWPOISON).toBe(0);
    const w = runAlone(k, 'store', (t) => userAccess(k, t, mm, addr + SZ_4K, true, bytes('healed')));
    expect(w.ok).toBe(true);
    expect(text(runAlone(k, 'pread2', (t) => fs.pread(k, t, f, SZ_4K, 6)) as Uint8Array)).toBe('healed');
    expect(k.violations).toEqual([]);
  });

  it('device-dax: the generic handler unmaps and kills every mapper', () => {
    const { k, bus, ns, b } = devdax(mk(), { size: 64 * SZ_2M });
    const mm1 = createMm(k);
    const mm2 = createMm(k);
    const a1 = runAlone(k, 'mmap1', (t) => devDaxMmap(k, t, mm1, b.file, { length: SZ_2M }));
    const a2 = runAlone(k, 'mmap2', (t) => devDaxMmap(k, t, mm2, b.file, { length: SZ_2M }));
    runAlone(k, 'touch1', (t) => userAccess(k, t, mm1, a1, true, bytes('x')));
    runAlone(k, 'touch2', (t) => userAccess(k, t, mm2, a2, false));
    const other = k.spawn('other', function* (t) {
      t.locals.mm = mm2;
      yield* k.sched.sleep(t, 1_000_000);
    });
    k.sched.runTask(other);
    const pfn = ns.dataPfn(3);
    ns.region.media.injectPoison(pfn);
    const r = runAlone(k, 'consumer', (t) => {
      t.locals.mm = mm1;
      return userAccessWithMce(k, t, bus, mm1, a1 + 3 * SZ_4K, false);
    });
    expect(r.ok).toBe(false);
    expect(bus.memoryFailures.map((x) => [x.handler, x.rc])).toEqual([['generic', 0]]);
    expect(other.signals).toEqual(['SIGBUS']);
    expect(mm1.pt.lookup(a1)).toBeNull();
    expect(mm2.pt.lookup(a2)).toBeNull();
    expect(k.memmap.flags(k.memmap.compoundHead(pfn)) & PG_HWPOISON).toBeTruthy();
    expect(k.violations).toEqual([]);
  });

  it('device-dax: a mapper that leaves SIGBUS at SIG_DFL dies of it on its way back to user space; do_exit tears its mm down', () => {
    const { k, bus, ns, b } = devdax(mk(), { size: 64 * SZ_2M });
    const mm1 = createMm(k);
    const mm2 = createMm(k);
    const a1 = runAlone(k, 'mmap1', (t) => devDaxMmap(k, t, mm1, b.file, { length: SZ_2M }));
    const a2 = runAlone(k, 'mmap2', (t) => devDaxMmap(k, t, mm2, b.file, { length: SZ_2M }));
    runAlone(k, 'touch1', (t) => userAccess(k, t, mm1, a1, true, bytes('x')));
    runAlone(k, 'touch2', (t) => userAccess(k, t, mm2, a2, false));
    const other = k.spawn('other', function* (t) {
      t.locals.mm = mm2;
      t.sigDefault.add('SIGBUS');
      t.exitHooks.push((exit) => exitMmap(k, exit, mm2)); // do_exit → exit_mm
      for (;;) yield* k.sched.nanosleep(t, 1_000_000); // TASK_INTERRUPTIBLE
    });
    k.sched.runTask(other);
    expect(other.blocker?.interruptible).toBe('interruptible');
    ns.region.media.injectPoison(ns.dataPfn(3));
    runAlone(k, 'consumer', (t) => {
      t.locals.mm = mm1;
      return userAccessWithMce(k, t, bus, mm1, a1 + 3 * SZ_4K, false);
    });
    expect(other.state).toBe('runnable'); // kill_proc's SIGBUS woke the interruptible sleep
    k.run();
    expect(other.state).toBe('killed');
    expect(mm2.dead).toBe(true);
    expect(mm2.vmas).toEqual([]);
    expect(k.violations).toEqual([]);
  });

  it('madvise(MADV_HWPOISON)-style injection: the injector’s page reference is dropped (put_ref_page)', () => {
    const { k, bus, fs } = fsdax(mk(), { size: SZ_1G });
    const f = fs.create('a', SZ_4K);
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: SZ_4K }));
    runAlone(k, 'touch', (t) => userAccess(k, t, mm, addr, true, bytes('x')));
    const pfn = f.pfnOf(0);
    const before = k.memmap.refcount(pfn);
    const g = runAlone(k, 'gup', (t) => getUserPages(k, t, mm, addr, 1));
    expect(k.memmap.refcount(pfn)).toBe(before + 1);
    const rc = runAlone(k, 'mf', (t) => memoryFailure(k, t, bus, g.pfns[0]!, MF_COUNT_INCREASED));
    expect(rc).toBe(0);
    expect(k.memmap.refcount(pfn)).toBe(name === '0based' ? before - 1 : before); // and the mapping is gone
    expect(k.violations).toEqual([]);
  });
});
