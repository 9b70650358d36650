import { type CatalogueEntry, expect } from '../entry';
import { dmaTask, pinSetup, pinTeardown, reuseTask, truncateTask } from '../tasks';

export const getHolderMunmapTruncate: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'get-holder-munmap-truncate',
    title:
      'T1 takes P with FOLL_GET (vmsplice into a pipe) and munmaps; T2 truncates; T3 reuses the block; T1 then reads P out of the pipe',
    source:
      'real-kernels.md: the read side of munmap-then-truncate-dma; 6.1 / 6.12 (mapping_mapped() shortcut) return the next owner’s bytes, 6.18 / 7.3 wait',
    setup: pinSetup,
    tasks: [reuseTask(), dmaTask('pipe', 'get', { munmap: true, read: true }), truncateTask()],
    teardown: pinTeardown,
  },
  expected: expect({
    '1based@v6.1': ['stale-read', 'must'], // real 6.1.176: 0x77 x4096 through the pipe
    '1based@v6.14': ['stale-read', 'must'], // real 6.12.95
    '0based@v6.15': ['pass', 'must'], // real 6.18.15 / 7.3.4
  }),
};
