import { FOLL_WRITE, type Kernel, pinUserPagesFast, unpinUserPages, userAccess } from '@daxref/core';
import { type CatalogueEntry, workloadExpect } from '../entry';
import { closeAll, ensure, type WorkCtx } from '../workload';
import { daxWorld, mapFile, payload } from '../world';

export const odirectUnfaulted: CatalogueEntry = {
  kind: 'workload',
  scenario: {
    id: 'odirect-unfaulted',
    title: 'O_DIRECT into a DAX range that was never faulted: GUP faults it in, DMA fills it',
    source: 'ndctl dax.sh (O_DIRECT on unfaulted DAX)',
    setup(k: Kernel): WorkCtx {
      const w = daxWorld(k);
      return { w, maps: [mapFile(w, 'f', 8, { fault: false })] };
    },
    tasks: [
      {
        name: 'dio',
        *body(k, t, c: WorkCtx) {
          const m = c.maps[0]!;
          const r = yield* pinUserPagesFast(k, t, m.mm, m.addr, 8, FOLL_WRITE);
          if (!ensure(k, r.err === 0 && r.pfns.length === 8, 'GUP faults the range in')) return;
          const d = c.w.dma.map(r.pfns);
          yield* c.w.dma.write(t, d, 0, payload(8 * 4096, 0x3c));
          c.w.dma.unmap(d);
          unpinUserPages(k, t, r.pfns);
          const back = yield* userAccess(k, t, m.mm, m.addr + 5 * 4096, false);
          if (
            !ensure(
              k,
              back.ok && (back as { data: Uint8Array }).data[0] === 0x3c,
              'the DMA data is visible through the mapping',
            )
          )
            return;
        },
      },
    ],
    teardown: closeAll,
  },
  expected: workloadExpect(),
};
