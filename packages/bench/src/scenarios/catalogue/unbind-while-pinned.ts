import { FOLL_WRITE, type Kernel, munmap, pinUserPagesFast, unpinUserPages } from '@daxref/core';
import { unbindNamespace } from '@daxref/hw-pmem';
import { type CatalogueEntry, expect } from '../entry';
import { dmaWrite, owning, type UnbindCtx } from '../tasks';
import { daxWorld, mapFile } from '../world';

export const unbindWhilePinned: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'unbind-while-pinned',
    title: 'T1 pins P and munmaps; an admin unbinds; T1 later unpins and its DMA completes',
    source:
      'memunmap_pages() waits only for the pgmap ref since v5.18; "mm/devm_memremap_pages: fix final page put race" (2019)',
    setup(k: Kernel): UnbindCtx {
      const w = daxWorld(k);
      return { w, map: mapFile(w, 'f', 1), gone: false };
    },
    tasks: [
      {
        name: 'dma',
        body: owning(
          (c: UnbindCtx) => c.map.mm,
          function* (k, t, c) {
            const r = yield* pinUserPagesFast(k, t, c.map.mm, c.map.addr, 1, FOLL_WRITE);
            yield* munmap(k, t, c.map.mm, c.map.addr, c.map.length);
            if (r.err < 0) return;
            const m = c.w.dma.map(r.pfns);
            yield* dmaWrite(c.w, t, m);
            c.w.dma.unmap(m);
            unpinUserPages(k, t, r.pfns);
          },
        ),
      },
      {
        name: 'admin',
        *body(k, t, c: UnbindCtx) {
          yield* unbindNamespace(k, t, c.w.ns);
          c.gone = true;
        },
      },
    ],
  },
  expected: expect({
    '1based@v4.5': 'pass',
    '1based@v6.14': 'use-after-free',
    '0based@v6.15': 'use-after-free',
    'coarse-pin@block': 'use-after-free',
  }),
};
