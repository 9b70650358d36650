import { type CatalogueEntry, expect } from '../entry';
import { dmaTask, pinSetup, pinTeardown, truncateTask } from '../tasks';

export const unpinMissedWakeup: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'unpin-missed-wakeup',
    title: 'T1 pins P (FOLL_PIN); T2 truncates, finds P busy, sleeps; T1 unpins',
    source: 'seed 002 (Muchun Song); v5.18 d8ddc099c6b3 lost the wake, v5.19 f4f451a16dd1 restored it',
    setup: pinSetup,
    tasks: [dmaTask('dma', 'pin'), truncateTask()],
    teardown: pinTeardown,
  },
  expected: expect({
    '1based@v4.5': 'use-after-free',
    '1based@v4.18': 'pass',
    '1based@v5.19-rc1': ['missed-wakeup', 'must'],
    '1based@v6.14': ['pass', 'must'],
    '0based@dan-2022': 'pass',
    '0based@v6.15': ['pass', 'must'],
    'coarse-pin@block': 'pass',
    'coarse-pin@revoke': 'pass',
  }),
};
