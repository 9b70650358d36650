import {
  createDaxDevice,
  createKernel,
  createMm,
  type DaxDevice,
  DaxFs,
  type DevPagemap,
  exitMmap,
  type Inode,
  type Kernel,
  type KernelOptions,
  type KGen,
  type Mm,
  memunmapPages,
  mmap,
  type Policy,
  PTE_DIRTY,
  type Task,
  userAccess,
} from '@daxref/core';
import { SparseMedia } from './sparse-media';

/** First pfn of the test pmem device (64 GiB physical). */
export const PMEM_PFN = 2 ** 24;

/** A kernel with one pmem namespace bound as fsdax and an xfs-like DAX filesystem on it. */
export interface Rig {
  readonly k: Kernel;
  readonly policy: Policy;
  readonly media: SparseMedia;
  readonly dax: DaxDevice;
  readonly fs: DaxFs;
  readonly pgmap: DevPagemap;
}

/** Builds a `Rig` for `policy` with a device of `pages` pages (default 8192: 32 MiB). */
export function createRig(policy: Policy, pages = 8192, opts: KernelOptions = {}): Rig {
  const k = createKernel({ ...opts, policy });
  const media = new SparseMedia('pmem0', PMEM_PFN, pages);
  let dax: DaxDevice | undefined;
  const boot = k.spawn('boot', function* (t) {
    dax = createDaxDevice(k, t, media);
  });
  k.sched.runTask(boot);
  if (dax === undefined) throw new Error('createRig: device setup did not finish');
  const fs = new DaxFs(k, dax);
  return { k, policy, media, dax, fs, pgmap: dax.pgmap };
}

/** Runs `body` as a fresh task alone until it ends; throws if it blocks (a hand-scheduled step). */
export function runAlone<T>(k: Kernel, name: string, body: (t: Task) => KGen<T>): T {
  let out: T | undefined;
  const t = k.spawn(name, function* (task) {
    out = yield* body(task);
  });
  const st = k.sched.runTask(t);
  if (st !== 'done') throw new Error(`${name} did not finish: ${st} on ${t.blocker?.what ?? '?'}`);
  return out as T;
}

/** Runs `body` as a fresh task until it blocks or ends; returns the task (for later steps). */
export function startTask(k: Kernel, name: string, body: (t: Task) => KGen<unknown>): Task {
  const t = k.spawn(name, body);
  k.sched.runTask(t);
  return t;
}

/**
 * Device unbind as the pmem driver does it: `kill_dax()` (with the v6.6+
 * `dax_holder_notify_failure(MF_MEM_PRE_REMOVE)` first where the design has it), the design's
 * own unbind step, then `memunmap_pages()`.
 */
export function* unbindDevice(k: Kernel, t: Task, dax: DaxDevice): KGen {
  const policy = k.needPolicy('unbind');
  if (policy.caps.notifyPreRemove && dax.holder !== null) {
    yield* dax.holder.notifyFailure(k, t, dax.pgmap.startPfn, dax.pgmap.nrPages, 'pre-remove');
  }
  dax.kill();
  if (policy.unbindPrepare) yield* policy.unbindPrepare(k, t, dax.pgmap);
  yield* memunmapPages(k, t, dax.pgmap);
}

/**
 * Makes `t` the owner of `mm` by the model's convention: `t.locals.mm` names the task's address
 * space, and an exit hook tears it down (`exit_mmap`) if the task is killed.
 */
export function adoptMm(k: Kernel, t: Task, mm: Mm): void {
  t.locals.mm = mm;
  t.exitHooks.push(function* (exit) {
    yield* exitMmap(k, exit, mm);
  });
}

/** A file of `size` bytes mapped MAP_SHARED into a fresh mm, with the first page write-faulted. */
export interface Mapped {
  readonly file: Inode;
  readonly mm: Mm;
  readonly addr: number;
  /** The pfn of file page 0. */
  readonly pfn: number;
}

/** Creates `name`, maps it whole into a new mm and writes its first byte (a write fault). */
export function mapFile(rig: Rig, name: string, size = 4 * 4096, mm?: Mm): Mapped {
  const { k, fs } = rig;
  const file = fs.create(name, size);
  const m = mm ?? createMm(k);
  const addr = runAlone(k, `mmap ${name}`, (t) => mmap(k, t, m, { file, length: size }));
  if (addr < 0) throw new Error(`mmap ${name} failed: ${addr}`);
  const r = runAlone(k, `touch ${name}`, (t) => userAccess(k, t, m, addr, true, new Uint8Array([0x5a])));
  if (!r.ok) throw new Error(`write fault on ${name} failed: ${r.signal}`);
  return { file, mm: m, addr, pfn: file.pfnOf(0) };
}

/**
 * Cleans the PTE of a mapping's first page, as writeback does after an fsync (`dax_entry_mkclean`
 * → `pfn_mkclean_range`). Only a clean file PTE is zapped with its put deferred to
 * `tlb_finish_mmu()`; a dirty one goes with `delay_rmap` + `force_flush` inside the zap.
 */
export function cleanPte(m: Mapped): void {
  const leaf = m.mm.pt.lookup(m.addr);
  if (leaf !== null) m.mm.pt.setBits(leaf.start, leaf.bits & ~PTE_DIRTY);
}
