import { exitMmap, type Kernel } from '@daxref/core';
import { unbindNamespace } from '@daxref/hw-pmem';
import { type CatalogueEntry, workloadExpect } from '../entry';
import { ensure, type WorkCtx } from '../workload';
import { daxWorld, mapFile, settle } from '../world';

export const unbindIdle: CatalogueEntry = {
  kind: 'workload',
  scenario: {
    id: 'unbind-idle',
    title: 'unmount, then unbind a device whose files are closed and unmapped',
    source: 'ndctl disable-namespace',
    setup(k: Kernel): WorkCtx {
      const w = daxWorld(k);
      const m = mapFile(w, 'f', 4);
      settle(exitMmap(k, w.boot, m.mm), 'exit');
      settle(w.fs.close(k, w.boot, m.file), 'close');
      return { w, maps: [] };
    },
    tasks: [
      {
        name: 'admin',
        *body(k, t, c: WorkCtx) {
          // the admin's sequence: umount, then ndctl disable-namespace
          if (!ensure(k, (yield* c.w.fs.unmount(k, t)) === 0, 'umount')) return;
          yield* unbindNamespace(k, t, c.w.ns);
          if (!ensure(k, c.w.ns.state === 'idle', 'the namespace is unbound')) return;
        },
      },
    ],
  },
  expected: workloadExpect(),
};
