import { userAccess } from '@daxref/core';
import { type CatalogueEntry, expect } from '../entry';
import { needsReflink, reflinkSetup, reflinkTasks, reflinkTeardown } from '../reflink';

export const reflinkSharedBlock: CatalogueEntry = {
  kind: 'failure',
  applies: needsReflink,
  scenario: {
    id: 'reflink-shared-block',
    title:
      'two files share one block (reflink), both mapped; then one is truncated; then both go and a third file reuses the block',
    source:
      'dax_mapping_set_cow on CoW write faults only (v6.0–6.1: a read fault of the shared block trips WARN_ON_ONCE(page->mapping), real 6.1.176), PAGE_MAPPING_DAX_SHARED + page->share (v6.2, xfs-6.2-merge-9), dax_folio_make_shared (6.15)',
    setup: reflinkSetup,
    tasks: reflinkTasks(function* (k, t, c) {
      yield* userAccess(k, t, c.a.mm, c.a.addr, false);
    }),
    teardown: reflinkTeardown,
  },
  expected: expect({
    '1based@v4.5': 'n/a',
    '1based@v4.18': 'n/a',
    '1based@v5.19-rc1': 'n/a', // DAX reflink arrived in v6.0-rc1
    '1based@v6.1': ['warn', 'must'], // real 6.1.176: fs/dax.c:380 and :404
    '1based@v6.14': ['pass', 'must'],
    '0based@v6.15': ['pass', 'must'],
  }),
};
