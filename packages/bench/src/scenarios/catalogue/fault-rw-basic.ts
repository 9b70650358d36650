import { createMm, exitMmap, type Kernel, type Mm, type Task, userAccess } from '@daxref/core';
import {
  bindNamespace,
  type DevdaxBinding,
  devDaxMmap,
  type PmemNamespace,
  SZ_1G,
  unbindNamespace,
} from '@daxref/hw-pmem';
import { type CatalogueEntry, workloadExpect } from '../entry';
import { closeAll, ensure, type WorkCtx } from '../workload';
import { daxWorld, mapFile, settle } from '../world';

interface FaultCtx extends WorkCtx {
  /** A 1 GiB-aligned device-dax namespace mapped whole (fsdax has no PUD faults). */
  devdax: { mm: Mm; addr: number; ns: PmemNamespace };
}

export const faultRwBasic: CatalogueEntry = {
  kind: 'workload',
  scenario: {
    id: 'fault-rw-basic',
    title: 'read and write faults at 4 KiB and 2 MiB (fsdax) and 1 GiB (device-dax)',
    source: 'ndctl dax.sh / dax-pmd tests; dax_iomap_fault (PTE, PMD), dev_dax_huge_fault (PUD)',
    setup(k: Kernel): FaultCtx {
      const w = daxWorld(k);
      const maps = [
        mapFile(w, 'pte', 2, { fault: false, ptes: true }),
        mapFile(w, 'pmd', 512, { fault: false }),
      ];
      const region = w.ns.region.bus.addRegion({ base: 2 ** 38, size: 3 * SZ_1G });
      const ns = region.createNamespace({ mode: 'devdax', size: 2 * SZ_1G, align: SZ_1G, map: 'dev' });
      const b = bindNamespace(k, w.boot, ns) as DevdaxBinding;
      const mm = createMm(k);
      const addr = settle(devDaxMmap(k, w.boot, mm, b.file, { length: SZ_1G }), 'mmap /dev/dax');
      if (addr < 0) throw new Error(`mmap of ${b.file.name} failed (${addr})`);
      return { w, maps, devdax: { mm, addr, ns } };
    },
    tasks: [
      {
        name: 'faults',
        *body(k, t, c: FaultCtx) {
          const targets = [
            ...c.maps.map((m) => ({ name: m.file.name, mm: m.mm, addr: m.addr, level: m.file.name })),
            { name: 'devdax', mm: c.devdax.mm, addr: c.devdax.addr, level: 'pud' },
          ];
          for (const m of targets) {
            const rd = yield* userAccess(k, t, m.mm, m.addr + 4096, false);
            if (!ensure(k, rd.ok, `read fault of ${m.name}`)) return;
            const wr = yield* userAccess(k, t, m.mm, m.addr + 4096, true, new Uint8Array([0xab]));
            if (!ensure(k, wr.ok, `write fault of ${m.name}`)) return;
            const back = yield* userAccess(k, t, m.mm, m.addr + 4096, false);
            if (
              !ensure(k, back.ok && (back as { data: Uint8Array }).data[0] === 0xab, `read back of ${m.name}`)
            )
              return;
            const leaf = m.mm.pt.lookup(m.addr + 4096)?.level;
            if (!ensure(k, leaf === m.level, `${m.name} mapped at ${leaf}, want ${m.level}`)) return;
          }
        },
      },
    ],
    *teardown(k: Kernel, t: Task, c: FaultCtx) {
      yield* exitMmap(k, t, c.devdax.mm);
      // kill_dev_dax() deletes the DAX entries a design keeps for device-dax (dan-2022)
      yield* unbindNamespace(k, t, c.devdax.ns);
      yield* closeAll(k, t, c);
    },
  },
  expected: workloadExpect(),
};
