// A fuzz workload as a core Scenario: the setup binds a namespace, creates and fills the files and
// maps each into every task's process; each task runs its op list; a full teardown follows, so the
// reference ledger catches a leak.
import {
  createMm,
  exitMmap,
  FOLL_WRITE,
  fork,
  getUserPagesFast,
  type Inode,
  type Kernel,
  type KGen,
  type Mm,
  mmap,
  munmap,
  pinUserPagesFast,
  releasePages,
  type Scenario,
  type Task,
  unpinUserPages,
  userAccess,
} from '@daxref/core';
import { type DmaMapping, unbindNamespace } from '@daxref/hw-pmem';
import { type DaxWorld, daxWorld, payload, settle } from '../scenarios/world';
import { describeOps, encodeWorkload, FILE_PAGES, type FuzzOp, type Workload } from './workload';

const FILE_BYTES = FILE_PAGES * 4096;
/** Where file `f` is mapped in every process: fixed, so a re-mmap lands on the same addresses. */
const MAP_BASE = 0x1000_0000;
const MAP_STRIDE = 0x100_0000;
/** Step budget of one schedule: workloads are a few dozen steps; anything near this is a livelock. */
const MAX_STEPS = 20_000;

/** A GUP reference a task holds: the pages, and their DMA mapping. */
export interface Held {
  readonly pin: boolean;
  readonly pfns: readonly number[];
  readonly dma: DmaMapping | null;
}

/** One fuzz task's process: its mm, what it holds, and the DMA mapping of its latest reference. */
export interface TaskState {
  readonly mm: Mm;
  readonly mapped: boolean[];
  readonly held: Held[];
  readonly children: Mm[];
}

/** The per-run context of a fuzz scenario. */
export interface FuzzCtx {
  readonly w: DaxWorld;
  readonly files: readonly Inode[];
  readonly tasks: readonly TaskState[];
  /** Set once a task has unbound the namespace. */
  unbound: boolean;
}

const mapAddr = (f: number) => MAP_BASE + f * MAP_STRIDE;

function release(k: Kernel, t: Task, c: FuzzCtx, h: Held): void {
  if (h.dma !== null) c.w.dma.unmap(h.dma);
  if (h.pin) unpinUserPages(k, t, [...h.pfns]);
  else releasePages(k, t, [...h.pfns]);
}

/** Runs one op as task `t` (index `ti`); a failing syscall is the workload's business, not an error. */
function* runOp(k: Kernel, t: Task, c: FuzzCtx, ti: number, o: FuzzOp): KGen {
  const s = c.tasks[ti]!;
  const f = o.f ?? 0;
  const file = c.files[f]!;
  const addr = mapAddr(f) + (o.p ?? 0) * 4096;
  switch (o.op) {
    case 'mmap':
      if (!s.mapped[f])
        s.mapped[f] = (yield* mmap(k, t, s.mm, { file, length: FILE_BYTES, addr: mapAddr(f) })) >= 0;
      return;
    case 'munmap':
      if (s.mapped[f]) {
        yield* munmap(k, t, s.mm, mapAddr(f), FILE_BYTES);
        s.mapped[f] = false;
      }
      return;
    case 'fault':
      yield* userAccess(k, t, s.mm, addr, o.w === true, o.w ? payload(1, 0x30 + ti) : undefined);
      return;
    case 'get':
    case 'pin': {
      const pin = o.op === 'pin';
      const r = pin
        ? yield* pinUserPagesFast(k, t, s.mm, addr, 1, FOLL_WRITE)
        : yield* getUserPagesFast(k, t, s.mm, addr, 1, FOLL_WRITE);
      // The NIC maps what GUP returned. An unbind that finished while this task was in GUP
      // (memunmap_pages waits for the pgmap ref only) removed the struct pages under it: there is
      // nothing to map, and the release of the stale pin reports the use-after-free.
      const live = r.pfns.length > 0 && r.pfns.every((pfn) => k.memmap.valid(pfn));
      s.held.push({ pin, pfns: r.pfns, dma: live ? c.w.dma.map(r.pfns) : null });
      return;
    }
    case 'dma': {
      const h = s.held[s.held.length - 1];
      if (h?.dma) yield* c.w.dma.write(t, h.dma, 0, payload(2 * c.w.dma.chunkBytes, 0xd0 + ti));
      return;
    }
    case 'put': {
      const h = s.held.pop();
      if (h !== undefined) release(k, t, c, h);
      return;
    }
    case 'trunc':
      // truncate to 0, then back to size: a later fault or write allocates fresh blocks
      yield* c.w.fs.truncate(k, t, file, 0);
      yield* c.w.fs.truncate(k, t, file, FILE_BYTES);
      return;
    case 'punch':
      yield* c.w.fs.punchHole(k, t, file, (o.p ?? 0) * 4096, 4096);
      return;
    case 'write':
      yield* c.w.fs.pwrite(k, t, file, (o.p ?? 0) * 4096, payload(4096, 0x70 + ti));
      return;
    case 'fork':
      s.children.push(yield* fork(k, t, s.mm));
      return;
    case 'reflink':
      yield* c.w.fs.reflink(k, t, file, c.files[o.g ?? 0]!);
      return;
    case 'unbind':
      yield* unbindNamespace(k, t, c.w.ns);
      c.unbound = true;
      return;
  }
}

/** Unmaps what a process (and its children) still map, releasing GUP references first. */
function* exitProcess(k: Kernel, t: Task, c: FuzzCtx, s: TaskState): KGen {
  while (s.held.length > 0) release(k, t, c, s.held.pop()!);
  for (const child of s.children) if (!child.dead) yield* exitMmap(k, t, child);
  if (!s.mm.dead) yield* exitMmap(k, t, s.mm);
}

/**
 * The scenario of a workload. Its id is the workload's encoding, so the id alone rebuilds it
 * (`daxref trace fuzz:…`).
 */
export function fuzzScenario(w: Workload): Scenario<FuzzCtx> {
  const id = encodeWorkload(w);
  const scenario: Scenario<FuzzCtx> = {
    id,
    title: `fuzz workload: ${describeOps(w).join('; ')}`,
    source: 'daxref fuzz (generated)',
    kernel: { maxSteps: MAX_STEPS },
    setup(k: Kernel): FuzzCtx {
      const world = daxWorld(k);
      const files: Inode[] = [];
      for (let f = 0; f < w.files; f++) {
        const file = world.fs.create(`f${f}`, FILE_BYTES);
        settle(world.fs.pwrite(k, world.boot, file, 0, payload(FILE_BYTES, 0x10 + f)), 'pwrite');
        files.push(file);
      }
      const tasks = w.tasks.map(() => {
        const mm = createMm(k);
        for (let f = 0; f < w.files; f++)
          settle(mmap(k, world.boot, mm, { file: files[f]!, length: FILE_BYTES, addr: mapAddr(f) }), 'mmap');
        return { mm, mapped: new Array<boolean>(w.files).fill(true), held: [], children: [] };
      });
      return { w: world, files, tasks, unbound: false };
    },
    tasks: w.tasks.map((ops, ti) => ({
      name: `T${ti}`,
      *body(k: Kernel, t: Task, c: FuzzCtx) {
        const s = c.tasks[ti]!;
        // The process owns its mm from the start (a revoke or memory_failure finds it); if it is
        // killed, its exit releases its references and tears the mm down.
        t.locals.mm = s.mm;
        t.exitHooks.push((exit) => exitProcess(k, exit, c, s));
        for (const o of ops) yield* runOp(k, t, c, ti, o);
        for (const child of s.children) if (!child.dead) yield* exitMmap(k, t, child);
      },
    })),
  };
  // A workload that unbinds the device has no full teardown (as the catalogue's unbind
  // scenarios): the filesystem outlived its device, and unmounting it is not a normal path.
  if (w.tasks.some((ops) => ops.some((o) => o.op === 'unbind'))) return scenario;
  return {
    ...scenario,
    *teardown(k: Kernel, t: Task, c: FuzzCtx) {
      for (const s of c.tasks) yield* exitProcess(k, t, c, s);
      for (const f of c.files) while (f.refs > 0) yield* c.w.fs.close(k, t, f);
      yield* c.w.fs.unmount(k, t);
    },
  };
}

/** An op as a TypeScript object literal: `{ op: 'pin', f: 0, p: 1 }`. */
function opLiteral(o: FuzzOp): string {
  const fields = Object.entries(o).map(([k, v]) => `${k}: ${typeof v === 'string' ? `'${v}'` : String(v)}`);
  return `{ ${fields.join(', ')} }`;
}

/**
 * A workload as catalogue-style TypeScript: a scenario a user can paste into a scenario file of
 * their own (it uses bench's fuzz helpers, so it stays in step with the generator's semantics).
 */
export function scenarioSource(w: Workload, name: string): string {
  const lines = [
    `// ${describeOps(w).join('; ')}`,
    `import { fuzzScenario } from '@daxref/bench';`,
    '',
    `export const ${name} = fuzzScenario({`,
    `  files: ${w.files},`,
    '  tasks: [',
    ...w.tasks.map((ops) => `    [${ops.map(opLiteral).join(', ')}],`),
    '  ],',
    '});',
  ];
  return `${lines.join('\n')}\n`;
}
