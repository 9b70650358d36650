import { type CatalogueEntry, expect } from '../entry';
import { dmaTask, pinSetup, pinTeardown, reuseTask, truncateTask } from '../tasks';

export const munmapThenTruncate: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'munmap-then-truncate-dma',
    title:
      'T1 mmaps, pins P, starts DMA, munmaps; T2 truncates (mapping_mapped() is false); T3 reuses the block; the DMA lands',
    source: 'dax_layout_busy_page_range() mapping_mapped() shortcut (pre-6.15); seed 000',
    setup: pinSetup,
    tasks: [reuseTask(), dmaTask('dma', 'pin', { munmap: true }), truncateTask()],
    teardown: pinTeardown,
  },
  expected: expect({
    '1based@v4.5': 'dma-corruption',
    '1based@v4.18': 'dma-corruption',
    '1based@v5.19-rc1': 'dma-corruption',
    '1based@v6.1': ['dma-corruption', 'must'], // real 6.1.176
    '1based@v6.14': ['dma-corruption', 'must'],
    '0based@dan-2022': 'pass',
    '0based@v6.15': ['pass', 'must'],
    'coarse-pin@block': ['dma-corruption', 'must'],
    'coarse-pin@revoke': 'dma-corruption',
  }),
};
