import { type CatalogueEntry, expect } from '../entry';
import { dmaTask, pinSetup, pinTeardown, reuseTask, truncateTask } from '../tasks';

export const getHolderVsPinWait: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'get-holder-vs-pin-wait',
    title: 'T1 GUPs P with FOLL_GET (not a pin) and keeps using it; T2 truncates; T3 reuses the block',
    source:
      'seed 000: v1 of the 2022 series waited for !page_maybe_dma_pinned(), which a FOLL_GET holder slips past',
    setup: pinSetup,
    tasks: [reuseTask(), dmaTask('dio', 'get'), truncateTask()],
    teardown: pinTeardown,
  },
  expected: expect({
    '1based@v4.18': 'missed-wakeup', // the holder's put goes through v4.18's release_pages()
    '1based@v6.1': ['pass', 'must'], // real 6.1.176
    '1based@v6.14': ['pass', 'must'], // real 6.12.95
    '0based@dan-2022-pin-only': 'dma-corruption',
    '0based@v6.15': ['pass', 'must'], // real 6.18.15 / 7.3.4
  }),
};
