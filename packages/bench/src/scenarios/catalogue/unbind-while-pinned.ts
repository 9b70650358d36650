import { FOLL_WRITE, type Kernel, munmap, pinUserPagesFast, unpinUserPages } from '@daxref/core';
import { unbindNamespace } from '@daxref/hw-pmem';
import { type CatalogueEntry, expect } from '../entry';
import { dmaWrite, owning, type UnbindCtx } from '../tasks';
import { daxWorld, mapFile } from '../world';

interface PinnedUnbindCtx extends UnbindCtx {
  /** The DMA task has unmapped and closed the file (the admin unbinds only then, as the real test did). */
  closed: boolean;
}

export const unbindWhilePinned: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'unbind-while-pinned',
    title:
      'T1 pins P, munmaps and closes the file; an admin unbinds (xfs without rmapbt); T1 later unpins and its DMA completes',
    source:
      'memunmap_pages() waits only for the pgmap ref since v5.18; 50f44ee7248a "mm/devm_memremap_pages: fix final page put race" (≈4.13–5.1 removed memory before page references were reaped); 6.6+ del_gendisk → fs_bdev_mark_dead → evict_inodes, 6.15+ dax_break_layout_final waits (real 6.18 / 7.3)',
    setup(k: Kernel): PinnedUnbindCtx {
      const w = daxWorld(k, { rmapbt: false });
      return { w, map: mapFile(w, 'f', 1), gone: false, closed: false };
    },
    tasks: [
      {
        name: 'dma',
        body: owning(
          (c: PinnedUnbindCtx) => c.map.mm,
          function* (k, t, c) {
            const r = yield* pinUserPagesFast(k, t, c.map.mm, c.map.addr, 1, FOLL_WRITE);
            if (r.err < 0) {
              c.closed = true; // nothing in flight: let the admin unbind anyway
              k.waits.wake('unbind:closed');
              return;
            }
            const m = c.w.dma.map(r.pfns); // the DMA is in flight from here
            yield* munmap(k, t, c.map.mm, c.map.addr, c.map.length);
            yield* c.w.fs.close(k, t, c.map.file); // the inode stays cached, unused
            c.closed = true;
            k.waits.wake('unbind:closed');
            yield* dmaWrite(c.w, t, m);
            c.w.dma.unmap(m);
            unpinUserPages(k, t, r.pfns);
          },
        ),
      },
      {
        name: 'admin',
        *body(k, t, c: PinnedUnbindCtx) {
          yield* k.waits.wait(t, 'unbind:closed', () => c.closed, 'the file to be unmapped and closed');
          yield* unbindNamespace(k, t, c.w.ns);
          c.gone = true;
        },
      },
    ],
  },
  expected: expect({
    '1based@v4.5': 'pass',
    '1based@v4.18': 'use-after-free', // 50f44ee7248a: memory removed before the pin was reaped
    '1based@v6.1': ['use-after-free', 'must'], // real 6.1.176: brd writes into the removed direct map
    '1based@v6.14': ['use-after-free', 'must'], // real 6.12.95: same
    '0based@v6.15': ['pass', 'must'], // real 6.18.15 / 7.3.4: unbind waits in dax_break_layout_final
    'coarse-pin@block': 'use-after-free',
    // seed 001's I/O pin: unbind waits for the DMA; the WARN is the v6.14 base's evict of the
    // pinned page's entry (dax_disassociate_entry: trunc && refcount > 1), as on the real 6.12
    'coarse-pin@revoke': 'warn',
  }),
};
