import { getUserPagesFast, type Kernel, releasePages, type Task } from '@daxref/core';
import { type CatalogueEntry, expect } from '../entry';
import { fullTeardown, type GupCtx } from '../tasks';
import { daxWorld, mapFile } from '../world';

export const gupOnZeroRef: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'gup-on-zero-ref',
    title: 'P is mapped by a fault; T1 GUPs it',
    source: 'seed 003 (Ralph Campbell): ZONE_DEVICE pages inserted with a zero refcount',
    setup(k: Kernel): GupCtx {
      const w = daxWorld(k);
      return { w, map: mapFile(w, 'f', 1), got: [] };
    },
    tasks: [
      {
        name: 'gup',
        *body(k, t, c: GupCtx) {
          const r = yield* getUserPagesFast(k, t, c.map.mm, c.map.addr, 1);
          c.got.push(...r.pfns);
          releasePages(k, t, r.pfns);
        },
      },
    ],
    *teardown(k: Kernel, t: Task, c: GupCtx) {
      yield* fullTeardown(k, t, c.w, [c.map.mm], [c.map.file]);
    },
  },
  expected: expect({
    '1based@v6.14': 'pass',
    '0based@v6.15': ['pass', 'must'],
    '0based@ralph-rfc': ['vm-bug-on', 'must'],
  }),
};
