import { createMm, exitMmap, type Kernel, mmap, userAccess } from '@daxref/core';
import { type CatalogueEntry, workloadExpect } from '../entry';
import { closeAll, ensure, type WorkCtx } from '../workload';
import { daxWorld, mapFile, settle } from '../world';

export const poisonPunchHole: CatalogueEntry = {
  kind: 'workload',
  scenario: {
    id: 'poison-punch-hole',
    title: 'a poisoned block SIGBUSes a load; punching a hole over it clears it',
    source: 'ndctl dax-poison test; pmem_clear_poison()',
    setup(k: Kernel): WorkCtx {
      const w = daxWorld(k);
      const m = mapFile(w, 'f', 2);
      const pfn = m.file.pfnOf(1);
      w.ns.injectError((pfn - w.ns.startPfn) * 4096, 4096);
      settle(exitMmap(k, w.boot, m.mm), 'drop the mapping');
      const mm = createMm(k);
      const addr = settle(mmap(k, w.boot, mm, { file: m.file, length: m.length }), 'mmap');
      return { w, maps: [{ file: m.file, mm, addr, length: m.length }] };
    },
    tasks: [
      {
        name: 'app',
        *body(k, t, c: WorkCtx) {
          const m = c.maps[0]!;
          const bad = yield* userAccess(k, t, m.mm, m.addr + 4096, false);
          if (!ensure(k, !bad.ok && bad.signal === 'SIGBUS', 'a load of the poisoned block raises SIGBUS'))
            return;
          t.takeSignal('SIGBUS');
          if (!ensure(k, (yield* c.w.fs.punchHole(k, t, m.file, 4096, 4096)) === 0, 'punch hole')) return;
          const wr = yield* userAccess(k, t, m.mm, m.addr + 4096, true, new Uint8Array([9]));
          if (!ensure(k, wr.ok, 'a store after the punch allocates a clean block')) return;
          const rd = yield* userAccess(k, t, m.mm, m.addr + 4096, false);
          if (!ensure(k, rd.ok && (rd as { data: Uint8Array }).data[0] === 9, 'and reads back')) return;
        },
      },
    ],
    teardown: closeAll,
  },
  expected: workloadExpect(),
};
