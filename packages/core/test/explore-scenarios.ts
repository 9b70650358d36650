// Tiny planted-bug scenarios for the explorer, checker and trace tests.
import {
  createDaxDevice,
  createMm,
  DaxFs,
  FOLL_WRITE,
  type Inode,
  type Kernel,
  type KGen,
  kcall,
  type Mm,
  mmap,
  munmap,
  type Policy,
  PREEMPT,
  pinUserPages,
  RwSem,
  type Scenario,
  type Task,
  unpinUserPage,
  userAccess,
} from '../src/index';
import { legacyPolicy, PMEM_PFN, SparseMedia, zeroBasedPolicy } from './helpers';

/** Runs `body` alone to completion during setup. */
function alone<T>(k: Kernel, name: string, body: (t: Task) => KGen<T>): T {
  let out: T | undefined;
  const t = k.spawn(name, function* (task) {
    out = yield* body(task);
  });
  const st = k.sched.runTask(t);
  if (st !== 'done') throw new Error(`${name}: ${st}`);
  return out as T;
}

/** A DAX filesystem on a fresh pmem device of the kernel. */
export function mountFs(k: Kernel, pages = 1024) {
  const media = new SparseMedia('pmem0', PMEM_PFN, pages);
  const boot = k.spawn('boot', function* () {});
  const dax = createDaxDevice(k, boot, media);
  k.sched.runTask(boot);
  return { media, fs: new DaxFs(k, dax) };
}

/**
 * The v5.19-rc1 bug (DOMAIN §2, seed 002) planted in the test 1-based policy: an unpin going
 * 1025→1 issues no wake, so a truncate asleep in break_layouts is never woken.
 */
export function lostWakeupPolicy(): Policy {
  const p = legacyPolicy();
  return {
    ...p,
    variant: 'lost-wakeup',
    putDevmapManagedRefs(k, t, head, refs, via) {
      if (via === 'unpin') {
        k.memmap.refAdd(head, -refs); // gup_put_folio lost the devmap special case: no wake
        return true;
      }
      return p.putDevmapManagedRefs(k, t, head, refs, via);
    },
  };
}

export { legacyPolicy, zeroBasedPolicy };

interface PinCtx {
  f: Inode;
  fs: DaxFs;
  mm: Mm;
  addr: number;
  pfn: number;
}

const LEN = 4096 * 4;

/** T1 holds a pin on P and unpins it; T2 truncates the file (unpin-missed-wakeup, DOMAIN §6). */
export const unpinTruncate: Scenario<PinCtx> = {
  id: 'test-unpin-truncate',
  title: 'unpin races a truncate asleep in break_layouts',
  source: 'DOMAIN §6 unpin-missed-wakeup',
  kernel: { ramPages: 512 },
  setup(k) {
    const { fs } = mountFs(k);
    const f = fs.create('a', LEN);
    const mm = createMm(k);
    const addr = alone(k, 'map', (t) => mmap(k, t, mm, { file: f, length: LEN }));
    alone(k, 'touch', (t) => userAccess(k, t, mm, addr, true, new Uint8Array([1])));
    const pin = alone(k, 'pin', (t) => pinUserPages(k, t, mm, addr, 1, FOLL_WRITE));
    return { f, fs, mm, addr, pfn: pin.pfns[0]! };
  },
  tasks: [
    {
      name: 'dma',
      *body(k, t, c) {
        yield PREEMPT; // the DMA runs
        unpinUserPage(k, t, c.pfn);
      },
    },
    {
      name: 'trunc',
      *body(k, t, c) {
        yield* kcall(k, t, 'xfs_vn_setattr', c.fs.truncate(k, t, c.f, 0));
      },
    },
  ],
  *teardown(k, t, c) {
    yield* munmap(k, t, c.mm, c.addr, LEN);
  },
};

/** Like `unpinTruncate`, but the DMA task forgets to unpin: a leak at teardown. */
export const forgottenUnpin: Scenario<PinCtx> = {
  ...unpinTruncate,
  id: 'test-forgotten-unpin',
  title: 'a pin that is never released',
  tasks: [
    {
      name: 'dma',
      *body() {
        yield PREEMPT;
      },
    },
  ],
};

/** ABBA lock order between two tasks: a deadlock needs one preemption. */
export const abba: Scenario<{ a: RwSem; b: RwSem }> = {
  id: 'test-abba',
  title: 'two rwsems taken in opposite orders',
  source: 'planted',
  kernel: { ramPages: 512 },
  setup: () => ({ a: new RwSem('A'), b: new RwSem('B') }),
  tasks: [
    {
      name: 'ab',
      *body(k, t, { a, b }) {
        yield* a.downWrite(t);
        yield PREEMPT;
        yield* b.downWrite(t);
        b.upWrite(t);
        a.upWrite(t);
      },
    },
    {
      name: 'ba',
      *body(k, t, { a, b }) {
        yield* b.downWrite(t);
        yield PREEMPT;
        yield* a.downWrite(t);
        a.upWrite(t);
        b.upWrite(t);
      },
    },
  ],
};

/** A classic lost wakeup on a plain var wait: check, preempt, then sleep without re-checking. */
export const racyFlag: Scenario<{ flag: number }> = {
  id: 'test-racy-flag',
  title: 'waiter checks a flag, is preempted, then sleeps without re-checking',
  source: 'planted',
  kernel: { ramPages: 512 },
  setup: () => ({ flag: 0 }),
  tasks: [
    {
      name: 'waiter',
      *body(k, t, ctx) {
        if (ctx.flag === 0) {
          yield PREEMPT;
          k.waits.prepare(t, 'flag', () => ctx.flag !== 0, 'flag');
          yield 1; // BLOCK
          k.waits.finish(t, 'flag');
        }
      },
    },
    {
      name: 'waker',
      *body(k, t, ctx) {
        yield PREEMPT;
        ctx.flag = 1;
        k.waits.wake('flag');
      },
    },
    {
      name: 'bystander',
      *body() {
        yield PREEMPT;
        yield PREEMPT;
      },
    },
  ],
};

let calls = 0;
/** A task that behaves differently on every run (module state): the self-check must catch it. */
export const flaky: Scenario<null> = {
  id: 'test-flaky',
  title: 'depends on module state',
  source: 'planted',
  kernel: { ramPages: 512 },
  setup: () => null,
  tasks: [
    {
      name: 'flaky',
      *body(k) {
        const pfn = k.ram.alloc();
        if (calls++ % 2 === 0) yield PREEMPT;
        k.memmap.refAdd(pfn, 1);
      },
    },
    {
      name: 'other',
      *body() {
        yield PREEMPT;
      },
    },
  ],
};
