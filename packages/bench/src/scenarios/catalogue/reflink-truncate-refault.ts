import { mmap, munmap, userAccess } from '@daxref/core';
import { type CatalogueEntry, expect } from '../entry';
import { needsReflink, reflinkSetup, reflinkTasks, reflinkTeardown } from '../reflink';

export const reflinkTruncateRefault: CatalogueEntry = {
  kind: 'failure',
  applies: needsReflink,
  scenario: {
    id: 'reflink-truncate-refault',
    title:
      'two files share one block (reflink), both mapped; one is truncated while the other drops its mapping and faults the block in again',
    source:
      "6.15 wait_page_idle() sleeps for folio_ref_count == 0 (dax_page_is_idle), which the other file's mapping of the shared folio keeps at 1; confirmed on real 6.18.15 and 7.3.4 (a TASK_INTERRUPTIBLE wait that lasts until a unmaps)",
    setup: reflinkSetup,
    tasks: reflinkTasks(function* (k, t, c) {
      // drop the mapping and fault the shared block in again: a new association
      yield* munmap(k, t, c.a.mm, c.a.addr, c.a.length);
      const addr = yield* mmap(k, t, c.a.mm, { file: c.a.file, length: c.a.length, addr: c.a.addr });
      yield* userAccess(k, t, c.a.mm, addr, false);
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
    '1based@v6.1': 'warn',
    '1based@v6.14': ['pass', 'must'], // real 6.12.95: no hang in 1590 iterations
    '0based@v6.15': ['hang', 'must'], // real 6.18.15 / 7.3.4: asleep until munmap(a)
  }),
};
