import { describe, expect, it } from 'vitest';
import {
  createMm,
  exitMmap,
  fork,
  madviseDontneed,
  mmap,
  mprotect,
  mremap,
  munmap,
  PageTable,
  type Policy,
  PTE_WRITE,
  userAccess,
  VM_WRITE,
} from '../src/index';
import { legacyPolicy, runAlone, setup, zeroBasedPolicy } from './helpers';

/** A 1-based policy that counts vm_ops open/close calls (the coarse pin's hook points). */
function countingPolicy() {
  const calls = { mmap: 0, open: 0, close: 0 };
  const base = legacyPolicy({ vmaOpenClose: true });
  const p: Policy = {
    ...base,
    fileMmap: () => {
      calls.mmap++;
      return 0;
    },
    vmaOpen: () => {
      calls.open++;
    },
    vmaClose: () => {
      calls.close++;
    },
  };
  return { p, calls };
}

describe('page tables', () => {
  it('holds PTE, PMD and PUD leaves with their bits, and refuses misaligned leaves', () => {
    const pt = new PageTable();
    pt.set(0x200000, 'pmd', 512, PTE_WRITE);
    pt.set(0x40000000, 'pud', 262144, 0);
    pt.set(0x1000, 'pte', 7, 0);
    expect(pt.lookup(0x200000 + 5 * 4096)).toMatchObject({ level: 'pmd', pfn: 512, start: 0x200000 });
    expect(pt.translate(0x200000 + 5 * 4096)).toBe(517);
    expect(pt.translate(0x40000000 + 3 * 4096)).toBe(262147);
    expect(pt.lookup(0x1000)?.level).toBe('pte');
    expect(pt.leaves(0, 2 ** 31).map((l) => l.level)).toEqual(['pte', 'pmd', 'pud']);
    expect(() => pt.set(0x201000, 'pmd', 0, 0)).toThrow(/misaligned/);
    expect(pt.clear(0x200000, 'pmd')).toMatchObject({ pfn: 512 });
    expect(pt.lookup(0x200000)).toBeNull();
  });
});

describe('address spaces and vm_ops (DOMAIN §4 hook points)', () => {
  it('mmap calls f_op->mmap, not ->open; munmap calls ->close', () => {
    const { p, calls } = countingPolicy();
    const { k, fs } = setup(p);
    const f = fs.create('f', 8 * 4096);
    const mm = createMm(k);
    const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 8 * 4096 }));
    expect(calls).toEqual({ mmap: 1, open: 0, close: 0 });
    expect(f.refs).toBe(2);
    runAlone(k, 'munmap', (t) => munmap(k, t, mm, a, 8 * 4096));
    expect(calls).toEqual({ mmap: 1, open: 0, close: 1 });
    expect(f.refs).toBe(1);
  });

  it('mprotect splits (->open on the new part) and never merges VMAs with ->close', () => {
    const { p, calls } = countingPolicy();
    const { k, fs } = setup(p);
    const f = fs.create('f', 8 * 4096);
    const mm = createMm(k);
    const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 8 * 4096 }));
    runAlone(k, 'mprotect', (t) => mprotect(k, t, mm, a + 4096, 2 * 4096, { write: false }));
    expect(mm.vmas.length).toBe(3);
    expect(calls.open).toBe(2);
    expect(mm.vmas[1]!.flags & VM_WRITE).toBe(0);
    runAlone(k, 'mprotect', (t) => mprotect(k, t, mm, a + 4096, 2 * 4096, { write: true }));
    expect(mm.vmas.length).toBe(3); // no merge: ->close would not be called for the merged-away VMA
    runAlone(k, 'exit', (t) => exitMmap(k, t, mm));
    expect(calls.open + calls.mmap).toBe(calls.close);
  });

  it('without ->close, mprotect back to the same flags merges the VMAs again', () => {
    const { k, fs } = setup(legacyPolicy());
    const f = fs.create('f', 8 * 4096);
    const mm = createMm(k);
    const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 8 * 4096 }));
    runAlone(k, 'ro', (t) => mprotect(k, t, mm, a + 4096, 4096, { write: false }));
    expect(mm.vmas.length).toBe(3);
    runAlone(k, 'rw', (t) => mprotect(k, t, mm, a + 4096, 4096, { write: true }));
    expect(mm.vmas.length).toBe(1);
    expect(f.refs).toBe(2);
  });

  it('mprotect read-only write-protects the leaves; a later store faults them writable again', () => {
    const { k, fs } = setup(zeroBasedPolicy());
    const f = fs.create('f', 4096);
    const mm = createMm(k);
    const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 4096 }));
    runAlone(k, 'w', (t) => userAccess(k, t, mm, a, true, new Uint8Array([1])));
    runAlone(k, 'ro', (t) => mprotect(k, t, mm, a, 4096, { write: false }));
    expect(mm.pt.lookup(a)!.bits & PTE_WRITE).toBe(0);
    const denied = runAlone(k, 'w2', (t) => userAccess(k, t, mm, a, true, new Uint8Array([2])));
    expect(denied).toMatchObject({ ok: false, signal: 'SIGSEGV' });
    runAlone(k, 'rw', (t) => mprotect(k, t, mm, a, 4096, { write: true }));
    const pfn = mm.pt.lookup(a)!.pfn;
    expect(runAlone(k, 'w3', (t) => userAccess(k, t, mm, a, true, new Uint8Array([3]))).ok).toBe(true);
    expect(k.memmap.refcount(pfn)).toBe(1); // the upgrade took no extra reference
  });

  it('fork: ->open per VMA; a MAP_SHARED DAX mapping is not copied, the child refaults', () => {
    const { p, calls } = countingPolicy();
    const { k, fs } = setup(p);
    const f = fs.create('f', 4 * 4096);
    const mm = createMm(k);
    const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 4 * 4096 }));
    runAlone(k, 'touch', (t) => userAccess(k, t, mm, a, true, new Uint8Array([9])));
    const child = runAlone(k, 'fork', (t) => fork(k, t, mm));
    expect(calls.open).toBe(1);
    expect(child.pt.lookup(a)).toBeNull();
    const r = runAlone(k, 'child-read', (t) => userAccess(k, t, child, a, false));
    expect(r).toMatchObject({ ok: true, data: new Uint8Array([9]) });
    runAlone(k, 'exit', (t) => exitMmap(k, t, child));
    expect(calls.close).toBe(1);
  });

  it('fork: anonymous memory is shared copy-on-write with a reference and a mapcount per mapping', () => {
    const { k } = setup(zeroBasedPolicy());
    const mm = createMm(k);
    const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { length: 4096, shared: false }));
    runAlone(k, 'touch', (t) => userAccess(k, t, mm, a, true, new Uint8Array([5])));
    const pfn = mm.pt.lookup(a)!.pfn;
    const child = runAlone(k, 'fork', (t) => fork(k, t, mm));
    expect(k.memmap.refcount(pfn)).toBe(2);
    expect(k.memmap.mapcount(pfn)).toBe(2);
    expect(child.pt.lookup(a)!.bits & PTE_WRITE).toBe(0);
    runAlone(k, 'exit', (t) => exitMmap(k, t, child));
    runAlone(k, 'exit', (t) => exitMmap(k, t, mm));
    expect(k.memmap.refcount(pfn)).toBe(0); // back in the page allocator
  });

  it('mremap: copy_vma ->open on the copy, the page tables move, the old VMA gets ->close', () => {
    const { p, calls } = countingPolicy();
    const { k, fs } = setup(p);
    const f = fs.create('f', 8 * 4096);
    const mm = createMm(k);
    const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 4 * 4096 }));
    runAlone(k, 'touch', (t) => userAccess(k, t, mm, a, true, new Uint8Array([4])));
    const pfn = mm.pt.lookup(a)!.pfn;
    const b = runAlone(k, 'mremap', (t) => mremap(k, t, mm, a, 4 * 4096, 8 * 4096));
    expect(b).not.toBe(a);
    expect(calls).toMatchObject({ mmap: 1, open: 1, close: 1 });
    expect(mm.pt.lookup(b)?.pfn).toBe(pfn);
    expect(mm.pt.lookup(a)).toBeNull();
    expect(mm.vmas.length).toBe(1);
  });

  it('misuse is a typed error with the valid form in the message', () => {
    const { k } = setup(legacyPolicy());
    const mm = createMm(k);
    expect(() => runAlone(k, 'bad', (t) => mmap(k, t, mm, { length: 100 }))).toThrow(
      /length 100 must be a positive multiple of 4096/,
    );
    expect(() => runAlone(k, 'bad', (t) => munmap(k, t, mm, 3, 4096))).toThrow(/page aligned/);
  });
});

describe('madvise(MADV_DONTNEED)', () => {
  it('zaps the leaves and keeps the VMA; the next access refaults', () => {
    const { k, fs } = setup(zeroBasedPolicy());
    const f = fs.create('f', 2 * 4096);
    const mm = createMm(k);
    const a = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 2 * 4096 }));
    runAlone(k, 'touch', (t) => userAccess(k, t, mm, a, true, new Uint8Array([1])));
    const pfn = mm.pt.lookup(a)!.pfn;
    expect(k.memmap.refcount(pfn)).toBe(1);
    runAlone(k, 'dontneed', (t) => madviseDontneed(k, t, mm, a, 2 * 4096));
    expect(mm.pt.lookup(a)).toBeNull();
    expect(mm.vmas.length).toBe(1);
    expect(k.memmap.refcount(pfn)).toBe(0);
    expect(runAlone(k, 'again', (t) => userAccess(k, t, mm, a, false))).toMatchObject({ ok: true, pfn });
  });
});
