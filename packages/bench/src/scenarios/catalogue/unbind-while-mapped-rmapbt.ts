import { type CatalogueEntry, expect } from '../entry';
import { unbindMappedSetup, unbindMappedTasks } from '../unbind';

export const unbindWhileMappedRmapbt: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'unbind-while-mapped-rmapbt',
    title:
      'T1 maps a page and stays idle; an admin unbinds (xfs with rmapbt, four AGs); then T1 reads and writes its mapping',
    source:
      'real-kernels.md unbind-while-mapped rmapbt=1: 6.12 kills the mapper (SIGBUS) and unbinds; 6.1 sends no pre-remove (stale PTE); 6.18 / 7.3 livelock in mf_dax_kill_procs (xfs_dax_notify_dev_failure: rm_startblock + 1 wraps in 32 bits)',
    setup: unbindMappedSetup({ rmapbt: true, agCount: 4 }),
    tasks: unbindMappedTasks(true),
  },
  expected: expect({
    '1based@v6.1': ['use-after-free', 'must'], // real 6.1.176: mapper not killed, stale read
    '1based@v6.14': ['pass', 'must'], // real 6.12.95: SIGBUS, unbind in 0.16 s
    '0based@v6.15': ['unbind-hang', 'must'], // real 6.18.15 / 7.3.4: unbind livelocks in mf_dax_kill_procs
    'coarse-pin@block': 'unbind-hang',
  }),
};
