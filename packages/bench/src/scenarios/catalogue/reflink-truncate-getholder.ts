import { getUserPagesFast, PREEMPT, releasePages } from '@daxref/core';
import { type CatalogueEntry, expect } from '../entry';
import { needsReflink, reflinkSetup, reflinkTasks, reflinkTeardown } from '../reflink';

export const reflinkTruncateGetholder: CatalogueEntry = {
  kind: 'failure',
  applies: needsReflink,
  scenario: {
    id: 'reflink-truncate-getholder',
    title:
      'two files share one block (reflink), both mapped; a FOLL_GET holder (vmsplice) takes the block through file a while file b is truncated, then lets go',
    source:
      'real-kernels.md: 6.18 / 7.3 truncate(b) sleeps in wait_page_idle() until a unmaps (a mapping keeps ref ≠ 0); 6.1 / 6.12 return once the pipe lets go',
    setup: reflinkSetup,
    tasks: reflinkTasks(function* (k, t, c) {
      const r = yield* getUserPagesFast(k, t, c.a.mm, c.a.addr, 1, 0);
      if (r.err < 0) return;
      yield PREEMPT; // the pipe holds the page for a while
      releasePages(k, t, r.pfns); // pipe_buf_release → put_page
    }),
    teardown: reflinkTeardown,
  },
  realKernelNotes: {
    '6.1.176': {
      reason:
        "the model reports the WARN_ON_ONCE(page->mapping) of b's read fault of the shared block (6.0–6.1 associate it as unshared); the real boot had already spent that WARN_ON_ONCE in reflink-shared-block, earlier in the same run, so its console stayed quiet",
    },
  },
  expected: expect({
    // 6.0–6.1: the second read fault of the shared block WARNs (the real 6.1 boot had already
    // spent that WARN_ON_ONCE in reflink-shared-block, so its console stayed quiet here).
    '1based@v6.1': 'warn',
    '1based@v6.14': ['pass', 'must'], // real 6.12.95
    '0based@v6.15': ['hang', 'must'], // real 6.18.15 / 7.3.4: asleep until a unmaps
  }),
};
