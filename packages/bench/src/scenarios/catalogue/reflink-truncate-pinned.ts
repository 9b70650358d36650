import { bioReleasePages, pinUserPagesFast } from '@daxref/core';
import { type CatalogueEntry, expect } from '../entry';
import { needsReflink, reflinkSetup, reflinkTasks, reflinkTeardown } from '../reflink';

export const reflinkTruncatePinned: CatalogueEntry = {
  kind: 'failure',
  applies: needsReflink,
  scenario: {
    id: 'reflink-truncate-pinned',
    title:
      'two files share one block (reflink), both mapped read-only; an O_DIRECT write from file a’s mapping pins the block (FOLL_PIN, no FOLL_WRITE) while file b is truncated',
    source:
      'real-kernels.md: 6.1 missed wake-up (bio put), 6.12 GUP livelock (PAGE_MAPPING_DAX_SHARED == PAGE_MAPPING_ANON, gup_must_unshare), 6.18 / 7.3 truncate asleep until a unmaps',
    setup: reflinkSetup,
    tasks: reflinkTasks(function* (k, t, c) {
      const r = yield* pinUserPagesFast(k, t, c.a.mm, c.a.addr, 1, 0);
      if (r.err < 0) return;
      const m = c.w.dma.map(r.pfns);
      yield* c.w.dma.read(t, m, 0, 4 * c.w.dma.chunkBytes); // the device reads the user buffer
      c.w.dma.unmap(m);
      bioReleasePages(k, t, r.pfns);
    }),
    teardown: reflinkTeardown,
  },
  realKernelNotes: {
    '6.1.176': {
      reason:
        "the model reports the WARN_ON_ONCE(page->mapping) of b's read fault of the shared block (6.0–6.1 associate it as unshared); the real boot had already spent that WARN_ON_ONCE in reflink-shared-block, earlier in the same run, so its console stayed quiet",
      schedule: 'd1.AgM', // the missed wake-up of the real 6.1.176
    },
  },
  expected: expect({
    // Real 6.1.176: missed wake-up. The model has it too (schedule d1.AgM), but the first
    // counterexample exploration reports is the setup's WARN_ON_ONCE(page->mapping) of 6.0–6.1
    // (b's read fault of the shared block), which the real boot had spent in an earlier test.
    '1based@v6.1': 'warn',
    '1based@v6.14': ['hang', 'must'], // real 6.12.95: GUP livelock
    '0based@v6.15': ['hang', 'must'], // real 6.18.15 / 7.3.4: asleep until a unmaps
  }),
};
