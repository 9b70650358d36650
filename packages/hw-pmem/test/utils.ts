// Test fixtures: the two small policies of core's test helpers (DOMAIN §2, 1-based v6.14, and
// §3a, 0-based v6.15), copied so these tests do not depend on the policy packages, and a
// machine with one NVDIMM region.
import {
  createKernel,
  DaxFs,
  KEY_PAGE,
  KEY_REFCOUNT,
  type Kernel,
  type KernelOptions,
  type KGen,
  PG_DAX_SHARED,
  type Policy,
  type PolicyCaps,
  pageVarKey,
  type Task,
} from '@daxref/core';
import {
  bindNamespace,
  createNvdimmBus,
  type DevdaxBinding,
  type FsdaxBinding,
  type NamespaceOptions,
  type PersistenceDomain,
  SZ_1G,
} from '../src/index';

const baseCaps: PolicyCaps = {
  getPageHook: false,
  mapHoldsRef: false,
  devmapPte: true,
  gupPgmapRef: true,
  compoundFolios: false,
  reflink: true,
  breakLayouts: true,
  mappingMappedShortcut: true,
  breakLayoutsOnEvict: false,
  notifyPreRemove: true,
  leases: false,
  vmaOpenClose: false,
};

/** 1-based, v6.14 rules (DOMAIN §2). */
export function legacyPolicy(caps: Partial<PolicyCaps> = {}): Policy {
  const p: Policy = {
    name: 'test-1based',
    variant: 'v6.14',
    title: 'test 1-based',
    variants: [{ id: 'v6.14', description: 'test', source: 'DOMAIN §2', default: true }],
    caps: { ...baseCaps, ...caps },
    initialRefcount: () => 1,
    pagemapRange(k, t, pgmap) {
      pgmap.ref.getMany(t.cpu, pgmap.nrPages);
      pgmap.staticRefs = pgmap.nrPages;
      k.devmapManagedKey++;
      k.zoneDeviceOnPut = true;
    },
    memunmapDropStatic(k, t, pgmap) {
      pgmap.ref.putMany(t.cpu, pgmap.staticRefs);
      pgmap.staticRefs = 0;
    },
    daxAssociateEntry(k, t, mapping, index, pfn, order, shared) {
      const mm = k.memmap;
      for (let i = 0; i < 2 ** order; i++) {
        const p = pfn + i;
        if (shared) {
          if (!(mm.flags(p) & PG_DAX_SHARED)) {
            mm.setIndex(p, mm.mapping(p) !== 0 ? 1 : 0);
            mm.setFlags(p, PG_DAX_SHARED);
            mm.setMapping(p, 0);
          }
          mm.setIndex(p, mm.index(p) + 1);
        } else {
          k.warnOnce(mm.mapping(p) !== 0, 'dax_associate_entry: page->mapping already set', p);
          mm.setMapping(p, mapping.id);
          mm.setIndex(p, index + i);
        }
      }
      return 0;
    },
    daxDisassociateEntry(k, t, mapping, index, pfn, order, trunc) {
      const mm = k.memmap;
      for (let i = 0; i < 2 ** order; i++) {
        const p = pfn + i;
        k.warnOnce(
          trunc && mm.refcount(p) > 1,
          'dax_disassociate_entry: trunc && page_ref_count(page) > 1',
          p,
        );
        if (mm.flags(p) & PG_DAX_SHARED) {
          const left = mm.index(p) - 1;
          mm.setIndex(p, left);
          if (left > 0) continue;
          mm.clearFlags(p, PG_DAX_SHARED);
        }
        mm.setMapping(p, 0);
        mm.setIndex(p, 0);
      }
    },
    getDevicePage() {},
    putDevmapManagedRefs(k, t, head, refs) {
      if (k.memmap.refAdd(head, -refs) === 1) k.waits.wake(pageVarKey(head, KEY_REFCOUNT));
      return true;
    },
    freeZoneDeviceFolio() {},
    layoutPageBusy: (k, head) => k.memmap.refcount(head) > 1,
    layoutPageIdle: (k, head) => k.memmap.refcount(head) === 1,
    layoutWaitKey: (head) => pageVarKey(head, KEY_REFCOUNT),
    fileMmap: () => 0,
    vmaOpen() {},
    vmaClose() {},
    *unbindPrepare(): KGen {},
  };
  return p;
}

/** 0-based, v6.15 rules (DOMAIN §3a). */
export function zeroBasedPolicy(caps: Partial<PolicyCaps> = {}): Policy {
  return {
    name: 'test-0based',
    variant: 'v6.15',
    title: 'test 0-based',
    variants: [{ id: 'v6.15', description: 'test', source: 'DOMAIN §3a', default: true }],
    caps: {
      ...baseCaps,
      mapHoldsRef: true,
      devmapPte: false,
      gupPgmapRef: false,
      compoundFolios: true,
      mappingMappedShortcut: false,
      breakLayoutsOnEvict: true,
      ...caps,
    },
    initialRefcount: () => 0,
    pagemapRange(k, t, pgmap) {
      pgmap.ref.getMany(t.cpu, pgmap.nrPages);
      pgmap.staticRefs = pgmap.nrPages;
    },
    memunmapDropStatic(k, t, pgmap) {
      pgmap.ref.putMany(t.cpu, pgmap.staticRefs);
      pgmap.staticRefs = 0;
    },
    daxAssociateEntry(k, t, mapping, index, pfn, order, shared) {
      const mm = k.memmap;
      if (shared) {
        if (!(mm.flags(pfn) & PG_DAX_SHARED)) {
          mm.setIndex(pfn, mm.mapping(pfn) !== 0 ? 1 : 0);
          mm.setFlags(pfn, PG_DAX_SHARED);
          mm.setMapping(pfn, 0);
        }
        mm.setIndex(pfn, mm.index(pfn) + 1);
        return 0;
      }
      k.warnOnce(mm.refcount(pfn) !== 0, 'dax_folio_init: folio_ref_count(folio) != 0', pfn);
      if (order > 0) mm.prepCompound(pfn, order);
      mm.setMapping(pfn, mapping.id);
      mm.setIndex(pfn, index);
      return 0;
    },
    daxDisassociateEntry(k, t, mapping, index, pfn) {
      const mm = k.memmap;
      if (mm.flags(pfn) & PG_DAX_SHARED) {
        const left = mm.index(pfn) - 1;
        mm.setIndex(pfn, left);
        if (left > 0) return;
        mm.clearFlags(pfn, PG_DAX_SHARED);
      }
      mm.setMapping(pfn, 0);
      mm.setIndex(pfn, 0);
      k.warnOnce(mm.refcount(pfn) !== 0, 'dax_folio_put: folio_ref_count(folio) != 0', pfn);
      mm.splitFolio(pfn);
    },
    getDevicePage() {},
    putDevmapManagedRefs: () => false,
    freeZoneDeviceFolio(k, t, head) {
      k.waits.wake(pageVarKey(head, KEY_PAGE));
    },
    layoutPageBusy: (k, head) => k.memmap.refcount(head) - k.memmap.folioMapcount(head) !== 0,
    layoutPageIdle: (k, head) => k.memmap.refcount(head) === 0,
    layoutWaitKey: (head) => pageVarKey(head, KEY_PAGE),
    fileMmap: () => 0,
    vmaOpen() {},
    vmaClose() {},
    *unbindPrepare(): KGen {},
  };
}

/** Physical base of the test region: 64 GiB. */
export const REGION_BASE = 64 * SZ_1G;

/** A kernel and a bus with one region of `size` bytes. */
export function machine(
  policy: Policy,
  size = 16 * SZ_1G,
  domain: PersistenceDomain = 'adr',
  opts: KernelOptions = {},
) {
  const k = createKernel({ policy, ...opts });
  const bus = createNvdimmBus(k);
  const region = bus.addRegion({ base: REGION_BASE, size, persistenceDomain: domain });
  return { k, bus, region };
}

/** Runs a generator to completion as a task alone (a hand-scheduled step). */
export function runAlone<T>(k: Kernel, name: string, body: (t: Task) => KGen<T>): T {
  let out: T | undefined;
  const t = k.spawn(name, function* (task) {
    out = yield* body(task);
  });
  const st = k.sched.runTask(t, 1_000_000);
  if (st !== 'done') throw new Error(`${name} did not finish: ${st} on ${t.blocker?.what}`);
  return out as T;
}

/** Runs a plain function as a task (bind, which does not block). */
export function runSync<T>(k: Kernel, name: string, body: (t: Task) => T): T {
  return runAlone(k, name, function* (t) {
    return body(t);
  });
}

/** A bound fsdax namespace with a filesystem on it. */
export function fsdax(policy: Policy, ns: Partial<NamespaceOptions> = {}, size = 16 * SZ_1G) {
  const m = machine(policy, size);
  const n = m.region.createNamespace({ mode: 'fsdax', size: ns.size ?? 4 * SZ_1G, ...ns });
  const b = runSync(m.k, 'bind', (t) => bindNamespace(m.k, t, n)) as FsdaxBinding;
  const fs = new DaxFs(m.k, b.dax);
  return { ...m, ns: n, b, fs };
}

/** A bound devdax namespace. */
export function devdax(policy: Policy, ns: Partial<NamespaceOptions> = {}, size = 16 * SZ_1G) {
  const m = machine(policy, size);
  const n = m.region.createNamespace({ mode: 'devdax', size: ns.size ?? 4 * SZ_1G, ...ns });
  const b = runSync(m.k, 'bind', (t) => bindNamespace(m.k, t, n)) as DevdaxBinding;
  return { ...m, ns: n, b };
}

/** The two test policies, for tests run under both designs. */
export const POLICIES = [
  ['1based', legacyPolicy],
  ['0based', zeroBasedPolicy],
] as const;
