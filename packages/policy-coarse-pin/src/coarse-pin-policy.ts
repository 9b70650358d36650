import {
  type AddressSpace,
  DaxrefError,
  type DevPagemap,
  daxPageAssociate,
  daxPageDisassociate,
  daxPageShareGet,
  Errno,
  GUP_PIN_COUNTING_BIAS,
  Inode,
  KEY_REFCOUNT,
  type Kernel,
  type KGen,
  MmuGather,
  type PgmapType,
  type Policy,
  type PolicyCaps,
  type PolicyVariant,
  type PutPath,
  pageVarKey,
  type Task,
  type VarKey,
  type Vma,
  zapRange,
} from '@daxref/core';
import { type CoarsePinVariantId, coarsePinVariants } from './variants';

/** Options of `createCoarsePinPolicy`. */
export interface CoarsePinPolicyOptions {
  /** The variant id (`block`, `revoke`); default `block`. */
  variant?: string;
}

/** The one mechanism the variants differ in. */
interface Features {
  /**
   * What unbind does about open DAX VMAs before `memunmap_pages()` waits for the pgmap ref:
   * `block` nothing ("pmem as memory": wait, unbounded); `revoke` zap every DAX mapping of the
   * device and SIGBUS-kill the mappers so their exit closes the VMAs ("pmem as storage device").
   * Both from Dan Williams' description in seed 001.
   */
  readonly unbind: 'block' | 'revoke';
  /**
   * What holds the device: `vma` (+1 per open DAX VMA: "pin the driver while any DAX vma is
   * open"), or `io` (seed 001's "pmem as storage device => pin it active only while i/o is in
   * flight": every GUP reference of a device page holds the pgmap until its put, and a VMA holds
   * nothing, so unbind revokes the mappings and waits only for I/O in flight).
   */
  readonly pin: 'vma' | 'io';
}

const FEATURES: Record<CoarsePinVariantId, Features> = {
  block: { unbind: 'block', pin: 'vma' },
  revoke: { unbind: 'revoke', pin: 'io' },
};

const COMPONENT = 'policy-coarse-pin';

/** The pgmap behind a DAX file VMA (`dax_dev` of the inode's superblock → its pgmap). */
function vmaPgmap(vma: Vma): DevPagemap | null {
  return vma.file instanceof Inode ? vma.file.fs.dax.pgmap : null;
}

/**
 * Design C (DOMAIN §4): legacy 1-based page refcounting (v6.14 semantics, including
 * `break_layouts`), with every `dev_pagemap` reference moved from the page hot path to VMA
 * lifetime.
 */
class CoarsePinPolicy implements Policy {
  readonly name = 'coarse-pin';
  readonly variant: string;
  readonly title: string;
  readonly variants: readonly PolicyVariant[] = coarsePinVariants;
  readonly caps: PolicyCaps;
  private readonly f: Features;
  /** The VMAs holding a pgmap reference, so `->close` drops exactly what `->mmap` / `->open` took. */
  private readonly pins = new Map<Vma, DevPagemap>();

  constructor(variant: CoarsePinVariantId) {
    this.variant = variant;
    this.f = FEATURES[variant];
    this.title = `coarse VMA pin (${variant})`;
    const io = this.f.pin === 'io';
    this.caps = Object.freeze({
      // vma: get_page() / put_page() do no pgmap work; io: a GUP grab of a device page takes a
      // pgmap reference that its put drops (the I/O pin).
      getPageHook: io,
      mapHoldsRef: false, // 1-based: insert_pfn() + pte_mkdevmap(), no map-time ref
      devmapPte: true,
      // vma: gup-fast and follow_page_pte() skip get_dev_pagemap() (the VMA pins the pgmap);
      // io: GUP keeps get_dev_pagemap()'s tryget_live, so no new I/O starts on a dying device.
      gupPgmapRef: io,
      compoundFolios: false,
      reflink: true,
      breakLayouts: true,
      mappingMappedShortcut: true, // v6.14 fs/dax.c
      breakLayoutsOnEvict: false,
      notifyPreRemove: false, // the design's own unbind policy replaces the holder notification
      leases: false,
      vmaOpenClose: true, // DAX vm_ops gain ->open / ->close: such VMAs never merge (is_mergeable_vma)
      // built on v6.14 semantics (DOMAIN §4): the 6.6+ block-device death evicts unused inodes
      bdevMarkDeadEvicts: true,
      busyScanSkipsLocked: true,
    });
  }

  /** DAX VMAs of `pgmap` that still hold their pin. */
  pinnedVmas(pgmap: DevPagemap): Vma[] {
    const out: Vma[] = [];
    for (const [v, p] of this.pins) if (p === pgmap) out.push(v);
    return out;
  }

  initialRefcount(type: PgmapType): number {
    // memmap_init_zone_device() → init_page_count(): 1-based, as v6.14.
    return type === 'private' || type === 'coherent' ? 0 : 1;
  }

  pagemapRange(k: Kernel, t: Task, pgmap: DevPagemap): void {
    // pagemap_range(): no per-page static refs. The percpu_ref's initial reference (dropped by
    // percpu_ref_kill() in memunmap_pages()) is the device's own; VMAs hold the rest.
    // devmap_managed_enable_get(): put_page() still intercepts FS_DAX for the 2→1 wake.
    if (pgmap.type === 'fsdax') {
      k.devmapManagedKey++;
      k.zoneDeviceOnPut = true;
    }
  }

  memunmapDropStatic(k: Kernel, t: Task, pgmap: DevPagemap): void {
    // memunmap_pages(): nothing static to drop (pagemapRange took none).
    if (pgmap.staticRefs > 0) {
      pgmap.ref.putMany(t.cpu, pgmap.staticRefs);
      pgmap.staticRefs = 0;
    }
  }

  daxAssociateEntry(
    k: Kernel,
    t: Task,
    mapping: AddressSpace,
    index: number,
    pfn: number,
    order: number,
    shared: boolean,
  ): number {
    // dax_associate_entry() (v6.14): for_each_mapped_pfn(), dax_page_share_get() for reflink.
    for (let i = 0; i < 2 ** order; i++) {
      const p = pfn + i;
      if (shared) daxPageShareGet(k, p);
      else daxPageAssociate(k, p, mapping, index + i);
    }
    return 0;
  }

  daxDisassociateEntry(
    k: Kernel,
    t: Task,
    mapping: AddressSpace,
    index: number,
    pfn: number,
    order: number,
    trunc: boolean,
  ): void {
    // dax_disassociate_entry() (v6.14).
    const mm = k.memmap;
    for (let i = 0; i < 2 ** order; i++) {
      const p = pfn + i;
      k.warnOnce(
        trunc && mm.refcount(p) > 1,
        'dax_disassociate_entry: WARN_ON_ONCE(trunc && page_ref_count(page) > 1)',
        p,
      );
      daxPageDisassociate(k, p, mapping);
    }
  }

  getDevicePage(k: Kernel, t: Task, head: number, refs: number): void {
    // vma: get_page() is plain. io: the I/O pin, percpu_ref_get_many(&pgmap->ref, grabs).
    if (this.f.pin === 'io') k.pgmaps.get(k.memmap.pgmapId(head)).ref.getMany(t.cpu, refs);
  }

  putDevmapManagedRefs(k: Kernel, t: Task, head: number, refs: number, via: PutPath): boolean {
    // put_devmap_managed_folio_refs() (v6.14, every put path): sub_return; at 1 wake_up_var(&_refcount).
    if (k.memmap.refAdd(head, -refs) === 1) k.waits.wake(pageVarKey(head, KEY_REFCOUNT));
    if (this.f.pin === 'io') {
      // io: the put ends the I/O: one pgmap reference per grab (a small-page pin is +1024).
      const pin = (via === 'unpin' || via === 'bio') && !k.memmap.isLarge(head);
      k.pgmaps.get(k.memmap.pgmapId(head)).ref.putMany(t.cpu, pin ? refs / GUP_PIN_COUNTING_BIAS : refs);
    }
    return true;
  }

  freeZoneDeviceFolio(k: Kernel, t: Task, head: number): void {
    // free_zone_device_folio(): a 1-based FS_DAX page is never freed.
  }

  layoutPageBusy(k: Kernel, head: number): boolean {
    // dax_busy_page(): page_ref_count(page) > 1.
    return k.memmap.refcount(head) > 1;
  }

  readonly layoutIdleRule = 'xfs_break_dax_layouts(): page_ref_count == 1';

  layoutPageIdle(k: Kernel, head: number): boolean {
    // xfs_break_dax_layouts(): page_ref_count(page) == 1.
    return k.memmap.refcount(head) === 1;
  }

  layoutWaitKey(head: number): VarKey {
    // &page->_refcount
    return pageVarKey(head, KEY_REFCOUNT);
  }

  fileMmap(k: Kernel, t: Task, vma: Vma): number {
    // f_op->mmap (xfs_file_mmap + the proposal's dax pin): percpu_ref_tryget_live(&pgmap->ref);
    // a dying device refuses new mappings.
    const pgmap = vmaPgmap(vma);
    if (pgmap === null) return 0;
    if (!pgmap.ref.tryGetLive(t.cpu)) return -Errno.ENODEV;
    this.pins.set(vma, pgmap);
    if (this.f.pin === 'io') pgmap.ref.putMany(t.cpu, 1); // io: the VMA is only remembered for the revoke
    return 0;
  }

  vmaOpen(k: Kernel, t: Task, vma: Vma): void {
    // vm_ops->open (dup_mmap, __split_vma, copy_vma): percpu_ref_get(&pgmap->ref). The VMA it
    // copies holds a reference, so this cannot race with the release even while dying.
    const pgmap = vmaPgmap(vma);
    if (pgmap === null || pgmap.ref.released) return;
    if (this.f.pin === 'vma') pgmap.ref.getMany(t.cpu, 1);
    this.pins.set(vma, pgmap);
  }

  vmaClose(k: Kernel, t: Task, vma: Vma): void {
    // vm_ops->close (remove_vma): percpu_ref_put(&pgmap->ref); the last one completes pgmap->done.
    const pgmap = this.pins.get(vma);
    if (pgmap === undefined) return;
    this.pins.delete(vma);
    if (this.f.pin === 'vma') pgmap.ref.putMany(t.cpu, 1);
  }

  *unbindPrepare(k: Kernel, t: Task, pgmap: DevPagemap): KGen {
    if (this.f.unbind === 'block') return; // "pmem as memory": memunmap_pages() just waits
    // revoke: unmap_mapping_range() over every DAX mapping of the device ...
    const vmas = this.pinnedVmas(pgmap).filter((v) => !v.dead);
    for (const v of vmas) {
      const tlb = new MmuGather();
      yield* zapRange(k, t, tlb, v, v.start, v.end);
      yield* tlb.finish(k, t);
    }
    // ... then mf_dax_kill_procs()-style: SIGBUS and kill every task whose mm maps it. The
    // model's convention: a task's address space is `task.locals.mm`; its exit hooks tear the
    // mm down (exit_mmap), which closes the VMAs and drops their pgmap references.
    const mms = new Set(vmas.map((v) => v.mm));
    for (const task of [...k.sched.tasks]) {
      if (task === t || task.state === 'done' || task.state === 'killed') continue;
      const mm = task.locals.mm;
      if (mm === undefined || !mms.has(mm as Vma['mm'])) continue;
      k.sched.signal(task, 'SIGBUS');
      k.sched.kill(task); // acted on at its return to user space, where do_exit runs its hooks
    }
  }
}

/**
 * Creates the coarse VMA-pin design (DOMAIN §4). Throws a `BAD_ARGUMENT` DaxrefError naming the
 * valid variants for an unknown id.
 */
export function createCoarsePinPolicy(opts: CoarsePinPolicyOptions = {}): Policy {
  const id = opts.variant ?? 'block';
  if (!Object.hasOwn(FEATURES, id)) {
    const valid = coarsePinVariants.map((v) => v.id).join(', ');
    throw new DaxrefError('BAD_ARGUMENT', COMPONENT, `unknown variant "${id}"; valid: ${valid}`);
  }
  return new CoarsePinPolicy(id as CoarsePinVariantId);
}
