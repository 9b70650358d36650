import { createMm, type Kernel, type Mm, mmap, userAccess } from '@daxref/core';
import { type CatalogueEntry, expect } from '../entry';
import { fullTeardown } from '../tasks';
import { type DaxWorld, daxWorld, settle } from '../world';

interface SplitCtx {
  w: DaxWorld;
  file: ReturnType<DaxWorld['fs']['create']>;
  mm: Mm;
  addr: number;
}

export const daxFolioSplitStaleOrder: CatalogueEntry = {
  kind: 'failure',
  applies: (p) => (p.caps.compoundFolios ? null : 'no large DAX folios (a PMD maps order-0 pages)'),
  scenario: {
    id: 'dax-folio-split-stale-order',
    title:
      'a PMD fault makes an order-9 DAX folio; a truncate to two pages deletes its entry (the folio is split); a PTE fault then maps page 1 of the same block',
    source:
      'Hildenbrand, "fs/dax: fix folio splitting issue by resetting old folio order + _nr_pages" (Fixes: 38607c62b34b): "folio->_nr_pages overlays page[1]->memcg_data", NULL deref in __lruvec_stat_mod_folio',
    setup(k: Kernel): SplitCtx {
      const w = daxWorld(k);
      const file = w.fs.create('f', 512 * 4096);
      const mm = createMm(k);
      const addr = settle(mmap(k, w.boot, mm, { file, length: 512 * 4096 }), 'mmap');
      const r = settle(userAccess(k, w.boot, mm, addr, true, new Uint8Array([1])), 'PMD fault');
      if (!r.ok) throw new Error('the PMD write fault failed');
      return { w, file, mm, addr };
    },
    tasks: [
      {
        name: 'user',
        *body(k, t, c: SplitCtx) {
          yield* c.w.fs.truncate(k, t, c.file, 2 * 4096);
          yield* userAccess(k, t, c.mm, c.addr + 4096, false); // a PTE fault on page[1]
        },
      },
    ],
    *teardown(k, t, c: SplitCtx) {
      yield* fullTeardown(k, t, c.w, [c.mm], [c.file]);
    },
  },
  expected: expect({
    '0based@v6.15-rc1': 'use-after-free',
    '0based@v6.15': 'pass',
  }),
};
