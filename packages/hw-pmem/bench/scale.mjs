// Scale benchmark (issue 4): a 1 TiB fsdax namespace with 2 MiB alignment binds, maps (16 PMD
// faults, 4 block writes far out) and unbinds; prints memory and time figures as JSON.
// Measures the built packages: `pnpm --filter @daxref/core --filter @daxref/hw-pmem build`, then
// `node --expose-gc packages/hw-pmem/bench/scale.mjs [1based|0based]`.
import { createKernel, createMm, DaxFs, mmap, munmap, userAccess } from '@daxref/core';
import {
  bindNamespace,
  createNvdimmBus,
  SZ_1G,
  SZ_1T,
  SZ_2M,
  SZ_4K,
  unbindNamespace,
} from '../dist/index.js';

const gc = globalThis.gc ?? (() => {});
function used() {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
const MiB = (n) => Math.round((n / 2 ** 20) * 100) / 100;

/** A minimal design for the benchmark: 1-based (idle at 1) or 0-based (idle at 0), static pgmap refs. */
function policy(kind) {
  const zero = kind === '0based';
  return {
    name: `bench-${kind}`,
    variant: 'bench',
    title: kind,
    variants: [{ id: 'bench', description: 'bench', source: 'DOMAIN §2 / §3a', default: true }],
    caps: {
      getPageHook: false,
      mapHoldsRef: zero,
      devmapPte: !zero,
      gupPgmapRef: !zero,
      compoundFolios: zero,
      reflink: true,
      breakLayouts: true,
      mappingMappedShortcut: !zero,
      breakLayoutsOnEvict: zero,
      notifyPreRemove: true,
      leases: false,
      vmaOpenClose: false,
    },
    initialRefcount: () => (zero ? 0 : 1),
    pagemapRange(k, t, pgmap) {
      pgmap.ref.getMany(t.cpu, pgmap.nrPages);
      pgmap.staticRefs = pgmap.nrPages;
    },
    memunmapDropStatic(k, t, pgmap) {
      pgmap.ref.putMany(t.cpu, pgmap.staticRefs);
      pgmap.staticRefs = 0;
    },
    daxAssociateEntry(k, t, mapping, index, pfn, order) {
      if (zero && order > 0) k.memmap.prepCompound(pfn, order);
      k.memmap.setMapping(pfn, mapping.id);
      k.memmap.setIndex(pfn, index);
      return 0;
    },
    daxDisassociateEntry(k, t, mapping, index, pfn) {
      k.memmap.setMapping(pfn, 0);
      if (zero) k.memmap.splitFolio(pfn);
    },
    getDevicePage() {},
    putDevmapManagedRefs: () => false,
    freeZoneDeviceFolio() {},
    layoutPageBusy: (k, head) => k.memmap.refcount(head) - (zero ? k.memmap.folioMapcount(head) : 1) !== 0,
    layoutPageIdle: (k, head) => k.memmap.refcount(head) === (zero ? 0 : 1),
    layoutWaitKey: (head) => head * 4 + (zero ? 1 : 0),
    fileMmap: () => 0,
    vmaOpen() {},
    vmaClose() {},
    *unbindPrepare() {},
  };
}

function run(kind) {
  const base = used();
  const t0 = performance.now();
  const k = createKernel({ policy: policy(kind) });
  const bus = createNvdimmBus(k);
  const region = bus.addRegion({ base: 64 * SZ_1G, size: SZ_1T + SZ_1G });
  const ns = region.createNamespace({ mode: 'fsdax', size: SZ_1T, align: SZ_2M, map: 'dev' });
  let b;
  k.sched.runTask(
    k.spawn('bind', function* (t) {
      b = bindNamespace(k, t, ns);
    }),
  );
  const bindMs = performance.now() - t0;
  const bound = used() - base;
  const fs = new DaxFs(k, b.dax);
  const f = fs.create('big', 64 * SZ_1G);
  const mm = createMm(k);
  const addrs = [];
  const t1 = performance.now();
  k.sched.runTask(
    k.spawn('map', function* (t) {
      for (let i = 0; i < 16; i++) {
        const a = yield* mmap(k, t, mm, { file: f, length: SZ_2M, offset: i * 4 * SZ_1G });
        addrs.push(a);
        const r = yield* userAccess(k, t, mm, a + SZ_4K, true, new Uint8Array([i]));
        if (!r.ok) throw new Error('store failed');
      }
    }),
    1e6,
  );
  for (let i = 0; i < 4; i++) b.block.write(900 * SZ_1G + i * SZ_1G, new Uint8Array(SZ_4K).fill(i));
  const mapMs = performance.now() - t1;
  const mapped = used() - base;
  const memmapMapped = k.memmap.stats();
  const media = region.media.stats();
  const t2 = performance.now();
  k.sched.runTask(
    k.spawn('unbind', function* (t) {
      for (const a of addrs) yield* munmap(k, t, mm, a, SZ_2M);
      yield* unbindNamespace(k, t, ns);
    }),
    1e6,
  );
  const unbindMs = performance.now() - t2;
  const unbound = used() - base;
  return {
    policy: kind,
    namespace: { bytes: ns.size, structPages: ns.memmap.structPages, memmap: ns.memmap.location },
    heapMiB: { bound: MiB(bound), mapped: MiB(mapped), afterUnbind: MiB(unbound) },
    memmapMapped,
    media,
    ms: { bind: Math.round(bindMs), map: Math.round(mapMs), unbind: Math.round(unbindMs) },
    violations: k.violations.length,
    state: ns.state,
  };
}

const kinds = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['1based', '0based'];
if (globalThis.gc === undefined) console.error('note: run with node --expose-gc for stable memory figures');
for (const kind of kinds) console.log(JSON.stringify(run(kind)));
