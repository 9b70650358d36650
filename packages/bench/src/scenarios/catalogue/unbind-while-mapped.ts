import { type CatalogueEntry, expect } from '../entry';
import { unbindMappedSetup, unbindMappedTasks } from '../unbind';

export const unbindWhileMapped: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'unbind-while-mapped',
    title:
      'T1 keeps a DAX mapping open and idle and closes it only once the device is gone; an admin unbinds the device (xfs with rmapbt, one AG)',
    source:
      'seed 001: "pmem as memory" (pin while any vma is open) vs "pmem as storage device" (revoke on unbind); kill_dax → MF_MEM_PRE_REMOVE (v6.6) needs rmapbt; one AG, so the 6.14+ rm_startblock + 1 wrap (only in groups before the last) cannot arise',
    setup: unbindMappedSetup({ rmapbt: true, agCount: 1 }),
    tasks: unbindMappedTasks(false),
  },
  expected: expect({
    '1based@v6.14': ['pass', 'must'],
    '0based@v6.15': ['pass', 'must'],
    'coarse-pin@block': ['unbind-hang', 'must'],
    'coarse-pin@revoke': ['pass', 'must'],
  }),
};
