import { FOLL_WRITE, munmap, pinUserPagesFast, unpinUserPages } from '@daxref/core';
import { type CatalogueEntry, expect } from '../entry';
import { dmaWrite, owning, type PinCtx, pinSetup, pinTeardown, released, reuseTask } from '../tasks';

export const evictDuringDma: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'evict-during-dma',
    title:
      'T1 pins P, drops its mapping and DMAs; T2 unlinks and closes the file; the inode is evicted; T3 reuses the block; the DMA lands',
    source: 'evict / unmount had no break_layouts before 6.15 (dax_break_layout_final)',
    setup: pinSetup,
    tasks: [
      reuseTask(),
      {
        name: 'dma',
        body: owning(
          (c: PinCtx) => c.map.mm,
          function* (k, t, c) {
            const r = yield* pinUserPagesFast(k, t, c.map.mm, c.map.addr, 1, FOLL_WRITE);
            const m = r.err < 0 ? null : c.w.dma.map(r.pfns);
            yield* munmap(k, t, c.map.mm, c.map.addr, c.map.length);
            c.unmapped = true;
            k.waits.wake('evict-during-dma:unmapped');
            if (m === null) return;
            yield* dmaWrite(c.w, t, m);
            c.w.dma.unmap(m);
            unpinUserPages(k, t, r.pfns);
          },
        ),
      },
      {
        name: 'unlink',
        *body(k, t, c: PinCtx) {
          // The last reference must be this task's, so the eviction runs here, not in T1.
          yield* k.waits.wait(t, 'evict-during-dma:unmapped', () => c.unmapped, 'T1 has dropped its mapping');
          yield* c.w.fs.unlink(k, t, c.map.file);
          yield* c.w.fs.close(k, t, c.map.file);
          released(k, c);
        },
      },
    ],
    teardown: pinTeardown,
  },
  expected: expect({
    '1based@v4.5': 'dma-corruption',
    '1based@v4.18': 'dma-corruption',
    '1based@v6.1': ['dma-corruption', 'must'], // real 6.1.176
    '1based@v6.14': ['dma-corruption', 'must'],
    '0based@v6.15': ['pass', 'must'],
    'coarse-pin@block': 'dma-corruption',
  }),
};
