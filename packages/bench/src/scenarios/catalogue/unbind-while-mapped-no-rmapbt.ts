import { type CatalogueEntry, expect } from '../entry';
import { unbindMappedSetup, unbindMappedTasks } from '../unbind';

export const unbindWhileMappedNoRmapbt: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'unbind-while-mapped-no-rmapbt',
    title:
      'T1 maps a page and stays idle; an admin unbinds (xfs without rmapbt); then T1 reads and writes its mapping',
    source:
      'real-kernels.md unbind-while-mapped rmapbt=0: xfs_dax_notify_failure() returns -EOPNOTSUPP without rmapbt, nobody zaps the PTE; 6.1 / 6.12 read the old data through it, 6.18 / 7.3 oops in do_wp_page on the freed memmap',
    setup: unbindMappedSetup({ rmapbt: false }),
    tasks: unbindMappedTasks(true),
  },
  expected: expect({
    '1based@v6.1': ['use-after-free', 'must'], // real 6.1.176: the stale PTE reads pmem
    '1based@v6.14': ['use-after-free', 'must'], // real 6.12.95: same
    '0based@v6.15': ['use-after-free', 'must'], // real 6.18.15 / 7.3.4: oops in do_wp_page
    'coarse-pin@block': 'unbind-hang',
    'coarse-pin@revoke': 'pass',
  }),
};
