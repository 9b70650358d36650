// Test fixtures: a sparse memory device and two small policies with the DOMAIN §2 (1-based,
// v6.14) and §3a (0-based, v6.15) rules, so the core's mechanisms can be tested before and
// independently of the real policy packages.
import {
  createDaxDevice,
  createKernel,
  DaxFs,
  type DevPagemap,
  daxPageAssociate,
  daxPageDisassociate,
  daxPageShareGet,
  FREE_OWNER,
  GUP_PIN_COUNTING_BIAS,
  KEY_PAGE,
  KEY_REFCOUNT,
  type Kernel,
  type KernelOptions,
  type KGen,
  type MemoryDevice,
  type OwnerTag,
  PG_DAX_SHARED,
  type Policy,
  type PolicyCaps,
  pageVarKey,
  type Task,
} from '../src/index';

export class SparseMedia implements MemoryDevice {
  readonly name: string;
  readonly startPfn: number;
  readonly nrPages: number;
  gone = false;
  private readonly pages = new Map<number, Uint8Array>();
  private readonly tags = new Map<number, OwnerTag>();
  readonly poison = new Set<number>();
  constructor(name: string, startPfn: number, nrPages: number) {
    this.name = name;
    this.startPfn = startPfn;
    this.nrPages = nrPages;
  }
  present(): boolean {
    return !this.gone;
  }
  private page(pfn: number): Uint8Array {
    let p = this.pages.get(pfn);
    if (p === undefined) {
      p = new Uint8Array(4096);
      this.pages.set(pfn, p);
    }
    return p;
  }
  read(pfn: number, offset: number, len: number): Uint8Array {
    return this.page(pfn).slice(offset, offset + len);
  }
  write(pfn: number, offset: number, data: Uint8Array): void {
    this.page(pfn).set(data, offset);
  }
  ownerTag(pfn: number): OwnerTag {
    return this.tags.get(pfn) ?? FREE_OWNER;
  }
  setOwnerTag(pfn: number, tag: OwnerTag): void {
    this.tags.set(pfn, tag);
  }
  isPoisoned(pfn: number): boolean {
    return this.poison.has(pfn);
  }
  clearPoison(pfn: number): void {
    this.poison.delete(pfn);
  }
}

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
      for (let i = 0; i < 2 ** order; i++) {
        if (shared) daxPageShareGet(k, pfn + i);
        else daxPageAssociate(k, pfn + i, mapping, index + i);
      }
      return 0;
    },
    daxDisassociateEntry(k, t, mapping, index, pfn, order, trunc) {
      for (let i = 0; i < 2 ** order; i++) {
        const p = pfn + i;
        k.warnOnce(
          trunc && k.memmap.refcount(p) > 1,
          'dax_disassociate_entry: trunc && page_ref_count(page) > 1',
          p,
        );
        daxPageDisassociate(k, p, mapping);
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

/** First pfn of the test pmem device (64 GiB physical). */
export const PMEM_PFN = 2 ** 24;

/** A kernel with one pmem device of `pages` pages, bound as fsdax, and a DAX filesystem on it. */
export function setup(policy: Policy, pages = 8192, opts: KernelOptions = {}) {
  const k = createKernel({ policy, ...opts });
  const media = new SparseMedia('pmem0', PMEM_PFN, pages);
  const boot = k.spawn('boot', function* () {});
  const dax = createDaxDevice(k, boot, media);
  k.sched.runTask(boot);
  const fs = new DaxFs(k, dax);
  return { k, media, dax, fs, pgmap: dax.pgmap as DevPagemap };
}

/** Runs a generator to completion as task `t` alone (a hand-scheduled step). */
export function runAlone<T>(k: Kernel, name: string, body: (t: Task) => KGen<T>): T {
  let out: T | undefined;
  const t = k.spawn(name, function* (task) {
    out = yield* body(task);
  });
  const st = k.sched.runTask(t);
  if (st !== 'done') throw new Error(`${name} did not finish: ${st} on ${t.blocker?.what}`);
  return out as T;
}

export { GUP_PIN_COUNTING_BIAS };
