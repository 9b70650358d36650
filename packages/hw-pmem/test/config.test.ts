import { RAM_START_PFN } from '@daxref/core';
import { describe, expect, it } from 'vitest';
import {
  bindNamespace,
  HwPmemError,
  PFN_INFO_RESERVE,
  reconfigureNamespace,
  SZ_1G,
  SZ_2M,
  SZ_4K,
  unbindNamespace,
} from '../src/index';
import { legacyPolicy, machine, REGION_BASE, runAlone, runSync } from './utils';

function caught(f: () => unknown): HwPmemError {
  try {
    f();
  } catch (e) {
    if (e instanceof HwPmemError) return e;
    throw e;
  }
  throw new Error('expected an HwPmemError');
}

describe('configuration errors name the field and the allowed values', () => {
  it('a misaligned size', () => {
    const { region } = machine(legacyPolicy());
    const e = caught(() => region.createNamespace({ mode: 'fsdax', size: SZ_1G + SZ_4K }));
    expect(e.code).toBe('MISALIGNED');
    expect(e.field).toBe('size');
    expect(e.message).toMatch(/^region0: namespace0\.0: size .* multiple of 2 MiB/);
    const e1g = caught(() => region.createNamespace({ mode: 'devdax', size: 3 * SZ_2M, align: SZ_1G }));
    expect(e1g.code).toBe('MISALIGNED');
    expect(e1g.message).toMatch(/multiple of 1 GiB/);
  });

  it('an alignment the mode does not allow', () => {
    const { region } = machine(legacyPolicy());
    const e = caught(() => region.createNamespace({ mode: 'raw', size: SZ_1G, align: SZ_2M }));
    expect(e.code).toBe('BAD_ALIGN');
    expect(e.field).toBe('align');
    expect(e.allowed).toEqual(['4 KiB']);
    const e2 = caught(() => region.createNamespace({ mode: 'devdax', size: SZ_1G, align: 64 * 1024 }));
    expect(e2.allowed).toEqual(['4 KiB', '2 MiB', '1 GiB']);
    expect(e2.message).toContain('allowed: 4 KiB, 2 MiB, 1 GiB');
  });

  it('an unknown mode', () => {
    const { region } = machine(legacyPolicy());
    const e = caught(() => region.createNamespace({ mode: 'sector' as never, size: SZ_1G }));
    expect(e.code).toBe('BAD_MODE');
    expect(e.allowed).toEqual(['fsdax', 'devdax', 'raw']);
  });

  it('overlapping ranges: regions, system RAM and namespaces', () => {
    const { bus, region } = machine(legacyPolicy(), 4 * SZ_1G);
    expect(caught(() => bus.addRegion({ base: REGION_BASE + SZ_1G, size: SZ_1G })).code).toBe('OVERLAP');
    expect(caught(() => bus.addRegion({ base: RAM_START_PFN * SZ_4K, size: SZ_2M })).code).toBe('OVERLAP');
    expect(caught(() => bus.addRegion({ base: REGION_BASE + SZ_4K, size: SZ_2M })).field).toBe('base');
    region.createNamespace({ mode: 'fsdax', size: SZ_1G, offset: SZ_1G });
    const e = caught(() =>
      region.createNamespace({ mode: 'devdax', size: SZ_1G, offset: SZ_1G + 512 * SZ_4K * 2 }),
    );
    expect(e.code).toBe('OVERLAP');
    expect(e.field).toBe('offset');
    expect(e.message).toContain('namespace0.0');
    // First fit goes around it.
    const a = region.createNamespace({ mode: 'raw', size: SZ_1G });
    expect(a.startPfn * SZ_4K).toBe(REGION_BASE);
    const b = region.createNamespace({ mode: 'raw', size: SZ_1G });
    expect(b.startPfn * SZ_4K).toBe(REGION_BASE + 2 * SZ_1G);
    expect(caught(() => region.createNamespace({ mode: 'raw', size: 2 * SZ_1G })).code).toBe('NO_SPACE');
  });

  it('bind twice, unbind of an unbound device', () => {
    const { k, region } = machine(legacyPolicy());
    const ns = region.createNamespace({ mode: 'fsdax', size: SZ_1G });
    expect(caught(() => runAlone(k, 'unbind', (t) => unbindNamespace(k, t, ns))).code).toBe('NOT_BOUND');
    runSync(k, 'bind', (t) => bindNamespace(k, t, ns));
    const e = caught(() => runSync(k, 'bind2', (t) => bindNamespace(k, t, ns)));
    expect(e.code).toBe('ALREADY_BOUND');
    expect(e.field).toBe('state');
    expect(e.allowed).toEqual(['idle']);
    expect(caught(() => region.destroyNamespace(ns)).code).toBe('ALREADY_BOUND');
    runAlone(k, 'unbind', (t) => unbindNamespace(k, t, ns));
    const e2 = caught(() => runAlone(k, 'unbind2', (t) => unbindNamespace(k, t, ns)));
    expect(e2.code).toBe('NOT_BOUND');
    expect(e2.allowed).toEqual(['bound']);
    region.destroyNamespace(ns);
    expect(region.namespaces).toEqual([]);
  });

  it('a bad reconfiguration changes nothing and keeps the device bound', () => {
    const { k, region } = machine(legacyPolicy());
    const ns = region.createNamespace({ mode: 'fsdax', size: SZ_1G + SZ_2M });
    runSync(k, 'bind', (t) => bindNamespace(k, t, ns));
    const e = caught(() => runAlone(k, 'reconf', (t) => reconfigureNamespace(k, t, ns, { align: SZ_1G })));
    expect(e.code).toBe('MISALIGNED');
    expect(ns.state).toBe('bound');
    expect(ns.align).toBe(SZ_2M);
  });
});

describe('namespace layout (nd_pfn_init) and where the memmap lives', () => {
  it('fsdax -M ram: the info block pads the data to the alignment; struct pages in host RAM', () => {
    const { region } = machine(legacyPolicy());
    const ns = region.createNamespace({ mode: 'fsdax', size: 4 * SZ_1G, map: 'ram' });
    expect(ns.layout.dataOffset).toBe(SZ_2M);
    expect(ns.layout.dataStartPfn % 512).toBe(0);
    expect(ns.layout.dataPages).toBe((4 * SZ_1G - SZ_2M) / SZ_4K);
    expect(ns.memmap).toEqual({
      location: 'ram',
      structPages: ns.nrPages,
      bytes: 64 * ns.nrPages,
      hostRamBytes: 64 * ns.nrPages,
      deviceBytes: 0,
    });
  });

  it('fsdax -M dev: 64 bytes per pfn reserved on the namespace, none in host RAM', () => {
    const { region } = machine(legacyPolicy());
    const ns = region.createNamespace({ mode: 'fsdax', size: 4 * SZ_1G, map: 'dev' });
    const npfns = (4 * SZ_1G - PFN_INFO_RESERVE) / SZ_4K;
    expect(ns.memmap.location).toBe('dev');
    expect(ns.memmap.hostRamBytes).toBe(0);
    expect(ns.memmap.deviceBytes).toBe(64 * npfns);
    expect(ns.layout.dataOffset).toBe(Math.ceil((PFN_INFO_RESERVE + 64 * npfns) / SZ_2M) * SZ_2M);
  });

  it('4 KiB alignment: data starts right after the 8 KiB info block; raw has no memmap', () => {
    const { region } = machine(legacyPolicy());
    const ns = region.createNamespace({ mode: 'fsdax', size: SZ_1G, align: SZ_4K, map: 'ram' });
    expect(ns.layout.dataOffset).toBe(PFN_INFO_RESERVE);
    const raw = region.createNamespace({ mode: 'raw', size: SZ_1G });
    expect(raw.layout.dataOffset).toBe(0);
    expect(raw.memmap.location).toBe('none');
  });

  it('1 GiB alignment gives up a whole GiB to the info block', () => {
    const { region } = machine(legacyPolicy());
    const ns = region.createNamespace({ mode: 'devdax', size: 3 * SZ_1G, align: SZ_1G, map: 'ram' });
    expect(ns.layout.dataOffset).toBe(SZ_1G);
    expect(ns.layout.dataPages).toBe((2 * SZ_1G) / SZ_4K);
    const e = caught(() => region.createNamespace({ mode: 'devdax', size: SZ_1G, align: SZ_1G }));
    expect(e.code).toBe('NO_SPACE');
  });
});
