import { createMm, userAccess } from '@daxref/core';
import { describe, expect, it } from 'vitest';
import {
  bindNamespace,
  createDmaEngine,
  type DevdaxBinding,
  devDaxMmap,
  type PersistenceDomain,
  SZ_2M,
  SZ_4K,
} from '../src/index';
import { legacyPolicy, machine, runAlone, runSync } from './utils';

function setup(domain: PersistenceDomain) {
  const { k, region } = machine(legacyPolicy(), 1024 * SZ_2M, domain);
  const ns = region.createNamespace({ mode: 'devdax', size: 64 * SZ_2M, map: 'ram' });
  const b = runSync(k, 'bind', (t) => bindNamespace(k, t, ns)) as DevdaxBinding;
  const mm = createMm(k);
  const addr = runAlone(k, 'mmap', (t) => devDaxMmap(k, t, mm, b.file, { length: SZ_2M }));
  const store = (off: number, s: string) =>
    expect(
      runAlone(k, 'store', (t) => userAccess(k, t, mm, addr + off, true, new TextEncoder().encode(s))).ok,
    ).toBe(true);
  return { k, region, ns, mm, addr, store, pfn: ns.dataPfn(0) };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('persistence domain', () => {
  it('ADR: only stores that were flushed and fenced survive a power failure', () => {
    const { region, mm, addr, store, pfn } = setup('adr');
    store(0, 'dirty'); // never flushed
    store(64, 'flushed'); // clwb, no sfence
    store(128, 'fenced'); // clwb + sfence
    region.flushUser(mm, addr + 128, 6);
    region.fence();
    store(128 + 6, '+later'); // same line, after the fence: lost again
    region.flushUser(mm, addr + 64, 7);
    const img = region.powerFail();
    expect(img.domain).toBe('adr');
    expect(img.lostLines).toEqual([
      { pfn, offset: 0 },
      { pfn, offset: 64 },
      { pfn, offset: 128 },
    ]);
    expect(img.read(pfn, 0, 5)).toEqual(new Uint8Array(5));
    expect(img.read(pfn, 64, 7)).toEqual(new Uint8Array(7));
    expect(text(img.read(pfn, 128, 12))).toBe('fenced\0\0\0\0\0\0');
  });

  it('eADR: the CPU caches are in the persistence domain; every store survives', () => {
    const { region, store, pfn } = setup('eadr');
    store(0, 'dirty');
    store(SZ_4K + 64, 'other page');
    const img = region.powerFail();
    expect(img.lostLines).toEqual([]);
    expect(text(img.read(pfn, 0, 5))).toBe('dirty');
    expect(text(img.read(pfn + 1, 64, 10))).toBe('other page');
  });

  it('ADR: DMA writes bypass the CPU cache and are durable; they also write back a dirty line they hit', () => {
    const { k, region, store, pfn } = setup('adr');
    store(0, 'cpu');
    const nic = createDmaEngine(k);
    const m = nic.map([pfn, pfn + 1]);
    runAlone(k, 'dma', (t) => nic.write(t, m, 32, new TextEncoder().encode('dma')));
    runAlone(k, 'dma2', (t) => nic.write(t, m, SZ_4K, new TextEncoder().encode('page2')));
    const img = region.powerFail();
    expect(img.lostLines).toEqual([]);
    expect(text(img.read(pfn, 0, 3))).toBe('cpu');
    expect(text(img.read(pfn, 32, 3))).toBe('dma');
    expect(text(img.read(pfn + 1, 0, 5))).toBe('page2');
  });
});
