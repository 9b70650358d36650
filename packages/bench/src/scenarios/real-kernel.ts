// How each catalogue scenario runs on a real kernel (`daxref oracle`), keyed by scenario id.

/** One run of the guest program (`daxtest`) that checks a scenario on a real kernel. */
export interface GuestRun {
  /** The result id in results/oracle.json: the scenario id, or a related form of it. */
  id: string;
  /** The daxtest subcommand. */
  test: string;
  /** key=value arguments. */
  args: string[];
  /** Format xfs with rmapbt=1 (without it xfs ignores MF_MEM_PRE_REMOVE). */
  rmapbt: boolean;
  /** It unbinds the namespace: a boot of its own (`own`), or the last test of the shared boot (`last`). */
  boot: 'shared' | 'last' | 'own';
  /** In-guest watchdog, seconds. */
  timeoutSec: number;
  /** A race found by repetition: the bound on tries; null for a deterministic run. */
  maxTries: number | null;
  /** What the run does, in one line. */
  how: string;
}

/** A scenario's real-kernel declaration: its runs, or why user space cannot drive it. */
export interface RealKernelDecl {
  runs: GuestRun[];
  /** Set when `runs` is empty. */
  why?: string;
}

const run = (id: string, how: string, o: Partial<GuestRun> = {}): GuestRun => ({
  id,
  test: id,
  args: [],
  rmapbt: false,
  boot: 'shared',
  timeoutSec: 60,
  maxTries: null,
  how,
  ...o,
});

const DMA = 'an O_DIRECT AIO read from dm-delay (5 s) into a page of the DAX mapping';

/** Every catalogue scenario's real-kernel declaration. */
export const REAL_KERNEL: Readonly<Record<string, RealKernelDecl>> = {
  'longterm-pin-refused': {
    runs: [
      run(
        'longterm-pin-refused',
        'IORING_REGISTER_BUFFERS and AF_XDP XDP_UMEM_REG (FOLL_LONGTERM) on an fsdax page; anon and shmem controls',
      ),
    ],
  },
  'reflink-shared-block': {
    runs: [
      run(
        'reflink-shared-block',
        'two FICLONE-shared files map the block by read faults; truncate b then a; any WARN fails',
      ),
    ],
  },
  'fault-rw-basic': {
    runs: [run('fault-rw-basic', 'read and write faults over a 4 MiB DAX file; the data round-trips')],
  },
  'gup-pin-unpin': {
    runs: [
      run(
        'gup-pin-unpin',
        'a synchronous O_DIRECT write from the mapped DAX page (pin, unpin); truncate then does not wait',
      ),
    ],
  },
  'truncate-idle': { runs: [run('truncate-idle', 'map, write, munmap, truncate: no wait')] },
  'odirect-unfaulted': {
    runs: [
      run(
        'odirect-unfaulted',
        'a synchronous O_DIRECT read into an unfaulted DAX mapping (GUP faults it in)',
      ),
    ],
  },
  'fork-pmd': { runs: [run('fork-pmd', 'a 2 MiB-aligned DAX mapping, fork; the child reads and writes it')] },
  'reflink-cow': {
    runs: [
      run('reflink-cow', "a write through b's mapping of a FICLONE-shared block copies it; a keeps its data"),
    ],
  },
  'truncate-during-dma': {
    runs: [
      run(
        'truncate-during-dma',
        `${DMA}; ftruncate while mapped; a sleeper still asleep 5 s after the DMA gets SIGUSR1 (missed wake-up test)`,
      ),
    ],
  },
  'munmap-then-truncate-dma': {
    runs: [
      run(
        'munmap-then-truncate-dma',
        `${DMA}; munmap, ftruncate, reuse the block; its new owner must not receive the DMA`,
      ),
    ],
  },
  'get-holder-munmap-truncate': {
    runs: [
      run(
        'get-holder-munmap-truncate',
        "the read-side twin: a vmsplice (FOLL_GET) holder, munmap, ftruncate, reuse; the pipe must not return the next owner's data",
      ),
    ],
  },
  'evict-during-dma': {
    runs: [run('evict-during-dma', `${DMA}; munmap, unlink, close (evict), reuse the block`)],
  },
  'get-holder-vs-pin-wait': {
    runs: [
      run(
        'get-holder-vs-pin-wait',
        'vmsplice holds the mapped DAX page (FOLL_GET); ftruncate must wait until the pipe is read',
      ),
    ],
  },
  'reflink-truncate-getholder': {
    runs: [
      run(
        'reflink-truncate-getholder',
        "the deterministic form of reflink-truncate-refault: a vmsplice holder through a's mapping while b is truncated",
      ),
    ],
  },
  'reflink-truncate-pinned': {
    runs: [
      run(
        'reflink-truncate-pinned',
        "the deterministic form of reflink-truncate-refault: an O_DIRECT write from a's mapping (FOLL_PIN) while b is truncated",
      ),
    ],
  },
  'reflink-truncate-refault': {
    runs: [
      run(
        'reflink-truncate-refault',
        'the exact scenario: truncate b while a munmaps, re-mmaps and faults the shared block; repeated with randomised timing until a hang or the bound',
        {
          args: ['iterations=2000', 'seconds=45'],
          maxTries: 2000,
        },
      ),
    ],
  },
  'fork-split-vma': {
    runs: [
      run(
        'fork-split-vma',
        'fork with a 4-page DAX mapping, mprotect split in the child, exit, munmap, umount, unbind',
        { boot: 'last' },
      ),
    ],
  },
  'unbind-while-mapped': {
    runs: [],
    why: "the model's form is DOMAIN's design question (rmapbt on a one-AG filesystem); the real runs use mkfs.xfs's default four AGs: unbind-while-mapped-rmapbt and unbind-while-mapped-no-rmapbt",
  },
  'unbind-while-mapped-rmapbt': {
    runs: [
      run(
        'unbind-while-mapped-rmapbt',
        'rmapbt=1 (the pre-remove path), four AGs: a mapper stays idle, the admin unbinds, the mapper reads and writes',
        {
          test: 'unbind-while-mapped',
          rmapbt: true,
          boot: 'own',
          timeoutSec: 45,
        },
      ),
    ],
  },
  'unbind-while-mapped-no-rmapbt': {
    runs: [
      run(
        'unbind-while-mapped-no-rmapbt',
        "the same with rmapbt=0 (xfsprogs 6.1's default: xfs ignores MF_MEM_PRE_REMOVE)",
        {
          test: 'unbind-while-mapped',
          boot: 'own',
          timeoutSec: 45,
        },
      ),
    ],
  },
  'unbind-while-pinned': {
    runs: [
      run('unbind-while-pinned', `${DMA}; munmap + close, then unbind while the DMA is in flight`, {
        boot: 'own',
        timeoutSec: 45,
      }),
    ],
  },
  'unbind-idle': {
    runs: [],
    why: 'driven as the end of fork-split-vma: umount, then unbind of the idle namespace (one unbind per boot)',
  },
  'poison-punch-hole': {
    runs: [],
    why: "QEMU's emulated NVDIMM has no error injection (no ARS inject), so no poisoned block to punch",
  },
  'unpin-missed-wakeup': {
    runs: [],
    why: 'the v5.18 unpin path (d8ddc099c6b3); truncate-during-dma drives the same wait and reports missed-wakeup on a kernel that has the bug',
  },
  'release-pages-put': {
    runs: [],
    why: 'release_pages() of v4.18-v5.2; truncate-during-dma drives the same wait and reports missed-wakeup on a kernel that has the bug',
  },
  'gup-on-zero-ref': {
    runs: [],
    why: 'needs a GUP to find a page whose refcount is already 0 inside the kernel; no user-space sequence reaches it with bounded tries',
  },
  'tlb-gather-window': {
    runs: [],
    why: 'the window between the rmap removal and the TLB flush inside one zap is not observable from user space',
  },
  'truncate-refault-while-pinned': {
    runs: [],
    why: 'no guest subcommand yet; reflink-truncate-pinned drives the same 6.15+ wait_page_idle() behind a re-established mapping',
  },
  'fsync-truncate-dma': {
    runs: [],
    why: "no guest subcommand yet: the race needs fsync's entry lock held exactly while the busy scan passes, which needs a repetition loop the guest does not have",
  },
  'virtiofs-evict-dax': {
    runs: [],
    why: 'needs a virtiofs DAX window (virtiofsd and vhost-user-fs); the oracle boots an emulated NVDIMM only',
  },
  'dax-folio-split-stale-order': {
    runs: [],
    why: "a 6.15-rc bug fixed before 6.15 was released; Debian's archive has no 6.15-rc kernel to boot",
  },
  'lease-break': {
    runs: [],
    why: 'models the proposed fsdax lease break (seed 004); no kernel implements it',
  },
};

/** The result ids of every real-kernel run, in declaration order. */
export const REAL_KERNEL_RUN_IDS: readonly string[] = Object.values(REAL_KERNEL).flatMap((d) =>
  d.runs.map((r) => r.id),
);

/** The catalogue scenario a run id belongs to. */
export function scenarioOfRun(runId: string): string | null {
  for (const [sc, d] of Object.entries(REAL_KERNEL)) if (d.runs.some((r) => r.id === runId)) return sc;
  return null;
}
