import type { Expected } from './scenarios/entry';

/** One outcome seen on a real kernel: the catalogue scenario as the test ran it, and its verdict. */
export interface RealKernelRun {
  /** The kernel as booted (`6.1.176`). */
  readonly kernel: string;
  /** The catalogue scenario that reproduces the test. */
  readonly scenario: string;
  /** The outcome in the catalogue's vocabulary. */
  readonly outcome: Exclude<Expected, 'n/a'>;
  /** What the test printed (the evidence, abridged from the audit). */
  readonly seen: string;
}

/**
 * The source of `REAL_KERNEL_RUNS`: Debian kernels booted under QEMU 7.2 (TCG, 2 vCPUs) with an
 * emulated NVDIMM, fsdax namespace with its memmap on the device, xfs `-m reflink=1` (rmapbt=0
 * unless a row says otherwise) mounted `-o dax=always`; dm-delay at 5 s for DMA.
 */
export const REAL_KERNELS_SOURCE = 'audits/real-kernels.md (2026-12-01)';

const run = (
  kernel: string,
  scenario: string,
  outcome: RealKernelRun['outcome'],
  seen: string,
): RealKernelRun => ({ kernel, scenario, outcome, seen });

const ALL = ['6.1.176', '6.12.95', '6.18.15', '7.3.4'] as const;
const LEGACY = ['6.1.176', '6.12.95'] as const;
const ZERO = ['6.18.15', '7.3.4'] as const;

/**
 * The summary table of `REAL_KERNELS_SOURCE`, one row per kernel and test. A wait that only
 * another process's action or a signal ends (6.15+ `wait_page_idle()` behind a mapping, the
 * 6.2–6.14 GUP unshare livelock) is a `hang`.
 */
export const REAL_KERNEL_RUNS: readonly RealKernelRun[] = Object.freeze([
  ...ALL.map((k) =>
    run(k, 'longterm-pin-refused', 'pass', 'io_uring / AF_XDP pin_user_pages(FOLL_LONGTERM) → -EOPNOTSUPP'),
  ),
  run(
    '6.1.176',
    'truncate-during-dma',
    'missed-wakeup',
    'ftruncate still asleep in xfs_break_dax_layouts 10 s after the DMA; __bio_release_pages() → folio_put_refs()',
  ),
  ...['6.12.95', ...ZERO].map((k) =>
    run(k, 'truncate-during-dma', 'pass', 'truncate returns 2 ms after the DMA completes'),
  ),
  ...LEGACY.map((k) =>
    run(
      k,
      'munmap-then-truncate-dma',
      'dma-corruption',
      'busy scan NULL (mapping_mapped), block reused, 0xD5 lands in the new file, dax_disassociate_entry WARN',
    ),
  ),
  ...ZERO.map((k) =>
    run(k, 'munmap-then-truncate-dma', 'pass', 'truncate sleeps in xfs_wait_dax_page for 4.9 s'),
  ),
  ...LEGACY.map((k) =>
    run(
      k,
      'evict-during-dma',
      'dma-corruption',
      'close returns at once, block reused, DMA lands in the new file',
    ),
  ),
  ...ZERO.map((k) =>
    run(k, 'evict-during-dma', 'pass', 'close blocks in dax_break_layout_final (state D) for 4.9 s'),
  ),
  ...ALL.map((k) =>
    run(
      k,
      'get-holder-vs-pin-wait',
      'pass',
      'truncate waits for the pipe’s reference while the page is mapped',
    ),
  ),
  ...LEGACY.map((k) =>
    run(
      k,
      'get-holder-munmap-truncate',
      'stale-read',
      'after munmap the truncate returns at once; the pipe returns the next owner’s 0x77 x4096',
    ),
  ),
  ...ZERO.map((k) => run(k, 'get-holder-munmap-truncate', 'pass', 'truncate waits for the pipe')),
  run(
    '6.1.176',
    'reflink-shared-block',
    'warn',
    'WARNING at fs/dax.c:380 dax_insert_entry and fs/dax.c:404 dax_disassociate_entry',
  ),
  ...['6.12.95', ...ZERO].map((k) => run(k, 'reflink-shared-block', 'pass', 'no WARN')),
  ...LEGACY.map((k) => run(k, 'reflink-truncate-refault', 'pass', 'no hang in 1590–2000 iterations')),
  ...ZERO.map((k) =>
    run(k, 'reflink-truncate-refault', 'hang', 'ftruncate(b) asleep in wait_page_idle until munmap(a)'),
  ),
  ...LEGACY.map((k) =>
    run(k, 'reflink-truncate-getholder', 'pass', 'truncate(b) returns 12 ms after the pipe lets go'),
  ),
  ...ZERO.map((k) =>
    run(
      k,
      'reflink-truncate-getholder',
      'hang',
      'truncate(b) still asleep 5 s after the pipe let go; returns 11 ms after munmap(a)',
    ),
  ),
  run('6.1.176', 'reflink-truncate-pinned', 'missed-wakeup', 'the O_DIRECT bio put skips the 2→1 wake'),
  run(
    '6.12.95',
    'reflink-truncate-pinned',
    'hang',
    'io_submit spins in follow_page_pte (GUP livelock) until SIGKILL',
  ),
  ...ZERO.map((k) =>
    run(
      k,
      'reflink-truncate-pinned',
      'hang',
      'truncate(b) asleep 5 s after the DMA; returns 6 ms after munmap(a)',
    ),
  ),
  ...ALL.map((k) =>
    run(
      k,
      'unbind-while-mapped-no-rmapbt',
      'use-after-free',
      k.startsWith('6.1')
        ? 'the stale PTE still reads pmem after unbind'
        : 'the stale PTE reads; the write fault oopses in do_wp_page on the freed memmap',
    ),
  ),
  run(
    '6.1.176',
    'unbind-while-mapped-rmapbt',
    'use-after-free',
    'mapper not killed ("Corruption of on-disk metadata"); the stale PTE reads pmem',
  ),
  run(
    '6.12.95',
    'unbind-while-mapped-rmapbt',
    'pass',
    '"Device is about to be removed!", SIGBUS to the mapper, unbind in 0.16 s',
  ),
  ...ZERO.map((k) =>
    run(
      k,
      'unbind-while-mapped-rmapbt',
      'unbind-hang',
      'mapper killed, then unbind spins in mf_dax_kill_procs (survives SIGKILL)',
    ),
  ),
  ...LEGACY.map((k) =>
    run(
      k,
      'unbind-while-pinned',
      'use-after-free',
      'unbind returns while the DMA is in flight; brd writes into the removed direct map: Oops',
    ),
  ),
  ...ZERO.map((k) =>
    run(
      k,
      'unbind-while-pinned',
      'pass',
      'unbind waits in dax_break_layout_final ← evict_inodes ← fs_bdev_mark_dead until the DMA completes',
    ),
  ),
  ...ALL.map((k) => run(k, 'fork-split-vma', 'pass', 'fork, mprotect split, exit, munmap, umount, unbind')),
]);
