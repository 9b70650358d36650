import type { DevPagemap, Kernel, Task, ViolationKind } from '@daxref/core';

/** Tasks blocked on a wait whose condition already holds: nobody woke them (a missed wakeup). */
export function missedWakeups(k: Kernel): Task[] {
  return k.sched.tasks.filter((t) => t.state === 'blocked' && t.blocker !== null && t.blocker.ready());
}

/** The kinds of the violations recorded so far, in order. */
export function violationKinds(k: Kernel): ViolationKind[] {
  return k.violations.map((v) => v.kind);
}

/**
 * Every device page that is not idle: refcount other than the design's idle value, a mapcount,
 * or a `mapping` still set. Empty after a full teardown.
 */
export function busyPages(k: Kernel, pgmap: DevPagemap): string[] {
  const idle = k.needPolicy('busyPages').initialRefcount(pgmap.type);
  const mm = k.memmap;
  const out: string[] = [];
  for (let pfn = pgmap.startPfn; pfn < pgmap.startPfn + pgmap.nrPages; pfn++) {
    const r = mm.refcount(pfn);
    const c = mm.mapcount(pfn);
    const m = mm.mapping(pfn);
    if (r !== idle || c !== 0 || m !== 0) out.push(`pfn ${pfn}: ref ${r} mapcount ${c} mapping ${m}`);
  }
  return out;
}

/** pgmap references beyond the initial one and the static ones: transient, VMA or entry holders. */
export function extraPgmapRefs(pgmap: DevPagemap): number {
  return pgmap.ref.count() - (pgmap.ref.dead ? 0 : 1) - pgmap.staticRefs;
}
