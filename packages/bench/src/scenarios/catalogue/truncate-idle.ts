import type { Kernel } from '@daxref/core';
import { type CatalogueEntry, workloadExpect } from '../entry';
import { closeAll, ensure, type WorkCtx } from '../workload';
import { daxWorld, mapFile } from '../world';

export const truncateIdle: CatalogueEntry = {
  kind: 'workload',
  scenario: {
    id: 'truncate-idle',
    title: 'truncate a mapped file whose pages nobody holds',
    source: 'xfs_break_layouts() on idle pages',
    setup(k: Kernel): WorkCtx {
      const w = daxWorld(k);
      return { w, maps: [mapFile(w, 'f', 8)] };
    },
    tasks: [
      {
        name: 'truncate',
        *body(k, t, c: WorkCtx) {
          if (!ensure(k, (yield* c.w.fs.truncate(k, t, c.maps[0]!.file, 0)) === 0, 'truncate')) return;
        },
      },
    ],
    teardown: closeAll,
  },
  expected: workloadExpect(),
};
