import {
  createMm,
  FOLL_WRITE,
  type Kernel,
  mmap,
  munmap,
  type Policy,
  PREEMPT,
  pinUserPages,
  RandomChooser,
  unpinUserPages,
} from '@daxref/core';
import { describe, expect, it } from 'vitest';
import { createDmaEngine, type DmaMapping, SZ_1G, SZ_4K, unbindNamespace } from '../src/index';
import { fsdax, legacyPolicy, runAlone, zeroBasedPolicy } from './utils';

/** T1 pins page 0 of file a and DMAs into it in 1 KiB chunks; T2 truncates a; T3 writes a new file. */
function truncateDuringDma(policy: Policy, seed?: number) {
  const env = fsdax(policy, { size: SZ_1G }, SZ_1G * 2);
  const { k, fs } = env;
  if (seed !== undefined) k.sched.chooser = new RandomChooser(seed);
  const a = fs.create('a', 4 * SZ_4K);
  const mm = createMm(k);
  const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: a, length: 4 * SZ_4K }));
  const nic = createDmaEngine(k, { chunkBytes: 1024 });
  let m: DmaMapping | null = null;
  let pinned: number[] = [];
  runAlone(k, 'pin', function* (t) {
    const r = yield* pinUserPages(k, t, mm, addr, 1, FOLL_WRITE);
    pinned = r.pfns;
    m = nic.map(r.pfns);
  });
  const dma = k.spawn('rdma', function* (t) {
    yield* nic.write(t, m!, 0, new Uint8Array(SZ_4K).fill(0xd0));
    nic.unmap(m!);
    unpinUserPages(k, t, pinned);
  });
  const trunc = k.spawn('truncate', (t) => fs.truncate(k, t, a, 0));
  const reuse = k.spawn('reuse', function* (t) {
    for (let i = 0; i < 50 && a.blocks.size > 0; i++) yield PREEMPT;
    const b = fs.create('b');
    yield* fs.pwrite(k, t, b, 0, new Uint8Array(16).fill(0xbb));
  });
  return { ...env, a, mm, addr, nic, pinned, dma, trunc, reuse, nicMap: () => m! };
}

const kinds = (k: Kernel) => [...new Set(k.violations.map((v) => v.kind))];

describe('DMA engine', () => {
  it('truncate during DMA without break_layouts (v4.5): the transfer lands in another file’s block', () => {
    const s = truncateDuringDma(legacyPolicy('v4.5'));
    const { k } = s;
    k.sched.stepTask(s.dma); // first chunk in flight
    k.sched.stepTask(s.dma);
    expect(k.sched.runTask(s.trunc)).toBe('done');
    expect(k.sched.runTask(s.reuse)).toBe('done');
    expect(k.sched.runTask(s.dma)).toBe('done');
    // v4.5 had no dax_disassociate_entry() (and so no refcount WARN): only the corruption.
    expect(kinds(k)).toEqual(['dma-corruption']);
    const v = k.violations[0]!;
    expect(v.message).toMatch(/now owned by inode \d+ gen 2; it was pinned for inode \d+ gen 1/);
    expect(v.task).toBe('rdma');
    expect(v.pfn).toBe(s.pinned[0]);
  });

  it('a DMA read from a block reused under it returns the next owner’s data: stale-read', () => {
    const s = truncateDuringDma(legacyPolicy('v4.5'));
    const { k, nic } = s;
    // The truncate frees the pinned block and file b takes it, before the device reads it.
    expect(k.sched.runTask(s.trunc)).toBe('done');
    expect(k.sched.runTask(s.reuse)).toBe('done');
    const rd = k.spawn('pipe', function* (t) {
      const r = yield* nic.read(t, s.nicMap(), 0, 16);
      expect(r.ok && r.data?.[0]).toBe(0xbb);
    });
    expect(k.sched.runTask(rd)).toBe('done');
    expect(kinds(k)).toEqual(['stale-read']);
    expect(k.violations[0]!.message).toMatch(
      /returned data of inode \d+ gen 2; it was pinned for inode \d+ gen 1/,
    );
  });

  it('a DMA read of a block its file still owns is clean', () => {
    const s = truncateDuringDma(legacyPolicy('v6.14'));
    const { k, nic } = s;
    const rd = k.spawn('pipe', function* (t) {
      yield* nic.read(t, s.nicMap(), 0, 16);
    });
    expect(k.sched.runTask(rd)).toBe('done');
    expect(k.violations).toEqual([]);
  });

  it('a block freed under DMA and not reused is a use-after-free', () => {
    const s = truncateDuringDma(legacyPolicy('v4.5'));
    const { k } = s;
    k.sched.stepTask(s.dma);
    expect(k.sched.runTask(s.trunc)).toBe('done');
    expect(k.sched.runTask(s.dma)).toBe('done');
    expect(kinds(k)).toEqual(['use-after-free']);
  });

  for (const [name, mk] of [
    ['1based@v6.14', () => legacyPolicy()],
    ['0based@v6.15', () => zeroBasedPolicy()],
  ] as const) {
    it(`${name}: truncate waits for the pin; random interleavings are clean`, () => {
      for (let seed = 1; seed <= 25; seed++) {
        const s = truncateDuringDma(mk(), seed);
        const r = s.k.run();
        expect(r.status).toBe('done');
        expect(s.k.violations).toEqual([]);
        expect(s.nic.bytesWritten).toBe(SZ_4K);
      }
    });
  }

  it('unbind while pinned (0-based: memunmap_pages does not wait): DMA into a removed struct page', () => {
    const { k, fs, ns } = fsdax(zeroBasedPolicy(), { size: SZ_1G });
    const f = fs.create('a', SZ_4K);
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: SZ_4K }));
    const nic = createDmaEngine(k);
    const pin = runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, addr, 1, FOLL_WRITE));
    const m = nic.map(pin.pfns);
    runAlone(k, 'munmap', (t) => munmap(k, t, mm, addr, SZ_4K));
    runAlone(k, 'unbind', (t) => unbindNamespace(k, t, ns));
    expect(k.memmap.valid(pin.pfns[0]!)).toBe(false);
    const r = runAlone(k, 'dma', (t) => nic.write(t, m, 0, new Uint8Array(8)));
    expect(r.ok).toBe(true);
    // MF_MEM_PRE_REMOVE invalidated the pinned folio's entry (no WARN: an invalidation is not a
    // truncate), the memory went away, then the DMA landed in a removed struct page.
    expect(k.violations.map((v) => v.rule ?? v.kind)).toEqual(['use-after-free']);
    expect(k.violations[0]!.message).toMatch(/struct page was removed/);
  });

  it('hot-remove during DMA: the rest of the transfer is a use-after-free and is dropped', () => {
    const { k, fs, region } = fsdax(legacyPolicy(), { size: SZ_1G });
    const f = fs.create('a', 2 * SZ_4K);
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 2 * SZ_4K }));
    const pin = runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, addr, 2, FOLL_WRITE));
    const nic = createDmaEngine(k);
    const m = nic.map(pin.pfns);
    const dma = k.spawn('dma', (t) => nic.write(t, m, 0, new Uint8Array(2 * SZ_4K).fill(1)));
    k.sched.stepTask(dma);
    k.sched.stepTask(dma); // first page written, at the preemption point before the second
    region.surpriseRemove();
    expect(k.sched.runTask(dma)).toBe('done');
    expect(k.violations.map((v) => v.kind)).toEqual(['use-after-free']);
    expect(k.violations[0]!.pfn).toBe(pin.pfns[1]);
    expect(region.media.accessesWhileGone).toBe(0); // the engine dropped it before the media
  });

  it('DMA reads: poison fails the transfer with -EIO', () => {
    const { k, fs, region } = fsdax(legacyPolicy(), { size: SZ_1G });
    const f = fs.create('a', 2 * SZ_4K);
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: f, length: 2 * SZ_4K }));
    const pin = runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, addr, 2, FOLL_WRITE));
    const nic = createDmaEngine(k);
    const m = nic.map(pin.pfns);
    region.media.injectPoison(pin.pfns[1]!);
    const r = runAlone(k, 'read', (t) => nic.read(t, m, 0, 2 * SZ_4K));
    expect(r).toMatchObject({ ok: false, bytes: SZ_4K, err: -5 });
    expect(() => nic.map([1])).toThrow(/neither device memory nor system RAM/);
    nic.unmap(m);
    expect(() => runAlone(k, 'again', (t) => nic.write(t, m, 0, new Uint8Array(1)))).toThrow(/unmapped/);
  });
});
