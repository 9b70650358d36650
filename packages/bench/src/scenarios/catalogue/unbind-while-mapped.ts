import { exitMmap, type Kernel, syscall } from '@daxref/core';
import { unbindNamespace } from '@daxref/hw-pmem';
import { type CatalogueEntry, expect } from '../entry';
import { owning, type UnbindCtx } from '../tasks';
import { daxWorld, mapFile } from '../world';

export const unbindWhileMapped: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'unbind-while-mapped',
    title:
      'T1 keeps a DAX mapping open and idle and closes it only once the device is gone; an admin unbinds the device',
    source:
      'seed 001: "pmem as memory" (pin while any vma is open) vs "pmem as storage device" (revoke on unbind)',
    setup(k: Kernel): UnbindCtx {
      const w = daxWorld(k);
      return { w, map: mapFile(w, 'f', 1), gone: false };
    },
    tasks: [
      {
        name: 'mapper',
        body: owning(
          (c: UnbindCtx) => c.map.mm,
          function* (k, t, c) {
            // Idle in user space (a pause()-like interruptible sleep): a SIGKILL ends it and the
            // process exits on its way back to user space.
            yield* syscall(
              t,
              k.waits.wait(t, 'unbind:gone', () => c.gone, 'the device to be gone', {
                fn: 'pause',
                state: 'interruptible',
              }),
            );
            yield* exitMmap(k, t, c.map.mm);
            yield* c.w.fs.close(k, t, c.map.file);
          },
          (c) => [{ fs: c.w.fs, file: c.map.file }],
        ),
      },
      {
        name: 'admin',
        *body(k, t, c: UnbindCtx) {
          yield* unbindNamespace(k, t, c.w.ns);
          c.gone = true;
          k.waits.wake('unbind:gone');
        },
      },
    ],
  },
  expected: expect({
    '1based@v6.14': ['pass', 'must'],
    '0based@v6.15': ['pass', 'must'],
    'coarse-pin@block': ['unbind-hang', 'must'],
    'coarse-pin@revoke': ['pass', 'must'],
  }),
};
