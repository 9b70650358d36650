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
      "model prediction, not in DOMAIN §6: 6.15 wait_page_idle() sleeps for folio_ref_count == 0 (dax_page_is_idle), which the other file's mapping of the shared folio keeps at 1",
    setup: reflinkSetup,
    tasks: reflinkTasks(function* (k, t, c) {
      // drop the mapping and fault the shared block in again: a new association
      yield* munmap(k, t, c.a.mm, c.a.addr, c.a.length);
      const addr = yield* mmap(k, t, c.a.mm, { file: c.a.file, length: c.a.length, addr: c.a.addr });
      yield* userAccess(k, t, c.a.mm, addr, false);
    }),
    teardown: reflinkTeardown,
  },
  expected: expect({ '1based@v6.14': 'pass', '0based@v6.15': 'hang' }),
};
