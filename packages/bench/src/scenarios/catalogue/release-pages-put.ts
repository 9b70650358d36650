import { type CatalogueEntry, expect } from '../entry';
import { dmaTask, pinSetup, pinTeardown, truncateTask } from '../tasks';

export const releasePagesPut: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'release-pages-put',
    title: 'T1 GUPs P (FOLL_GET); T2 truncates, sleeps; T1 drops P via release_pages',
    source: 'Ira Weiny, "mm/swap: fix release_pages() when releasing devmap pages" (c5d6c45e90c4, v5.3)',
    setup: pinSetup,
    tasks: [dmaTask('dio', 'get'), truncateTask()],
    teardown: pinTeardown,
  },
  expected: expect({
    '1based@v4.5': 'use-after-free',
    '1based@v4.18': ['missed-wakeup', 'must'],
    '1based@v5.19-rc1': 'pass',
    '1based@v6.14': ['pass', 'must'],
    '0based@dan-2022': 'pass',
    '0based@v6.15': 'pass',
    'coarse-pin@block': 'pass',
    'coarse-pin@revoke': 'pass',
  }),
};
