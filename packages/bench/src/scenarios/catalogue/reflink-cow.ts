import { userAccess } from '@daxref/core';
import { type CatalogueEntry, workloadExpect } from '../entry';
import { needsReflink, type ReflinkCtx, reflinkSetup, reflinkTeardown } from '../reflink';
import { ensure } from '../workload';

export const reflinkCow: CatalogueEntry = {
  kind: 'workload',
  applies: needsReflink,
  scenario: {
    id: 'reflink-cow',
    title: 'reflink a file, write through a mapping of the copy: the write is copied, the original unchanged',
    source: 'xfs_reflink_allocate_cow + dax_iomap_copy_around',
    setup: reflinkSetup,
    tasks: [
      {
        name: 'writer',
        *body(k, t, c: ReflinkCtx) {
          const w = yield* userAccess(k, t, c.b.mm, c.b.addr, true, new Uint8Array([0x42]));
          if (!ensure(k, w.ok, 'write fault on the reflinked copy')) return;
          const a = yield* userAccess(k, t, c.a.mm, c.a.addr, false);
          if (!ensure(k, a.ok && (a as { data: Uint8Array }).data[0] === 0x41, 'the original is unchanged'))
            return;
          if (!ensure(k, c.a.file.blocks.get(0) !== c.b.file.blocks.get(0), 'the copy has its own block'))
            return;
        },
      },
    ],
    teardown: reflinkTeardown,
  },
  expected: workloadExpect(),
};
