import {
  BLOCK,
  createMm,
  type DaxrefError,
  Errno,
  exitMmap,
  FOLL_LONGTERM,
  FOLL_WRITE,
  fork,
  getUserPagesFast,
  type Inode,
  type Kernel,
  type KGen,
  type Mm,
  mmap,
  mprotect,
  munmap,
  type Policy,
  pinUserPages,
  pinUserPagesFast,
  releasePages,
  type Scenario,
  syscall,
  type Task,
  unpinUserPages,
  userAccess,
  type ViolationKind,
} from '@daxref/core';
import {
  bindNamespace,
  type DevdaxBinding,
  type DmaMapping,
  devDaxMmap,
  type PmemNamespace,
  SZ_1G,
  unbindNamespace,
} from '@daxref/hw-pmem';
import { truncateRefaultWhilePinned } from './truncate-refault-while-pinned';
import { type DaxWorld, daxWorld, type Mapping, mapFile, payload, settle } from './world';

/** What the catalogue expects of a cell: `pass`, the violation kind a failure shows, or `n/a`. */
export type Expected = 'pass' | ViolationKind | 'n/a';

/** An expectation, and whether the sources establish it (`must`) or the model predicts it. */
export interface Expectation {
  readonly verdict: Expected;
  readonly must?: boolean;
}

/** A catalogue entry: the scenario, when it applies, and the verdicts DOMAIN §6 knows. */
export interface CatalogueEntry {
  // biome-ignore lint/suspicious/noExplicitAny: scenarios have their own context types
  readonly scenario: Scenario<any>;
  /** `failure`: a known failure sequence; `workload`: a normal workload that must pass. */
  readonly kind: 'failure' | 'workload';
  /** Null when the scenario can arise under the policy; else why it cannot (the cell is `n/a`). */
  applies?(p: Policy): string | null;
  /** Expected verdicts by full policy id (`1based@v6.14`); absent ids have no expectation. */
  readonly expected: Readonly<Record<string, Expectation>>;
}

const DEFAULTS = ['1based@v6.14', '0based@v6.15', 'coarse-pin@block'] as const;

function expect(table: Record<string, Expected | [Expected, 'must']>): Record<string, Expectation> {
  const out: Record<string, Expectation> = {};
  for (const [id, v] of Object.entries(table))
    out[id] = Array.isArray(v) ? { verdict: v[0], must: true } : { verdict: v };
  return out;
}

function workloadExpect(): Record<string, Expectation> {
  return Object.fromEntries(DEFAULTS.map((id) => [id, { verdict: 'pass' as const, must: true }]));
}

/**
 * A task body for a process that owns `mm` from the start: `task.locals.mm` is set when the task
 * is spawned, before any task runs, so a revoke or `memory_failure` that looks for the mappers of
 * a VMA (`kill_procs` walks the tasks whose mm it is) finds this one whatever the schedule; and
 * if it is killed, its exit (`do_exit` → `exit_mm`, `exit_files`) tears the mm down and closes
 * `files`.
 */
function owning<C>(
  mmOf: (c: C) => Mm,
  body: (k: Kernel, t: Task, c: C) => KGen<unknown>,
  filesOf?: (c: C) => readonly { fs: DaxWorld['fs']; file: Inode }[],
): (k: Kernel, t: Task, c: C) => KGen<unknown> {
  return (k, t, c) => {
    const mm = mmOf(c);
    t.locals.mm = mm;
    t.exitHooks.push(function* (exit) {
      if (!mm.dead) yield* exitMmap(k, exit, mm);
      for (const f of filesOf?.(c) ?? []) if (f.file.refs > 0) yield* f.fs.close(k, exit, f.file);
    });
    return body(k, t, c);
  };
}

/** Writes `chunks` DMA chunks of a mapping (each a preemption point), as a NIC would. */
function* dmaWrite(w: DaxWorld, t: Task, m: DmaMapping, chunks = 4): KGen {
  yield* w.dma.write(t, m, 0, payload(Math.min(chunks * w.dma.chunkBytes, m.length)));
}

/** The context most failure scenarios share: one page of `f`, mapped by the DMA task's process, and a second file for reuse. */
interface PinCtx {
  w: DaxWorld;
  map: Mapping;
  other: Inode;
  /** Set once the DMA task has dropped its mapping (evict-during-dma). */
  unmapped: boolean;
  /** Set once the file's blocks were released (truncate or evict finished). */
  released: boolean;
}

function pinSetup(k: Kernel): PinCtx {
  const w = daxWorld(k);
  const map = mapFile(w, 'f', 1);
  const other = w.fs.create('g');
  return { w, map, other, unmapped: false, released: false };
}

/**
 * Full teardown: unmap what is still mapped, close the files and unmount (evicting every inode),
 * so every reference the scenario took must have been dropped; what is left is a `leak`.
 */
function* fullTeardown(k: Kernel, t: Task, w: DaxWorld, mms: readonly Mm[], files: readonly Inode[]): KGen {
  for (const mm of mms) if (!mm.dead) yield* exitMmap(k, t, mm);
  for (const f of files) while (f.refs > 0) yield* w.fs.close(k, t, f);
  const r = yield* w.fs.unmount(k, t);
  if (r < 0) throw new Error(`teardown: unmount failed (${r})`);
}

/** Teardown shared by the pin scenarios. */
function* pinTeardown(k: Kernel, t: Task, c: PinCtx): KGen {
  yield* fullTeardown(k, t, c.w, [c.map.mm], [c.map.file, c.other]);
}

/**
 * Waits until `cond` holds or, when nothing else can run any more, gives up (a timed wait): a
 * task that reacts to another's progress without hanging the run if that progress never comes.
 * The timer fires only once no other task can run, so a wake with `cond` still false is the
 * timeout; the run is then marked inconclusive (never a pass) and the task carries on.
 */
function* waitOrTimeout(k: Kernel, t: Task, key: string, cond: () => boolean, what: string): KGen {
  while (!cond()) {
    k.waits.prepare(t, key, cond, what, { fn: 'wait_event_timeout' });
    k.sched.armTimer(t, k.sched.now + 1);
    try {
      yield BLOCK;
    } finally {
      k.waits.finish(t, key);
    }
    if (!cond()) {
      k.markInconclusive(`wait_event_timeout for ${what} timed out`);
      return;
    }
  }
}

/**
 * The reuse task: once the file's blocks are released (or nothing else can run), another file
 * takes a block, which the LIFO allocator hands out from the freed ones first. It is listed
 * first so that, once woken, it runs before a DMA still in flight.
 */
function reuseTask(): Scenario<PinCtx>['tasks'][number] {
  return {
    name: 'reuse',
    *body(k, t, c) {
      yield* waitOrTimeout(k, t, 'released', () => c.released, "the file's blocks to be released");
      yield* c.w.fs.pwrite(k, t, c.other, 0, payload(4096, 0x77));
    },
  };
}

function released(k: Kernel, c: PinCtx): void {
  c.released = true;
  k.waits.wake('released');
}

function truncateTask(): Scenario<PinCtx>['tasks'][number] {
  return {
    name: 'truncate',
    *body(k, t, c) {
      yield* c.w.fs.truncate(k, t, c.map.file, 0);
      released(k, c);
    },
  };
}

/**
 * The DMA task of the pin scenarios: GUP the page (`pin`: FOLL_PIN, as RDMA does; `get`:
 * FOLL_GET, as O_DIRECT did), optionally drop the mapping first (`munmap`), move data in
 * chunks, then release the page through the matching path (unpin / `release_pages`).
 */
function dmaTask(
  name: string,
  gup: 'pin' | 'get',
  opts: { munmap?: boolean } = {},
): Scenario<PinCtx>['tasks'][number] {
  return {
    name,
    body: owning(
      (c: PinCtx) => c.map.mm,
      function* (k, t, c) {
        const r =
          gup === 'pin'
            ? yield* pinUserPagesFast(k, t, c.map.mm, c.map.addr, 1, FOLL_WRITE)
            : yield* getUserPagesFast(k, t, c.map.mm, c.map.addr, 1, FOLL_WRITE);
        if (r.err < 0) return;
        const m = c.w.dma.map(r.pfns);
        if (opts.munmap) yield* munmap(k, t, c.map.mm, c.map.addr, c.map.length);
        yield* dmaWrite(c.w, t, m);
        c.w.dma.unmap(m);
        if (gup === 'pin') unpinUserPages(k, t, r.pfns);
        else releasePages(k, t, r.pfns);
      },
    ),
  };
}

const unpinMissedWakeup: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'unpin-missed-wakeup',
    title: 'T1 pins P (FOLL_PIN); T2 truncates, finds P busy, sleeps; T1 unpins',
    source: 'seed 002 (Muchun Song); v5.18 d8ddc099c6b3 lost the wake, v5.19 f4f451a16dd1 restored it',
    setup: pinSetup,
    tasks: [dmaTask('dma', 'pin'), truncateTask()],
    teardown: pinTeardown,
  },
  expected: expect({
    '1based@v4.5': 'use-after-free',
    '1based@v4.18': 'pass',
    '1based@v5.19-rc1': ['missed-wakeup', 'must'],
    '1based@v6.14': ['pass', 'must'],
    '0based@dan-2022': 'pass',
    '0based@v6.15': ['pass', 'must'],
    'coarse-pin@block': 'pass',
    'coarse-pin@revoke': 'pass',
  }),
};

const releasePagesPut: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'release-pages-put',
    title: 'T1 GUPs P (FOLL_GET); T2 truncates, sleeps; T1 drops P via release_pages',
    source: 'Ira Weiny, "mm/swap: fix release_pages() when releasing devmap pages" (c5d6c45e90c4, v5.3)',
    setup: pinSetup,
    tasks: [dmaTask('dio', 'get'), truncateTask()],
    teardown: pinTeardown,
  },
  expected: expect({
    '1based@v4.5': 'use-after-free',
    '1based@v4.18': ['missed-wakeup', 'must'],
    '1based@v5.19-rc1': 'pass',
    '1based@v6.14': ['pass', 'must'],
    '0based@dan-2022': 'pass',
    '0based@v6.15': 'pass',
    'coarse-pin@block': 'pass',
    'coarse-pin@revoke': 'pass',
  }),
};

const truncateDuringDma: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'truncate-during-dma',
    title:
      'T1 pins P and starts DMA; T2 truncates; T3 allocates the block to another file; the DMA completes',
    source: 'seed 001 (2015 series): v4.5 had no DMA-vs-truncate wait',
    setup: pinSetup,
    tasks: [reuseTask(), dmaTask('dma', 'pin'), truncateTask()],
    teardown: pinTeardown,
  },
  expected: expect({
    '1based@v4.5': ['dma-corruption', 'must'],
    '1based@v4.18': 'pass',
    '1based@v5.19-rc1': 'missed-wakeup',
    '1based@v6.14': ['pass', 'must'],
    '0based@dan-2022': 'pass',
    '0based@v6.15': ['pass', 'must'],
    'coarse-pin@block': 'pass',
    'coarse-pin@revoke': 'pass',
  }),
};

const munmapThenTruncate: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'munmap-then-truncate-dma',
    title:
      'T1 mmaps, pins P, starts DMA, munmaps; T2 truncates (mapping_mapped() is false); T3 reuses the block; the DMA lands',
    source: 'dax_layout_busy_page_range() mapping_mapped() shortcut (pre-6.15); seed 000',
    setup: pinSetup,
    tasks: [reuseTask(), dmaTask('dma', 'pin', { munmap: true }), truncateTask()],
    teardown: pinTeardown,
  },
  expected: expect({
    '1based@v4.5': 'dma-corruption',
    '1based@v4.18': 'dma-corruption',
    '1based@v5.19-rc1': 'dma-corruption',
    '1based@v6.14': ['dma-corruption', 'must'],
    '0based@dan-2022': 'pass',
    '0based@v6.15': ['pass', 'must'],
    'coarse-pin@block': ['dma-corruption', 'must'],
    'coarse-pin@revoke': 'dma-corruption',
  }),
};

const evictDuringDma: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'evict-during-dma',
    title:
      'T1 pins P, drops its mapping and DMAs; T2 unlinks and closes the file; the inode is evicted; T3 reuses the block; the DMA lands',
    source: 'evict / unmount had no break_layouts before 6.15 (dax_break_layout_final)',
    setup: pinSetup,
    tasks: [
      reuseTask(),
      {
        name: 'dma',
        body: owning(
          (c: PinCtx) => c.map.mm,
          function* (k, t, c) {
            const r = yield* pinUserPagesFast(k, t, c.map.mm, c.map.addr, 1, FOLL_WRITE);
            const m = r.err < 0 ? null : c.w.dma.map(r.pfns);
            yield* munmap(k, t, c.map.mm, c.map.addr, c.map.length);
            c.unmapped = true;
            k.waits.wake('evict-during-dma:unmapped');
            if (m === null) return;
            yield* dmaWrite(c.w, t, m);
            c.w.dma.unmap(m);
            unpinUserPages(k, t, r.pfns);
          },
        ),
      },
      {
        name: 'unlink',
        *body(k, t, c: PinCtx) {
          // The last reference must be this task's, so the eviction runs here, not in T1.
          yield* k.waits.wait(t, 'evict-during-dma:unmapped', () => c.unmapped, 'T1 has dropped its mapping');
          yield* c.w.fs.unlink(k, t, c.map.file);
          yield* c.w.fs.close(k, t, c.map.file);
          released(k, c);
        },
      },
    ],
    teardown: pinTeardown,
  },
  expected: expect({
    '1based@v4.5': 'dma-corruption',
    '1based@v4.18': 'dma-corruption',
    '1based@v6.14': ['dma-corruption', 'must'],
    '0based@v6.15': ['pass', 'must'],
    'coarse-pin@block': 'dma-corruption',
  }),
};

interface UnbindCtx {
  w: DaxWorld;
  map: Mapping;
  gone: boolean;
}

const unbindWhileMapped: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'unbind-while-mapped',
    title:
      'T1 keeps a DAX mapping open and idle and closes it only once the device is gone; an admin unbinds the device',
    source:
      'seed 001: "pmem as memory" (pin while any vma is open) vs "pmem as storage device" (revoke on unbind)',
    setup(k: Kernel): UnbindCtx {
      const w = daxWorld(k);
      return { w, map: mapFile(w, 'f', 1), gone: false };
    },
    tasks: [
      {
        name: 'mapper',
        body: owning(
          (c: UnbindCtx) => c.map.mm,
          function* (k, t, c) {
            // Idle in user space (a pause()-like interruptible sleep): a SIGKILL ends it and the
            // process exits on its way back to user space.
            yield* syscall(
              t,
              k.waits.wait(t, 'unbind:gone', () => c.gone, 'the device to be gone', {
                fn: 'pause',
                state: 'interruptible',
              }),
            );
            yield* exitMmap(k, t, c.map.mm);
            yield* c.w.fs.close(k, t, c.map.file);
          },
          (c) => [{ fs: c.w.fs, file: c.map.file }],
        ),
      },
      {
        name: 'admin',
        *body(k, t, c: UnbindCtx) {
          yield* unbindNamespace(k, t, c.w.ns);
          c.gone = true;
          k.waits.wake('unbind:gone');
        },
      },
    ],
  },
  expected: expect({
    '1based@v6.14': ['pass', 'must'],
    '0based@v6.15': ['pass', 'must'],
    'coarse-pin@block': ['unbind-hang', 'must'],
    'coarse-pin@revoke': ['pass', 'must'],
  }),
};

const unbindWhilePinned: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'unbind-while-pinned',
    title: 'T1 pins P and munmaps; an admin unbinds; T1 later unpins and its DMA completes',
    source:
      'memunmap_pages() waits only for the pgmap ref since v5.18; "mm/devm_memremap_pages: fix final page put race" (2019)',
    setup(k: Kernel): UnbindCtx {
      const w = daxWorld(k);
      return { w, map: mapFile(w, 'f', 1), gone: false };
    },
    tasks: [
      {
        name: 'dma',
        body: owning(
          (c: UnbindCtx) => c.map.mm,
          function* (k, t, c) {
            const r = yield* pinUserPagesFast(k, t, c.map.mm, c.map.addr, 1, FOLL_WRITE);
            yield* munmap(k, t, c.map.mm, c.map.addr, c.map.length);
            if (r.err < 0) return;
            const m = c.w.dma.map(r.pfns);
            yield* dmaWrite(c.w, t, m);
            c.w.dma.unmap(m);
            unpinUserPages(k, t, r.pfns);
          },
        ),
      },
      {
        name: 'admin',
        *body(k, t, c: UnbindCtx) {
          yield* unbindNamespace(k, t, c.w.ns);
          c.gone = true;
        },
      },
    ],
  },
  expected: expect({
    '1based@v4.5': 'pass',
    '1based@v6.14': 'use-after-free',
    '0based@v6.15': 'use-after-free',
    'coarse-pin@block': 'use-after-free',
  }),
};

interface GupCtx {
  w: DaxWorld;
  map: Mapping;
  got: number[];
}

const gupOnZeroRef: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'gup-on-zero-ref',
    title: 'P is mapped by a fault; T1 GUPs it',
    source: 'seed 003 (Ralph Campbell): ZONE_DEVICE pages inserted with a zero refcount',
    setup(k: Kernel): GupCtx {
      const w = daxWorld(k);
      return { w, map: mapFile(w, 'f', 1), got: [] };
    },
    tasks: [
      {
        name: 'gup',
        *body(k, t, c: GupCtx) {
          const r = yield* getUserPagesFast(k, t, c.map.mm, c.map.addr, 1);
          c.got.push(...r.pfns);
          releasePages(k, t, r.pfns);
        },
      },
    ],
    *teardown(k: Kernel, t: Task, c: GupCtx) {
      yield* fullTeardown(k, t, c.w, [c.map.mm], [c.map.file]);
    },
  },
  expected: expect({
    '1based@v6.14': 'pass',
    '0based@v6.15': ['pass', 'must'],
    '0based@ralph-rfc': ['vm-bug-on', 'must'],
  }),
};

const getHolderVsPinWait: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'get-holder-vs-pin-wait',
    title: 'T1 GUPs P with FOLL_GET (not a pin) and keeps using it; T2 truncates; T3 reuses the block',
    source:
      'seed 000: v1 of the 2022 series waited for !page_maybe_dma_pinned(), which a FOLL_GET holder slips past',
    setup: pinSetup,
    tasks: [reuseTask(), dmaTask('dio', 'get'), truncateTask()],
    teardown: pinTeardown,
  },
  expected: expect({
    '1based@v4.18': 'missed-wakeup',
    '1based@v6.14': 'pass',
    '0based@dan-2022-pin-only': 'dma-corruption',
    '0based@v6.15': 'pass',
  }),
};

const tlbGatherWindow: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'tlb-gather-window',
    title: 'T1 munmaps P (its reference drops only after the TLB flush); T2 truncates concurrently',
    source:
      'seed 000 (Jason Gunthorpe): __tlb_remove_page → tlb_batch_pages_flush → free_pages_and_swap_cache',
    // The page is mapped clean (a read fault of written data): a dirty file PTE is zapped with
    // delay_rmap + force_flush, which closes the window this scenario is about.
    setup(k: Kernel): PinCtx {
      const w = daxWorld(k);
      const file = w.fs.create('f', 4096);
      settle(w.fs.pwrite(k, w.boot, file, 0, payload(4096, 0x11)), 'pwrite');
      const map = mapExisting(w, file);
      return { w, map, other: w.fs.create('g'), unmapped: false, released: false };
    },
    tasks: [
      {
        name: 'munmap',
        *body(k, t, c: PinCtx) {
          yield* munmap(k, t, c.map.mm, c.map.addr, c.map.length);
        },
      },
      truncateTask(),
    ],
    teardown: pinTeardown,
  },
  expected: expect({ '1based@v6.14': 'pass', '0based@v6.15': ['pass', 'must'] }),
};

interface ForkCtx extends UnbindCtx {
  done: boolean;
}

const forkSplitVma: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'fork-split-vma',
    title:
      'T1 mmaps, forks, splits the VMA with mprotect; the child exits; T1 munmaps; then the device is unbound',
    source:
      'seed 001: the coarse pin must balance vm_ops->open / ->close across dup_mmap, __split_vma, remove_vma',
    setup(k: Kernel): ForkCtx {
      const w = daxWorld(k);
      return { w, map: mapFile(w, 'f', 4), gone: false, done: false };
    },
    tasks: [
      {
        name: 'proc',
        *body(k, t, c: ForkCtx) {
          const child = yield* fork(k, t, c.map.mm);
          yield* mprotect(k, t, c.map.mm, c.map.addr + 4096, 4096, { write: false });
          yield* userAccess(k, t, child, c.map.addr, false);
          yield* exitMmap(k, t, child);
          yield* munmap(k, t, c.map.mm, c.map.addr, c.map.length);
          yield* c.w.fs.close(k, t, c.map.file);
          c.done = true;
          k.waits.wake('fork:done');
        },
      },
      {
        name: 'admin',
        *body(k, t, c: ForkCtx) {
          yield* k.waits.wait(t, 'fork:done', () => c.done, 'the process to be gone');
          yield* c.w.fs.unmount(k, t); // the filesystem goes first, then the device
          yield* unbindNamespace(k, t, c.w.ns);
          c.gone = true;
        },
      },
    ],
  },
  expected: expect({
    '1based@v6.14': 'pass',
    '0based@v6.15': 'pass',
    'coarse-pin@block': ['pass', 'must'],
    'coarse-pin@revoke': 'pass',
  }),
};

interface ReflinkCtx {
  w: DaxWorld;
  a: Mapping;
  b: Mapping;
  /** Tasks (reader, truncate) that have finished. */
  finished: number;
}

function reflinkSetup(k: Kernel): ReflinkCtx {
  const w = daxWorld(k);
  const src = w.fs.create('a');
  settle(w.fs.pwrite(k, w.boot, src, 0, payload(4096, 0x41)), 'pwrite');
  const dst = w.fs.create('b');
  const r = settle(w.fs.reflink(k, w.boot, src, dst), 'reflink');
  if (r < 0) throw new Error(`reflink failed (${r})`);
  const a = mapExisting(w, src);
  const b = mapExisting(w, dst);
  return { w, a, b, finished: 0 };
}

function mapExisting(w: DaxWorld, file: Inode): Mapping {
  const { k, boot } = w;
  const mm = createMm(k);
  const addr = settle(mmap(k, boot, mm, { file, length: 4096 }), 'mmap');
  const r = settle(userAccess(k, boot, mm, addr, false), 'read fault');
  if (!r.ok) throw new Error(`read fault of ${file.name} failed`);
  return { file, mm, addr, length: 4096 };
}

function* reflinkTeardown(k: Kernel, t: Task, c: ReflinkCtx): KGen {
  yield* fullTeardown(k, t, c.w, [c.a.mm, c.b.mm], [c.a.file, c.b.file]);
}

const needsReflink = (p: Policy) => (p.caps.reflink ? null : 'xfs refused reflink on DAX before v5.19');

/**
 * The reflink race shape: `reader` touches the shared block through file a while file b is
 * truncated; once both are done, a goes too and another file takes and maps the freed block (a
 * stale shared mark would trip `dax_associate_entry`'s WARN).
 */
function reflinkTasks(reader: (k: Kernel, t: Task, c: ReflinkCtx) => KGen): Scenario<ReflinkCtx>['tasks'] {
  const done = (k: Kernel, c: ReflinkCtx) => {
    c.finished++;
    k.waits.wake('reflink:finished');
  };
  return [
    {
      name: 'reader',
      *body(k, t, c) {
        yield* reader(k, t, c);
        done(k, c);
      },
    },
    {
      name: 'truncate',
      *body(k, t, c) {
        yield* c.w.fs.truncate(k, t, c.b.file, 0);
        done(k, c);
      },
    },
    {
      name: 'reuse',
      *body(k, t, c) {
        yield* k.waits.wait(t, 'reflink:finished', () => c.finished === 2, 'the reader and the truncate');
        yield* exitMmap(k, t, c.a.mm);
        yield* c.w.fs.unlink(k, t, c.a.file);
        yield* c.w.fs.close(k, t, c.a.file);
        const g = c.w.fs.create('reuse', 4096);
        const mm = createMm(k);
        const addr = yield* mmap(k, t, mm, { file: g, length: 4096 });
        yield* userAccess(k, t, mm, addr, true, payload(1, 0x22));
        yield* exitMmap(k, t, mm);
        yield* c.w.fs.close(k, t, g);
      },
    },
  ];
}

const reflinkSharedBlock: CatalogueEntry = {
  kind: 'failure',
  applies: needsReflink,
  scenario: {
    id: 'reflink-shared-block',
    title:
      'two files share one block (reflink), both mapped; then one is truncated; then both go and a third file reuses the block',
    source:
      'dax_mapping_set_cow (v5.19), PAGE_MAPPING_DAX_SHARED + page->share (v6.0), dax_folio_make_shared (6.15)',
    setup: reflinkSetup,
    tasks: reflinkTasks(function* (k, t, c) {
      yield* userAccess(k, t, c.a.mm, c.a.addr, false);
    }),
    teardown: reflinkTeardown,
  },
  expected: expect({
    '1based@v4.5': 'n/a',
    '1based@v4.18': 'n/a',
    '1based@v5.19-rc1': 'pass',
    '1based@v6.14': ['pass', 'must'],
    '0based@v6.15': ['pass', 'must'],
  }),
};

const reflinkTruncateRefault: CatalogueEntry = {
  kind: 'failure',
  applies: needsReflink,
  scenario: {
    id: 'reflink-truncate-refault',
    title:
      'two files share one block (reflink), both mapped; one is truncated while the other drops its mapping and faults the block in again',
    source:
      "model prediction, not in DOMAIN §6: 6.15 wait_page_idle() sleeps for folio_ref_count == 0 (dax_page_is_idle), which the other file's mapping of the shared folio keeps at 1",
    setup: reflinkSetup,
    tasks: reflinkTasks(function* (k, t, c) {
      // drop the mapping and fault the shared block in again: a new association
      yield* munmap(k, t, c.a.mm, c.a.addr, c.a.length);
      const addr = yield* mmap(k, t, c.a.mm, { file: c.a.file, length: c.a.length, addr: c.a.addr });
      yield* userAccess(k, t, c.a.mm, addr, false);
    }),
    teardown: reflinkTeardown,
  },
  expected: expect({ '1based@v6.14': 'pass', '0based@v6.15': 'hang' }),
};

interface LongtermCtx extends GupCtx {
  err: number;
}

const longtermPinRefused: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'longterm-pin-refused',
    title: 'T1 asks for a FOLL_LONGTERM pin on FSDAX',
    source: 'check_vma_flags(): vma_is_fsdax() → -EOPNOTSUPP; 6.15 folio_is_longterm_pinnable()',
    setup(k: Kernel): LongtermCtx {
      const w = daxWorld(k);
      return { w, map: mapFile(w, 'f', 1), got: [], err: 0 };
    },
    tasks: [
      {
        name: 'rdma',
        *body(k, t, c: LongtermCtx) {
          const r = yield* pinUserPagesFast(k, t, c.map.mm, c.map.addr, 1, FOLL_LONGTERM | FOLL_WRITE);
          c.err = r.err;
          c.got.push(...r.pfns);
          unpinUserPages(k, t, r.pfns);
        },
      },
    ],
    check(k: Kernel, c: LongtermCtx) {
      if (c.got.length > 0 || c.err !== -Errno.EOPNOTSUPP) {
        k.report(
          'warn',
          `check_vma_flags: a FOLL_LONGTERM pin of FSDAX memory was granted (err ${c.err}, ${c.got.length} pages)`,
        );
      }
    },
    *teardown(k: Kernel, t: Task, c: LongtermCtx) {
      yield* fullTeardown(k, t, c.w, [c.map.mm], [c.map.file]);
    },
  },
  expected: expect({
    '1based@v4.5': 'pass',
    '1based@v4.18': 'pass',
    '1based@v5.19-rc1': 'pass',
    '1based@v6.14': ['pass', 'must'],
    '0based@dan-2022': 'pass',
    '0based@v6.15': ['pass', 'must'],
    '0based@ralph-rfc': 'pass',
    'coarse-pin@block': 'pass',
    'coarse-pin@revoke': 'pass',
  }),
};

interface LeaseCtx extends PinCtx {
  err: number;
}

const leaseBreak: CatalogueEntry = {
  kind: 'failure',
  applies: (p) =>
    p.caps.leases ? null : 'the design offers no file lease for long-term pins (DOMAIN §5 is opt-in)',
  scenario: {
    id: 'lease-break',
    title: 'T1 takes a lease and long-term pins; T2 truncates → lease break → SIGIO → T1 unpins',
    source: 'seed 004 (John Hubbard, Dave Chinner, 2019): file leases broken by truncate with SIGIO',
    setup(k: Kernel): LeaseCtx {
      return { ...pinSetup(k), err: 0 };
    },
    tasks: [
      {
        name: 'holder',
        body: owning(
          (c: LeaseCtx) => c.map.mm,
          function* (k, t, c) {
            c.w.fs.setLease(k, t, c.map.file);
            const r = yield* pinUserPages(k, t, c.map.mm, c.map.addr, 1, FOLL_LONGTERM | FOLL_WRITE);
            c.err = r.err;
            const release = function* (as: Task) {
              unpinUserPages(k, as, r.pfns);
              if (c.map.file.lease === t) c.w.fs.releaseLease(k, t, c.map.file);
            };
            t.exitHooks.push(release);
            if (r.err === 0) {
              const m = c.w.dma.map(r.pfns);
              // keep the region registered, moving data, until the lease breaks
              while (!t.takeSignal('SIGIO')) {
                yield* dmaWrite(c.w, t, m, 1);
                yield* k.sched.sleep(t, 5);
              }
              c.w.dma.unmap(m);
            }
            t.exitHooks.pop();
            yield* release(t);
          },
        ),
      },
      truncateTask(),
    ],
    teardown: pinTeardown,
  },
  expected: expect({ '0based@v6.15': 'pass' }),
};

// ---- normal workloads: must pass under every default variant ------------------------------------

interface WorkCtx {
  w: DaxWorld;
  maps: Mapping[];
}

function* closeAll(k: Kernel, t: Task, c: WorkCtx): KGen {
  yield* fullTeardown(
    k,
    t,
    c.w,
    c.maps.map((m) => m.mm),
    c.maps.map((m) => m.file),
  );
}

/**
 * A workload's own expectation. When it does not hold and the model has already reported a
 * violation, that violation is the verdict and the workload stops (returns false); when it does
 * not hold with nothing reported, the workload or the model is wrong: that is an error.
 */
function ensure(k: Kernel, cond: boolean, what: string): boolean {
  if (cond) return true;
  if (k.violations.length > 0) return false;
  throw new Error(`workload check failed: ${what}`);
}

interface FaultCtx extends WorkCtx {
  /** A 1 GiB-aligned device-dax namespace mapped whole (fsdax has no PUD faults). */
  devdax: { mm: Mm; addr: number; ns: PmemNamespace };
}

const faultRwBasic: CatalogueEntry = {
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

const gupPinUnpin: CatalogueEntry = {
  kind: 'workload',
  scenario: {
    id: 'gup-pin-unpin',
    title: 'pin and unpin 1, 123 and 512 pages over PTE and PMD mappings',
    source: 'the kernel gup_test (tools/testing/selftests/mm/gup_test.c)',
    setup(k: Kernel): WorkCtx {
      const w = daxWorld(k);
      return { w, maps: [mapFile(w, 'pte', 512, { ptes: true }), mapFile(w, 'pmd', 512)] };
    },
    tasks: [
      {
        name: 'gup',
        *body(k, t, c: WorkCtx) {
          for (const m of c.maps) {
            for (const n of [1, 123, 512]) {
              const r = yield* pinUserPagesFast(k, t, m.mm, m.addr, n, FOLL_WRITE);
              if (!ensure(k, r.err === 0 && r.pfns.length === n, `pin of ${n} pages over ${m.file.name}`))
                return;
              unpinUserPages(k, t, r.pfns);
            }
          }
        },
      },
    ],
    teardown: closeAll,
  },
  expected: workloadExpect(),
};

const truncateIdle: CatalogueEntry = {
  kind: 'workload',
  scenario: {
    id: 'truncate-idle',
    title: 'truncate a mapped file whose pages nobody holds',
    source: 'xfs_break_layouts() on idle pages',
    setup(k: Kernel): WorkCtx {
      const w = daxWorld(k);
      return { w, maps: [mapFile(w, 'f', 8)] };
    },
    tasks: [
      {
        name: 'truncate',
        *body(k, t, c: WorkCtx) {
          if (!ensure(k, (yield* c.w.fs.truncate(k, t, c.maps[0]!.file, 0)) === 0, 'truncate')) return;
        },
      },
    ],
    teardown: closeAll,
  },
  expected: workloadExpect(),
};

const unbindIdle: CatalogueEntry = {
  kind: 'workload',
  scenario: {
    id: 'unbind-idle',
    title: 'unmount, then unbind a device whose files are closed and unmapped',
    source: 'ndctl disable-namespace',
    setup(k: Kernel): WorkCtx {
      const w = daxWorld(k);
      const m = mapFile(w, 'f', 4);
      settle(exitMmap(k, w.boot, m.mm), 'exit');
      settle(w.fs.close(k, w.boot, m.file), 'close');
      return { w, maps: [] };
    },
    tasks: [
      {
        name: 'admin',
        *body(k, t, c: WorkCtx) {
          // the admin's sequence: umount, then ndctl disable-namespace
          if (!ensure(k, (yield* c.w.fs.unmount(k, t)) === 0, 'umount')) return;
          yield* unbindNamespace(k, t, c.w.ns);
          if (!ensure(k, c.w.ns.state === 'idle', 'the namespace is unbound')) return;
        },
      },
    ],
  },
  expected: workloadExpect(),
};

const forkPmd: CatalogueEntry = {
  kind: 'workload',
  scenario: {
    id: 'fork-pmd',
    title: 'fork with a PMD mapped; the child reads it and exits',
    source: 'ndctl dax-pmd "fork with a PMD mapped"; copy_huge_pmd() skips file PMDs',
    setup(k: Kernel): WorkCtx {
      const w = daxWorld(k);
      return { w, maps: [mapFile(w, 'f', 512)] };
    },
    tasks: [
      {
        name: 'parent',
        *body(k, t, c: WorkCtx) {
          const m = c.maps[0]!;
          if (!ensure(k, m.mm.pt.lookup(m.addr)?.level === 'pmd', 'the parent maps a PMD')) return;
          const child = yield* fork(k, t, m.mm);
          const r = yield* userAccess(k, t, child, m.addr + 7 * 4096, false);
          if (
            !ensure(
              k,
              r.ok && (r as { data: Uint8Array }).data[0] === 7,
              'the child reads what the parent wrote',
            )
          )
            return;
          yield* exitMmap(k, t, child);
        },
      },
    ],
    teardown: closeAll,
  },
  expected: workloadExpect(),
};

const odirectUnfaulted: CatalogueEntry = {
  kind: 'workload',
  scenario: {
    id: 'odirect-unfaulted',
    title: 'O_DIRECT into a DAX range that was never faulted: GUP faults it in, DMA fills it',
    source: 'ndctl dax.sh (O_DIRECT on unfaulted DAX)',
    setup(k: Kernel): WorkCtx {
      const w = daxWorld(k);
      return { w, maps: [mapFile(w, 'f', 8, { fault: false })] };
    },
    tasks: [
      {
        name: 'dio',
        *body(k, t, c: WorkCtx) {
          const m = c.maps[0]!;
          const r = yield* pinUserPagesFast(k, t, m.mm, m.addr, 8, FOLL_WRITE);
          if (!ensure(k, r.err === 0 && r.pfns.length === 8, 'GUP faults the range in')) return;
          const d = c.w.dma.map(r.pfns);
          yield* c.w.dma.write(t, d, 0, payload(8 * 4096, 0x3c));
          c.w.dma.unmap(d);
          unpinUserPages(k, t, r.pfns);
          const back = yield* userAccess(k, t, m.mm, m.addr + 5 * 4096, false);
          if (
            !ensure(
              k,
              back.ok && (back as { data: Uint8Array }).data[0] === 0x3c,
              'the DMA data is visible through the mapping',
            )
          )
            return;
        },
      },
    ],
    teardown: closeAll,
  },
  expected: workloadExpect(),
};

const poisonPunchHole: CatalogueEntry = {
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

const reflinkCow: CatalogueEntry = {
  kind: 'workload',
  applies: needsReflink,
  scenario: {
    id: 'reflink-cow',
    title: 'reflink a file, write through a mapping of the copy: the write is copied, the original unchanged',
    source: 'xfs_reflink_allocate_cow + dax_iomap_copy_around',
    setup: reflinkSetup,
    tasks: [
      {
        name: 'writer',
        *body(k, t, c: ReflinkCtx) {
          const w = yield* userAccess(k, t, c.b.mm, c.b.addr, true, new Uint8Array([0x42]));
          if (!ensure(k, w.ok, 'write fault on the reflinked copy')) return;
          const a = yield* userAccess(k, t, c.a.mm, c.a.addr, false);
          if (!ensure(k, a.ok && (a as { data: Uint8Array }).data[0] === 0x41, 'the original is unchanged'))
            return;
          if (!ensure(k, c.a.file.blocks.get(0) !== c.b.file.blocks.get(0), 'the copy has its own block'))
            return;
        },
      },
    ],
    teardown: reflinkTeardown,
  },
  expected: workloadExpect(),
};

/** The catalogue, in report order: the failure sequences of DOMAIN §6, then the normal workloads. */
export const CATALOGUE: readonly CatalogueEntry[] = [
  unpinMissedWakeup,
  releasePagesPut,
  truncateDuringDma,
  munmapThenTruncate,
  evictDuringDma,
  unbindWhileMapped,
  unbindWhilePinned,
  gupOnZeroRef,
  getHolderVsPinWait,
  tlbGatherWindow,
  forkSplitVma,
  reflinkSharedBlock,
  reflinkTruncateRefault,
  truncateRefaultWhilePinned,
  longtermPinRefused,
  leaseBreak,
  faultRwBasic,
  gupPinUnpin,
  truncateIdle,
  unbindIdle,
  forkPmd,
  odirectUnfaulted,
  poisonPunchHole,
  reflinkCow,
];

export type { DaxrefError };
