import { exitMmap, fork, type Kernel, userAccess } from '@daxref/core';
import { type CatalogueEntry, workloadExpect } from '../entry';
import { closeAll, ensure, type WorkCtx } from '../workload';
import { daxWorld, mapFile } from '../world';

export const forkPmd: CatalogueEntry = {
  kind: 'workload',
  scenario: {
    id: 'fork-pmd',
    title: 'fork with a PMD mapped; the child reads it and exits',
    source: 'ndctl dax-pmd "fork with a PMD mapped"; copy_huge_pmd() skips file PMDs',
    setup(k: Kernel): WorkCtx {
      const w = daxWorld(k);
      return { w, maps: [mapFile(w, 'f', 512)] };
    },
    tasks: [
      {
        name: 'parent',
        *body(k, t, c: WorkCtx) {
          const m = c.maps[0]!;
          if (!ensure(k, m.mm.pt.lookup(m.addr)?.level === 'pmd', 'the parent maps a PMD')) return;
          const child = yield* fork(k, t, m.mm);
          const r = yield* userAccess(k, t, child, m.addr + 7 * 4096, false);
          if (
            !ensure(
              k,
              r.ok && (r as { data: Uint8Array }).data[0] === 7,
              'the child reads what the parent wrote',
            )
          )
            return;
          yield* exitMmap(k, t, child);
        },
      },
    ],
    teardown: closeAll,
  },
  expected: workloadExpect(),
};
