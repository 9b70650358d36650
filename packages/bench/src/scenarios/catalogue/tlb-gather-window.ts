import { type Kernel, munmap } from '@daxref/core';
import { type CatalogueEntry, expect } from '../entry';
import { mapExisting } from '../reflink';
import { type PinCtx, pinTeardown, truncateTask } from '../tasks';
import { daxWorld, payload, settle } from '../world';

export const tlbGatherWindow: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'tlb-gather-window',
    title: 'T1 munmaps P (its reference drops only after the TLB flush); T2 truncates concurrently',
    source:
      'seed 000 (Jason Gunthorpe): __tlb_remove_page → tlb_batch_pages_flush → free_pages_and_swap_cache',
    // The page is mapped clean (a read fault of written data): a dirty file PTE is zapped with
    // delay_rmap + force_flush, which closes the window this scenario is about.
    setup(k: Kernel): PinCtx {
      const w = daxWorld(k);
      const file = w.fs.create('f', 4096);
      settle(w.fs.pwrite(k, w.boot, file, 0, payload(4096, 0x11)), 'pwrite');
      const map = mapExisting(w, file);
      return { w, map, other: w.fs.create('g'), unmapped: false, released: false };
    },
    tasks: [
      {
        name: 'munmap',
        *body(k, t, c: PinCtx) {
          yield* munmap(k, t, c.map.mm, c.map.addr, c.map.length);
        },
      },
      truncateTask(),
    ],
    teardown: pinTeardown,
  },
  expected: expect({ '1based@v6.14': 'pass', '0based@v6.15': ['pass', 'must'] }),
};
