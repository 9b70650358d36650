import { FOLL_WRITE, type Policy, pinUserPages, unpinUserPage } from '@daxref/core';
import { describe, expect, it } from 'vitest';
import {
  busyPages,
  completeDma,
  createRig,
  EXPECTATIONS,
  extraPgmapRefs,
  mapFile,
  missedWakeups,
  runAlone,
  SparseMedia,
  startDma,
  violationKinds,
} from '../src/index';

describe('SparseMedia', () => {
  it('materialises pages on first touch and keeps owner tags and poison', () => {
    const m = new SparseMedia('pmem9', 1 << 20, 1024);
    expect(m.read(m.startPfn, 0, 2)).toEqual(new Uint8Array([0, 0]));
    m.write(m.startPfn, 1, new Uint8Array([7]));
    expect(m.read(m.startPfn, 0, 2)).toEqual(new Uint8Array([0, 7]));
    expect(m.ownerTag(m.startPfn).file).toBe(0);
    m.setOwnerTag(m.startPfn, { file: 3, gen: 1 });
    expect(m.ownerTag(m.startPfn)).toEqual({ file: 3, gen: 1 });
    m.poison.add(m.startPfn);
    expect(m.isPoisoned(m.startPfn)).toBe(true);
    m.clearPoison(m.startPfn);
    expect(m.isPoisoned(m.startPfn)).toBe(false);
    expect(m.present()).toBe(true);
    m.gone = true;
    expect(m.present()).toBe(false);
  });
});

/** A deliberately broken policy for the utilities: the 1-based rules with every wake lost. */
function lossyPolicy(): Policy {
  const idle = 1;
  return {
    name: 'lossy',
    variant: 'x',
    title: 'lossy test policy',
    variants: [{ id: 'x', description: 'drops every wake', source: 'test', default: true }],
    caps: {
      getPageHook: false,
      mapHoldsRef: false,
      devmapPte: true,
      gupPgmapRef: true,
      compoundFolios: false,
      reflink: false,
      breakLayouts: true,
      mappingMappedShortcut: true,
      breakLayoutsOnEvict: false,
      notifyPreRemove: false,
      leases: false,
      vmaOpenClose: false,
    },
    initialRefcount: () => idle,
    pagemapRange() {},
    memunmapDropStatic() {},
    daxAssociateEntry: () => 0,
    daxDisassociateEntry() {},
    getDevicePage() {},
    putDevmapManagedRefs: () => false,
    freeZoneDeviceFolio() {},
    layoutPageBusy: (k, head) => k.memmap.refcount(head) > idle,
    layoutPageIdle: (k, head) => k.memmap.refcount(head) === idle,
    layoutWaitKey: (head) => head,
    fileMmap: () => 0,
    vmaOpen() {},
    vmaClose() {},
    *unbindPrepare() {},
  };
}

describe('checks and DMA', () => {
  it('missedWakeups finds a waiter whose condition holds; busyPages and DMA classify what they see', () => {
    const r = createRig(lossyPolicy(), 1024);
    const { k, fs } = r;
    const m = mapFile(r, 'a');
    runAlone(k, 'pin', (t) => pinUserPages(k, t, m.mm, m.addr, 1, FOLL_WRITE));
    expect(busyPages(k, r.pgmap)).toHaveLength(1);
    const dma = startDma(k, m.pfn);
    const trunc = k.spawn('truncate', (t) => fs.truncate(k, t, m.file, 0));
    expect(k.sched.runTask(trunc)).toBe('blocked');
    expect(missedWakeups(k)).toEqual([]);
    runAlone(k, 'unpin', function* (t) {
      unpinUserPage(k, t, m.pfn);
    });
    expect(missedWakeups(k)).toEqual([trunc]);
    expect(completeDma(k, dma)).toBe(true);
    expect(extraPgmapRefs(r.pgmap)).toBe(0);
    expect(violationKinds(k)).toEqual([]);
  });

  it('completeDma reports a freed block as use-after-free and a reallocated one as dma-corruption', () => {
    const r = createRig(lossyPolicy(), 1024);
    const { k, media } = r;
    const pfn = media.startPfn;
    media.setOwnerTag(pfn, { file: 5, gen: 1 });
    const x = startDma(k, pfn);
    media.setOwnerTag(pfn, { file: 0, gen: 0 });
    expect(completeDma(k, x)).toBe(false);
    media.setOwnerTag(pfn, { file: 6, gen: 2 });
    expect(completeDma(k, x)).toBe(false);
    expect(violationKinds(k)).toEqual(['use-after-free', 'dma-corruption']);
  });

  it('has expectations for every variant id the issue names', () => {
    expect(Object.keys(EXPECTATIONS).sort()).toEqual(
      [
        '0based@dan-2022',
        '0based@dan-2022-pin-only',
        '0based@ralph-rfc',
        '0based@v6.15',
        '0based@v6.15-rc1',
        '1based@v4.18',
        '1based@v4.5',
        '1based@v5.19-rc1',
        '1based@v6.1',
        '1based@v6.14',
        'coarse-pin@block',
        'coarse-pin@revoke',
      ].sort(),
    );
  });
});
