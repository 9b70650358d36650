import {
  type AccessResult,
  Errno,
  type Kernel,
  type KGen,
  type Mm,
  PAGE_SIZE,
  PG_HWPOISON,
  PREEMPT,
  putPage,
  type Task,
  unmapMappingPages,
  userAccess,
} from '@daxref/core';
import type { NvdimmBus, PmemNamespace } from './bus';
import { ENXIO, MF_ACTION_REQUIRED, MF_COUNT_INCREASED, MF_MUST_KILL } from './constants';

/** One `memory_failure()` call, as `action_result()` logs it. */
export interface MemoryFailureRecord {
  readonly pfn: number;
  readonly flags: number;
  /** 0 (MF_RECOVERED) or a negative errno (MF_FAILED). */
  readonly rc: number;
  /** Who handled it: the filesystem holder, the generic ZONE_DEVICE path, or nobody. */
  readonly handler: 'holder' | 'generic' | 'none';
}

function log(bus: NvdimmBus, r: MemoryFailureRecord): number {
  bus.memoryFailures.push(r);
  return r.rc;
}

/** Sends SIGBUS to the tasks whose `locals.mm` has one of these ids (`kill_procs`), once each. */
function killMappers(k: Kernel, mmIds: ReadonlySet<number>): void {
  if (mmIds.size === 0) return;
  for (const task of k.sched.tasks) {
    const mm = task.locals.mm as { id: number } | undefined;
    if (mm !== undefined && mmIds.has(mm.id)) k.sched.signal(task, 'SIGBUS'); // kill_proc()
  }
}

/**
 * `mf_generic_kill_procs()` (mm/memory-failure.c): the folio is marked `PageHWPoison` ("remapped
 * UC to prevent speculative consumption"), and since ZONE_DEVICE memory cannot be replaced
 * (MF_MUST_KILL) every process mapping it loses the mapping and gets SIGBUS (`collect_procs` +
 * `unmap_and_kill`). For device-dax the mappings are found through the /dev/dax inode.
 */
function* genericKillProcs(k: Kernel, t: Task, ns: PmemNamespace, pfn: number): KGen<number> {
  const mm = k.memmap;
  const head = mm.compoundHead(pfn);
  mm.setFlags(head, PG_HWPOISON);
  const b = ns.binding;
  if (b === null || b.mode !== 'devdax') return 0;
  const nr = 2 ** mm.folioOrder(head);
  const pgoff = head - ns.layout.dataStartPfn;
  const victims = new Set<number>();
  for (const vma of b.file.mapping.iMmap) {
    if (pgoff < vma.pgoff || pgoff >= vma.pgoff + (vma.end - vma.start) / PAGE_SIZE) continue;
    const p = vma.mm.pt.translate(vma.start + (pgoff - vma.pgoff) * PAGE_SIZE);
    if (p >= head && p < head + nr) victims.add(vma.mm.id);
  }
  yield* unmapMappingPages(k, t, b.file, pgoff, nr);
  killMappers(k, victims);
  return 0;
}

/**
 * `memory_failure(pfn, flags)` for device memory (mm/memory-failure.c). ZONE_DEVICE pages are
 * never online, so it goes `get_dev_pagemap(pfn)` — its own reference, on the pgmap, held until
 * the end, so an unbind's `memunmap_pages` waits for the handler — then `put_ref_page` (drops the
 * page reference an injector took, MF_COUNT_INCREASED), then `memory_failure_dev_pagemap()`:
 * a pfn in the namespace's metadata is not recoverable (-ENXIO); an fsdax namespace hands the
 * failure to `pgmap->ops->memory_failure` = `pmem_pagemap_memory_failure` →
 * `dax_holder_notify_failure` → the filesystem's `notify_failure` (`'poison'`: unmap and kill the
 * mappers, `mf_dax_kill_procs`, which also sets `PageHWPoison`); with no holder (-EOPNOTSUPP) or
 * for device-dax it falls back to `mf_generic_kill_procs`. Returns 0 or a negative errno.
 */
export function* memoryFailure(
  k: Kernel,
  t: Task,
  bus: NvdimmBus,
  pfn: number,
  flags = MF_ACTION_REQUIRED,
): KGen<number> {
  if (!k.memmap.valid(pfn) || k.ram.contains(pfn)) {
    // "memory outside kernel control"; the RAM path of memory_failure() is not modelled here.
    return log(bus, { pfn, flags, rc: -ENXIO, handler: 'none' });
  }
  const pgmap = k.pgmaps.getDevPagemap(pfn, null, t.cpu);
  if (flags & MF_COUNT_INCREASED) putPage(k, t, pfn); // put_ref_page()
  if (pgmap === null) return log(bus, { pfn, flags, rc: -ENXIO, handler: 'none' }); // dying or gone
  let rc = -ENXIO;
  let handler: MemoryFailureRecord['handler'] = 'none';
  try {
    yield PREEMPT; // mf_mutex / dax_lock_page(): an unbind may start now and must wait for us
    const ns = bus.namespaceAt(pfn);
    const data = ns === null ? null : ns.layout;
    if (
      ns !== null &&
      data !== null &&
      pfn >= data.dataStartPfn &&
      pfn < data.dataStartPfn + data.dataPages
    ) {
      rc = -Errno.EOPNOTSUPP;
      const b = ns.binding;
      if (pgmap.type === 'fsdax' && b !== null && b.mode === 'fsdax' && b.dax.holder !== null) {
        handler = 'holder';
        rc = yield* b.dax.holder.notifyFailure(k, t, pfn, 1, 'poison');
        if (rc === 0) k.memmap.setFlags(pfn, PG_HWPOISON); // mf_dax_kill_procs: SetPageHWPoison
      }
      if (rc === -Errno.EOPNOTSUPP) {
        handler = 'generic';
        rc = yield* genericKillProcs(k, t, ns, pfn);
      }
      // MF_ACTION_REQUIRED: the consuming task is among those killed (MF_MUST_KILL).
      if (rc === 0 && flags & (MF_ACTION_REQUIRED | MF_MUST_KILL)) k.sched.signal(t, 'SIGBUS');
    }
    return log(bus, { pfn, flags, rc, handler });
  } finally {
    k.pgmaps.putDevPagemap(pgmap, t.cpu); // put_dev_pagemap()
  }
}

/**
 * A user access that takes the machine-check path on poison: core's `userAccess` (which marks
 * the page and raises SIGBUS for the load), then, for a load that consumed poison, the
 * `do_machine_check` → `kill_me_maybe` → `memory_failure(pfn, MF_ACTION_REQUIRED)` step.
 */
export function* userAccessWithMce(
  k: Kernel,
  t: Task,
  bus: NvdimmBus,
  mm: Mm,
  addr: number,
  write: boolean,
  data?: Uint8Array,
  len = 1,
): KGen<AccessResult> {
  const r = yield* userAccess(k, t, mm, addr, write, data, len);
  if (!r.ok && r.errno === -Errno.EHWPOISON && !write) {
    const pfn = mm.pt.translate(addr - (addr % PAGE_SIZE));
    if (pfn >= 0) yield* memoryFailure(k, t, bus, pfn, MF_ACTION_REQUIRED);
  }
  return r;
}
