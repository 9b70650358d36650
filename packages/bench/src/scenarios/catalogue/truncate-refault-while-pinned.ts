import {
  exitMmap,
  FOLL_WRITE,
  type Kernel,
  type KGen,
  pinUserPagesFast,
  type Task,
  unpinUserPages,
  userAccess,
} from '@daxref/core';
import type { CatalogueEntry } from '../entry';
import { type DaxWorld, daxWorld, type Mapping, mapFile, payload } from '../world';

interface RefaultCtx {
  w: DaxWorld;
  map: Mapping;
}

/** The truncating task is asleep in the busy-page wait (MMAPLOCK dropped), or has finished. */
function truncateAsleepOrDone(k: Kernel): boolean {
  const tr = k.sched.tasks.find((x) => x.name === 'truncate');
  if (tr === undefined) return false;
  if (tr.state === 'done' || tr.state === 'killed') return true;
  const fn = tr.blocker?.fn;
  return fn === 'wait_page_idle' || fn === 'xfs_break_dax_layouts';
}

/**
 * A process pins its own mapped page (as RDMA memory registration does), a truncate finds the
 * page busy and sleeps with MMAPLOCK dropped, the process touches the page again (a refault: the
 * truncate has already unmapped it), then unpins. No reflink is involved.
 *
 * 6.15 `wait_page_idle()` sleeps until `dax_page_is_idle()` (`folio_ref_count == 0`) and the
 * refault's mapping (`vmf_insert_folio_*` → `folio_get`) keeps the count at 1 after the unpin,
 * so the truncate sleeps (TASK_INTERRUPTIBLE) for as long as the mapping lives: a `hang`. Under
 * the 1-based designs the refault takes no reference (`insert_pfn`, `vm_normal_page()` NULL),
 * the unpin brings the count back to 1, the wake comes and the truncate retries, unmaps again
 * and finishes.
 */
export const truncateRefaultWhilePinned: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'truncate-refault-while-pinned',
    title:
      'T1 pins its mapped page; T2 truncates and sleeps with MMAPLOCK dropped; T1 touches the page again, then unpins',
    source:
      'model prediction (issue 10): 6.15 dax_break_layout → wait_page_idle waits for folio_ref_count == 0, which a refault mapping keeps at 1',
    setup(k: Kernel): RefaultCtx {
      const w = daxWorld(k);
      return { w, map: mapFile(w, 'f', 1) };
    },
    tasks: [
      {
        name: 'pin',
        *body(k: Kernel, t: Task, c: RefaultCtx) {
          t.locals.mm = c.map.mm;
          const r = yield* pinUserPagesFast(k, t, c.map.mm, c.map.addr, 1, FOLL_WRITE);
          // Poll (a user-space wait) until the truncate is asleep on the pinned page.
          while (!truncateAsleepOrDone(k)) yield* k.sched.sleep(t, 1, 'do_nanosleep');
          yield* userAccess(k, t, c.map.mm, c.map.addr, true, payload(1, 0x33));
          unpinUserPages(k, t, r.pfns);
        },
      },
      {
        name: 'truncate',
        *body(k: Kernel, t: Task, c: RefaultCtx) {
          yield* c.w.fs.truncate(k, t, c.map.file, 0);
        },
      },
    ],
    *teardown(k: Kernel, t: Task, c: RefaultCtx): KGen {
      if (!c.map.mm.dead) yield* exitMmap(k, t, c.map.mm);
      while (c.map.file.refs > 0) yield* c.w.fs.close(k, t, c.map.file);
      const r = yield* c.w.fs.unmount(k, t);
      if (r < 0) throw new Error(`teardown: unmount failed (${r})`);
    },
  },
  expected: {
    '1based@v6.14': { verdict: 'pass' },
    '0based@v6.15': { verdict: 'hang' },
  },
};
