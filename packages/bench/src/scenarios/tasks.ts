import {
  BLOCK,
  bioReleasePages,
  exitMmap,
  FOLL_WRITE,
  getUserPagesFast,
  type Inode,
  type Kernel,
  type KGen,
  type Mm,
  munmap,
  pinUserPagesFast,
  releasePages,
  type Scenario,
  type Task,
  unpinUserPages,
} from '@daxref/core';
import type { DmaMapping } from '@daxref/hw-pmem';
import { type DaxWorld, daxWorld, type Mapping, mapFile, payload } from './world';

/**
 * A task body for a process that owns `mm` from the start: `task.locals.mm` is set when the task
 * is spawned, before any task runs, so a revoke or `memory_failure` that looks for the mappers of
 * a VMA (`kill_procs` walks the tasks whose mm it is) finds this one whatever the schedule; and
 * if it is killed, its exit (`do_exit` → `exit_mm`, `exit_files`) tears the mm down and closes
 * `files`.
 */
export function owning<C>(
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
export function* dmaWrite(w: DaxWorld, t: Task, m: DmaMapping, chunks = 4): KGen {
  yield* w.dma.write(t, m, 0, payload(Math.min(chunks * w.dma.chunkBytes, m.length)));
}

/** The context most failure scenarios share: one page of `f`, mapped by the DMA task's process, and a second file for reuse. */
export interface PinCtx {
  w: DaxWorld;
  map: Mapping;
  other: Inode;
  /** Set once the DMA task has dropped its mapping (evict-during-dma). */
  unmapped: boolean;
  /** Set once the file's blocks were released (truncate or evict finished). */
  released: boolean;
}

/** Setup of the pin scenarios: a world, file `f` of one page mapped and faulted, and file `g` for reuse. */
export function pinSetup(k: Kernel): PinCtx {
  const w = daxWorld(k);
  const map = mapFile(w, 'f', 1);
  const other = w.fs.create('g');
  return { w, map, other, unmapped: false, released: false };
}

/**
 * Full teardown: unmap what is still mapped, close the files and unmount (evicting every inode),
 * so every reference the scenario took must have been dropped; what is left is a `leak`.
 */
export function* fullTeardown(
  k: Kernel,
  t: Task,
  w: DaxWorld,
  mms: readonly Mm[],
  files: readonly Inode[],
): KGen {
  for (const mm of mms) if (!mm.dead) yield* exitMmap(k, t, mm);
  for (const f of files) while (f.refs > 0) yield* w.fs.close(k, t, f);
  const r = yield* w.fs.unmount(k, t);
  if (r < 0) throw new Error(`teardown: unmount failed (${r})`);
}

/** Teardown shared by the pin scenarios. */
export function* pinTeardown(k: Kernel, t: Task, c: PinCtx): KGen {
  yield* fullTeardown(k, t, c.w, [c.map.mm], [c.map.file, c.other]);
}

/**
 * Waits until `cond` holds or, when nothing else can run any more, gives up (a timed wait): a
 * task that reacts to another's progress without hanging the run if that progress never comes.
 * The timer fires only once no other task can run, so a wake with `cond` still false is the
 * timeout; the run is then marked inconclusive (never a pass) and the task carries on.
 */
export function* waitOrTimeout(k: Kernel, t: Task, key: string, cond: () => boolean, what: string): KGen {
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
export function reuseTask(): Scenario<PinCtx>['tasks'][number] {
  return {
    name: 'reuse',
    *body(k, t, c) {
      yield* waitOrTimeout(k, t, 'released', () => c.released, "the file's blocks to be released");
      yield* c.w.fs.pwrite(k, t, c.other, 0, payload(4096, 0x77));
    },
  };
}

/** Marks the file's blocks released and wakes `reuseTask` (call it when truncate or evict returns). */
export function released(k: Kernel, c: PinCtx): void {
  c.released = true;
  k.waits.wake('released');
}

/** The truncate task of the pin scenarios: truncates the file to 0 (waiting in `break_layouts`), then `released`. */
export function truncateTask(): Scenario<PinCtx>['tasks'][number] {
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
 * FOLL_GET, as vmsplice / older O_DIRECT did; `bio`: an O_DIRECT bio, pinned as 6.5+
 * `iov_iter_extract_pages()` does and released by `__bio_release_pages()`), optionally drop
 * the mapping first (`munmap`), move data in chunks (`read`: out of the page, as a pipe or an
 * O_DIRECT write does; else into it), then release the page through the matching path.
 */
export function dmaTask(
  name: string,
  gup: 'pin' | 'get' | 'bio',
  opts: { munmap?: boolean; read?: boolean } = {},
): Scenario<PinCtx>['tasks'][number] {
  return {
    name,
    body: owning(
      (c: PinCtx) => c.map.mm,
      function* (k, t, c) {
        const r =
          gup === 'get'
            ? yield* getUserPagesFast(k, t, c.map.mm, c.map.addr, 1, FOLL_WRITE)
            : yield* pinUserPagesFast(k, t, c.map.mm, c.map.addr, 1, FOLL_WRITE);
        if (r.err < 0) return;
        const m = c.w.dma.map(r.pfns);
        if (opts.munmap) yield* munmap(k, t, c.map.mm, c.map.addr, c.map.length);
        if (opts.read) yield* c.w.dma.read(t, m, 0, Math.min(4 * c.w.dma.chunkBytes, m.length));
        else yield* dmaWrite(c.w, t, m);
        c.w.dma.unmap(m);
        if (gup === 'pin') unpinUserPages(k, t, r.pfns);
        else if (gup === 'bio') bioReleasePages(k, t, r.pfns);
        else releasePages(k, t, r.pfns);
      },
    ),
  };
}

/** Context of the unbind scenarios: the world, a mapping, and whether the device is gone. */
export interface UnbindCtx {
  w: DaxWorld;
  map: Mapping;
  gone: boolean;
}

/** Context of the GUP scenarios: the world, a mapping, and the pfns a GUP got. */
export interface GupCtx {
  w: DaxWorld;
  map: Mapping;
  got: number[];
}

/** Context of the fork scenarios: an unbind context plus whether the child finished. */
export interface ForkCtx extends UnbindCtx {
  done: boolean;
}
