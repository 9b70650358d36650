import { exitMmap, fork, type Kernel, mprotect, munmap, userAccess } from '@daxref/core';
import { unbindNamespace } from '@daxref/hw-pmem';
import { type CatalogueEntry, expect } from '../entry';
import type { ForkCtx } from '../tasks';
import { daxWorld, mapFile } from '../world';

export const forkSplitVma: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'fork-split-vma',
    title:
      'T1 mmaps, forks, splits the VMA with mprotect; the child exits; T1 munmaps; then the device is unbound',
    source:
      'seed 001: the coarse pin must balance vm_ops->open / ->close across dup_mmap, __split_vma, remove_vma',
    setup(k: Kernel): ForkCtx {
      const w = daxWorld(k);
      return { w, map: mapFile(w, 'f', 4), gone: false, done: false };
    },
    tasks: [
      {
        name: 'proc',
        *body(k, t, c: ForkCtx) {
          const child = yield* fork(k, t, c.map.mm);
          yield* mprotect(k, t, c.map.mm, c.map.addr + 4096, 4096, { write: false });
          yield* userAccess(k, t, child, c.map.addr, false);
          yield* exitMmap(k, t, child);
          yield* munmap(k, t, c.map.mm, c.map.addr, c.map.length);
          yield* c.w.fs.close(k, t, c.map.file);
          c.done = true;
          k.waits.wake('fork:done');
        },
      },
      {
        name: 'admin',
        *body(k, t, c: ForkCtx) {
          yield* k.waits.wait(t, 'fork:done', () => c.done, 'the process to be gone');
          yield* c.w.fs.unmount(k, t); // the filesystem goes first, then the device
          yield* unbindNamespace(k, t, c.w.ns);
          c.gone = true;
        },
      },
    ],
  },
  expected: expect({
    '1based@v6.1': ['pass', 'must'], // real 6.1.176
    '1based@v6.14': ['pass', 'must'], // real 6.12.95
    '0based@v6.15': ['pass', 'must'], // real 6.18.15 / 7.3.4
    'coarse-pin@block': ['pass', 'must'],
    'coarse-pin@revoke': 'pass',
  }),
};
