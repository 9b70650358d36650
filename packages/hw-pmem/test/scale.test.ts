// Scale check (issue 4): a 1 TiB fsdax namespace with 2 MiB alignment binds, maps and unbinds
// with memory proportional to what was touched. Reports figures; the only assertion on memory is
// a generous bound. No timing thresholds.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createMm, DaxFs, mmap, munmap, type Policy, userAccess } from '@daxref/core';
import { describe, expect, it } from 'vitest';
import { bindNamespace, type FsdaxBinding, SZ_1G, SZ_1T, SZ_2M, SZ_4K, unbindNamespace } from '../src/index';
import { legacyPolicy, machine, runAlone, runSync, zeroBasedPolicy } from './utils';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function used(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const MiB = (n: number) => Math.round((n / 2 ** 20) * 100) / 100;

function scale(policy: Policy) {
  const t0 = performance.now();
  const base = used();
  const { k, region } = machine(policy, SZ_1T + SZ_1G);
  const ns = region.createNamespace({ mode: 'fsdax', size: SZ_1T, align: SZ_2M, map: 'dev' });
  const b = runSync(k, 'bind', (t) => bindNamespace(k, t, ns)) as FsdaxBinding;
  const fs = new DaxFs(k, b.dax);
  const bound = used() - base;
  const bindMs = performance.now() - t0;
  const memmapBound = k.memmap.stats();
  // A 64 GiB file; 16 scattered 2 MiB windows of it mapped and written (one PMD fault each), and
  // a few block writes far out on /dev/pmem.
  const f = fs.create('big', 64 * SZ_1G);
  const mm = createMm(k);
  const addrs: number[] = [];
  for (let i = 0; i < 16; i++) {
    const a = runAlone(k, `mmap${i}`, (t) =>
      mmap(k, t, mm, { file: f, length: SZ_2M, offset: i * 4 * SZ_1G }),
    );
    addrs.push(a);
    const r = runAlone(k, `store${i}`, (t) =>
      userAccess(k, t, mm, a + SZ_4K, true, new Uint8Array([i, 1, 2, 3])),
    );
    if (!r.ok) throw new Error(`store ${i} failed`);
    if (mm.pt.lookup(a)?.level !== 'pmd') throw new Error('expected a PMD fault');
  }
  for (let i = 0; i < 4; i++) b.block.write(900 * SZ_1G + i * SZ_1G, new Uint8Array(SZ_4K).fill(i));
  const mapped = used() - base;
  const memmapMapped = k.memmap.stats();
  const media = region.media.stats();
  for (const a of addrs) runAlone(k, 'munmap', (t) => munmap(k, t, mm, a, SZ_2M));
  const t1 = performance.now();
  runAlone(k, 'unbind', (t) => unbindNamespace(k, t, ns));
  const unbindMs = performance.now() - t1;
  const unbound = used() - base;
  const leaves = addrs.reduce((n, a) => n + mm.pt.leaves(a, a + SZ_2M).length, 0);
  return {
    policy: `${policy.name}@${policy.variant}`,
    namespace: { bytes: ns.size, dataPages: ns.layout.dataPages, memmap: ns.memmap },
    heapMiB: { bound: MiB(bound), mapped: MiB(mapped), unbound: MiB(unbound) },
    memmap: { bound: memmapBound, mapped: memmapMapped, afterUnbind: k.memmap.stats() },
    media,
    ms: { bind: Math.round(bindMs), unbind: Math.round(unbindMs) },
    leavesLeft: leaves,
    violations: k.violations.length,
  };
}

describe('scale: 1 TiB fsdax namespace, 2 MiB alignment', () => {
  it.each([
    ['1based', legacyPolicy],
    ['0based', zeroBasedPolicy],
  ] as const)('%s: binds, maps and unbinds with memory proportional to what was touched', (_n, mk) => {
    const r = scale(mk());
    console.log(`[hw-pmem scale] ${JSON.stringify(r)}`);
    expect(r.violations).toBe(0);
    expect(r.leavesLeft).toBe(0);
    // 16 PMD extents + 4 block pages: memmap chunks and media chunks only where touched.
    expect(r.memmap.mapped.allocatedPages).toBeLessThanOrEqual(64 * 512);
    expect(r.media.chunks).toBeLessThanOrEqual(16 + 4);
    expect(r.memmap.afterUnbind.describedPages).toBe(16384); // only system RAM is left
    // Generous bound: a 1 TiB namespace (2^28 struct pages) must cost far less than 1 byte per page.
    expect(r.heapMiB.mapped).toBeLessThan(64);
  });
});
