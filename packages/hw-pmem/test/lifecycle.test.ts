import { createMm, Errno, mmap, type Task, userAccess } from '@daxref/core';
import { describe, expect, it } from 'vitest';
import {
  bindNamespace,
  devDaxMmap,
  HwPmemError,
  hotRemoveRegion,
  memoryFailure,
  type RawBinding,
  reconfigureNamespace,
  SZ_1G,
  SZ_2M,
  SZ_4K,
  unbindNamespace,
} from '../src/index';
import { devdax, fsdax, legacyPolicy, machine, POLICIES, runAlone, runSync } from './utils';

const bytes = (s: string) => new TextEncoder().encode(s);

describe.each(POLICIES)('driver lifecycle (%s)', (_name, mk) => {
  it('unbind is a task that blocks while someone holds a pgmap reference', () => {
    const { k, bus, ns } = fsdax(mk(), { size: SZ_1G });
    // memory_failure() holds get_dev_pagemap() across its handler.
    const mf = k.spawn('mf', (t) => memoryFailure(k, t, bus, ns.dataPfn(7)));
    k.sched.stepTask(mf); // took the reference, now at its preemption point
    const unbind = k.spawn('unbind', (t) => unbindNamespace(k, t, ns));
    expect(k.sched.runTask(unbind)).toBe('blocked');
    expect(unbind.blocker).toMatchObject({ kind: 'completion', teardown: true });
    expect(ns.state).toBe('unbinding');
    expect(() => runSync(k, 'bind', (t) => bindNamespace(k, t, ns))).toThrow(HwPmemError);
    expect(k.sched.runTask(mf)).toBe('done');
    // It kept the pgmap alive; the holder is gone (kill_dax), so the generic path handled it.
    expect(mf.result).toBe(0);
    expect(bus.memoryFailures.map((r) => r.handler)).toEqual(['generic']);
    expect(k.sched.runTask(unbind)).toBe('done');
    // Afterwards the pfn has no struct page: "memory outside kernel control".
    expect(runAlone(k, 'mf2', (t) => memoryFailure(k, t, bus, ns.dataPfn(7)))).toBe(-6);
    expect(ns.state).toBe('idle');
    expect(k.memmap.valid(ns.startPfn)).toBe(false);
    expect(k.violations).toEqual([]);
  });

  it('a pgmap reference never dropped is an unbind hang', () => {
    const { k, ns, b } = fsdax(mk(), { size: SZ_1G });
    const boot = k.spawn('leaker', function* (t: Task) {
      b.pgmap.ref.tryGetLive(t.cpu); // a driver that forgets put_dev_pagemap()
    });
    k.sched.runTask(boot);
    k.spawn('unbind', (t) => unbindNamespace(k, t, ns));
    const r = k.run();
    expect(r.status).toBe('stuck');
    expect(r.blocked.map((t) => t.blocker?.teardown)).toEqual([true]);
  });

  it('SIGBUS after reconfigure: an fsdax mapping dies when the namespace becomes devdax', () => {
    const { k, fs, ns } = fsdax(mk(), { size: SZ_1G });
    const f = fs.create('a', SZ_2M);
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: SZ_2M }));
    expect(runAlone(k, 'store', (t) => userAccess(k, t, mm, addr, true, bytes('old'))).ok).toBe(true);
    const nb = runAlone(k, 'reconfigure', (t) => reconfigureNamespace(k, t, ns, { mode: 'devdax' }));
    expect(nb?.mode).toBe('devdax');
    expect(mm.pt.lookup(addr)).toBeNull(); // MF_MEM_PRE_REMOVE: the filesystem invalidated it
    const r = runAlone(k, 'load', (t) => userAccess(k, t, mm, addr, false));
    expect(r).toMatchObject({ ok: false, signal: 'SIGBUS' });
    // The new personality works.
    if (nb?.mode !== 'devdax') throw new Error('expected devdax');
    const mm2 = createMm(k);
    const a2 = runAlone(k, 'mmap2', (t) => devDaxMmap(k, t, mm2, nb.file, { length: SZ_2M }));
    expect(runAlone(k, 'store2', (t) => userAccess(k, t, mm2, a2, true, bytes('new'))).ok).toBe(true);
    expect(k.violations).toEqual([]);
  });

  it('SIGBUS after revoke: unbinding device-dax zaps every mapping (kill_dev_dax)', () => {
    const { k, ns, b } = devdax(mk(), { size: 64 * SZ_2M });
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => devDaxMmap(k, t, mm, b.file, { length: 2 * SZ_2M }));
    expect(runAlone(k, 'store', (t) => userAccess(k, t, mm, addr, true, bytes('x'))).ok).toBe(true);
    runAlone(k, 'unbind', (t) => unbindNamespace(k, t, ns));
    expect(mm.pt.lookup(addr)).toBeNull();
    const r = runAlone(k, 'load', (t) => userAccess(k, t, mm, addr, false));
    expect(r).toMatchObject({ ok: false, signal: 'SIGBUS' });
    expect(runAlone(k, 'mmap2', (t) => devDaxMmap(k, t, mm, b.file, { length: SZ_2M }))).toBe(-6);
    expect(k.violations).toEqual([]);
  });

  it('surprise hot-remove: a CPU access through a live mapping is a use-after-free', () => {
    const { k, ns, b, region } = devdax(mk(), { size: 64 * SZ_2M });
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => devDaxMmap(k, t, mm, b.file, { length: SZ_2M }));
    expect(runAlone(k, 'store', (t) => userAccess(k, t, mm, addr, true, bytes('x'))).ok).toBe(true);
    region.surpriseRemove();
    const r = runAlone(k, 'load', (t) => userAccess(k, t, mm, addr, false));
    expect(r.ok).toBe(false);
    expect(k.violations.map((v) => v.kind)).toEqual(['use-after-free']);
    runAlone(k, 'remove', (t) => hotRemoveRegion(k, t, region));
    expect(ns.state).toBe('idle');
    expect(() => runSync(k, 'bind', (t) => bindNamespace(k, t, ns))).toThrow(/media was removed/);
  });
});

describe('lifecycle details', () => {
  it('without the pre-remove notification a mapping outlives unbind: use-after-free', () => {
    const { k, fs, ns } = fsdax(legacyPolicy('v5.19-rc1'), { size: SZ_1G });
    const f = fs.create('a', SZ_4K);
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: SZ_4K }));
    runAlone(k, 'store', (t) => userAccess(k, t, mm, addr, true, bytes('x')));
    runAlone(k, 'unbind', (t) => unbindNamespace(k, t, ns));
    expect(mm.pt.lookup(addr)).not.toBeNull();
    runAlone(k, 'load', (t) => userAccess(k, t, mm, addr, false));
    expect(k.violations.map((v) => v.kind)).toEqual(['use-after-free']);
  });

  it('raw mode: a block device with no pgmap; bad blocks fail reads until rewritten', () => {
    const { k, region } = machine(legacyPolicy());
    const ns = region.createNamespace({ mode: 'raw', size: 64 * SZ_4K });
    const b = runSync(k, 'bind', (t) => bindNamespace(k, t, ns)) as RawBinding;
    expect(b.block.name).toBe('pmem0');
    expect(k.pgmaps.lookup(ns.startPfn)).toBeNull();
    expect(b.block.write(SZ_4K + 10, bytes('raw'))).toBe(3);
    expect(b.block.read(SZ_4K + 10, 3)).toEqual(bytes('raw'));
    ns.injectError(SZ_4K, 512);
    expect(ns.badblocks()).toEqual([{ offset: SZ_4K, length: SZ_4K }]);
    expect(b.block.read(SZ_4K, 16)).toBe(-Errno.EIO);
    expect(b.block.write(SZ_4K, new Uint8Array(SZ_4K))).toBe(SZ_4K);
    expect(ns.badblocks()).toEqual([]);
    runAlone(k, 'unbind', (t) => unbindNamespace(k, t, ns));
    expect(b.block.read(0, 1)).toBe(-6);
  });

  it('reconfigure of an idle namespace can leave it disabled', () => {
    const { k, region } = machine(legacyPolicy());
    const ns = region.createNamespace({ mode: 'raw', size: 2 * SZ_1G });
    const r = runAlone(k, 'reconf', (t) =>
      reconfigureNamespace(k, t, ns, { mode: 'fsdax', align: SZ_1G }, { enable: false }),
    );
    expect(r).toBeNull();
    expect(ns.mode).toBe('fsdax');
    expect(ns.layout.dataOffset).toBe(SZ_1G);
    expect(ns.state).toBe('idle');
  });
});
