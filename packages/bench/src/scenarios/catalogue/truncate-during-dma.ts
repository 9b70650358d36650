import { type CatalogueEntry, expect } from '../entry';
import { dmaTask, pinSetup, pinTeardown, reuseTask, truncateTask } from '../tasks';

export const truncateDuringDma: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'truncate-during-dma',
    title:
      'T1 pins P and starts DMA; T2 truncates; T3 allocates the block to another file; the DMA completes',
    source: 'seed 001 (2015 series): v4.5 had no DMA-vs-truncate wait',
    setup: pinSetup,
    tasks: [reuseTask(), dmaTask('dma', 'pin'), truncateTask()],
    teardown: pinTeardown,
  },
  expected: expect({
    '1based@v4.5': ['dma-corruption', 'must'],
    '1based@v4.18': 'pass',
    '1based@v5.19-rc1': 'missed-wakeup',
    '1based@v6.14': ['pass', 'must'],
    '0based@dan-2022': 'pass',
    '0based@v6.15': ['pass', 'must'],
    'coarse-pin@block': 'pass',
    'coarse-pin@revoke': 'pass',
  }),
};
