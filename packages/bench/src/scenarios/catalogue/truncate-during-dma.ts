import { type CatalogueEntry, expect } from '../entry';
import { dmaTask, pinSetup, pinTeardown, reuseTask, truncateTask } from '../tasks';

export const truncateDuringDma: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'truncate-during-dma',
    title:
      'T1 pins P and starts DMA; T2 truncates; T3 allocates the block to another file; the DMA completes',
    source:
      'seed 001 (2015 series): v4.5 had no DMA-vs-truncate wait; real 6.1.176: __bio_release_pages() → folio_put_refs() skips the 2→1 wake (6.1.76+ stable)',
    setup: pinSetup,
    // An O_DIRECT read into the mapped page, as the real-kernel test did (AIO, dm-delay): its
    // references go back through __bio_release_pages().
    tasks: [reuseTask(), dmaTask('dma', 'bio'), truncateTask()],
    teardown: pinTeardown,
  },
  expected: expect({
    '1based@v4.5': ['dma-corruption', 'must'],
    '1based@v4.18': 'pass',
    '1based@v5.19-rc1': 'pass', // 5.19 O_DIRECT is FOLL_GET: put_page() → put_devmap_managed_page() wakes (the lost wake was unpin's)
    '1based@v6.1': ['missed-wakeup', 'must'], // real 6.1.176: truncate asleep 10 s after the DMA
    '1based@v6.14': ['pass', 'must'],
    '0based@dan-2022': 'pass',
    '0based@v6.15': ['pass', 'must'],
    'coarse-pin@block': 'pass',
    'coarse-pin@revoke': 'pass',
  }),
};
