import { FOLL_WRITE, type Kernel, pinUserPagesFast, unpinUserPages } from '@daxref/core';
import { type CatalogueEntry, workloadExpect } from '../entry';
import { closeAll, ensure, type WorkCtx } from '../workload';
import { daxWorld, mapFile } from '../world';

export const gupPinUnpin: CatalogueEntry = {
  kind: 'workload',
  scenario: {
    id: 'gup-pin-unpin',
    title: 'pin and unpin 1, 123 and 512 pages over PTE and PMD mappings',
    source: 'the kernel gup_test (tools/testing/selftests/mm/gup_test.c)',
    setup(k: Kernel): WorkCtx {
      const w = daxWorld(k);
      return { w, maps: [mapFile(w, 'pte', 512, { ptes: true }), mapFile(w, 'pmd', 512)] };
    },
    tasks: [
      {
        name: 'gup',
        *body(k, t, c: WorkCtx) {
          for (const m of c.maps) {
            for (const n of [1, 123, 512]) {
              const r = yield* pinUserPagesFast(k, t, m.mm, m.addr, n, FOLL_WRITE);
              if (!ensure(k, r.err === 0 && r.pfns.length === n, `pin of ${n} pages over ${m.file.name}`))
                return;
              unpinUserPages(k, t, r.pfns);
            }
          }
        },
      },
    ],
    teardown: closeAll,
  },
  expected: workloadExpect(),
};
