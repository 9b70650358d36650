// Known design bugs are classified, not re-reported: a finding whose shrunk workload has the
// mechanism of a catalogue scenario is labelled with that scenario's id.
import type { FuzzOpName, Workload } from './workload';

/** A catalogue mechanism: the outcome kinds it shows and the operations its shape needs. */
export interface Mechanism {
  readonly catalogue: string;
  readonly kinds: readonly string[];
  /** Each group must be present: at least one op of the group. */
  readonly needs: readonly (readonly FuzzOpName[])[];
  /** Ops that must be absent. */
  readonly without?: readonly FuzzOpName[];
  /** Designs the mechanism is specific to (any of them must be in the finding's set). */
  readonly designs?: readonly string[];
}

const RELEASE: readonly FuzzOpName[] = ['trunc', 'punch'];
const HANG_KINDS = ['deadlock', 'hang'];

/**
 * Mechanisms, most specific first. Catalogue ids (packages/bench/src/scenarios): the kinds are
 * those the catalogue's expectations give its failing cells.
 */
export const MECHANISMS: readonly Mechanism[] = [
  // coarse-pin@block: unbind waits for every mapping to go (a pin on the device while mapped)
  { catalogue: 'unbind-while-mapped', kinds: ['unbind-hang'], needs: [['unbind']] },
  // memunmap_pages() waits for the pgmap ref only: a pin held over the unbind outlives the memmap
  { catalogue: 'unbind-while-pinned', kinds: ['use-after-free'], needs: [['unbind'], ['pin', 'get']] },
  // v5.18-v5.19-rc: the unpin path lost the wake of a truncate waiting for the page to go idle
  { catalogue: 'unpin-missed-wakeup', kinds: ['missed-wakeup'], needs: [RELEASE, ['pin']] },
  // before c5d6c45e90c4 (v5.3): release_pages() dropped a devmap page without the wake
  { catalogue: 'release-pages-put', kinds: ['missed-wakeup'], needs: [RELEASE, ['get']] },
  // dan-2022 v1 waited for !page_maybe_dma_pinned(): a FOLL_GET holder slips past (with no DMA
  // in flight, the truncate's WARN_ON_ONCE on the page still referenced shows it)
  {
    catalogue: 'get-holder-vs-pin-wait',
    kinds: ['dma-corruption', 'use-after-free', 'warn'],
    needs: [RELEASE, ['get']],
    without: ['pin'],
    designs: ['0based@dan-2022-pin-only'],
  },
  // pre-6.15 dax_layout_busy_page_range() skips a file no longer mapped (mapping_mapped())
  {
    catalogue: 'munmap-then-truncate-dma',
    kinds: ['dma-corruption', 'use-after-free'],
    needs: [RELEASE, ['pin', 'get'], ['munmap'], ['dma']],
  },
  // v4.5: no DMA-vs-truncate wait at all
  {
    catalogue: 'truncate-during-dma',
    kinds: ['dma-corruption', 'use-after-free'],
    needs: [RELEASE, ['pin', 'get']],
  },
  // a stale shared (CoW) mark after the last sharer went
  { catalogue: 'reflink-shared-block', kinds: ['warn'], needs: [['reflink']] },
  // ZONE_DEVICE pages handed out with a zero refcount
  { catalogue: 'gup-on-zero-ref', kinds: ['vm-bug-on'], needs: [['get', 'pin']] },
  // 6.15 wait_page_idle() sleeps for folio_ref_count == 0; a mapping that faults the page in
  // again during the wait (a fault, or GUP's own fault) keeps it at 1. Truncate, punch and a
  // reflink onto the file all break layouts this way (the catalogue's instance uses reflink).
  {
    catalogue: 'reflink-truncate-refault',
    kinds: HANG_KINDS,
    needs: [
      ['trunc', 'punch', 'reflink'],
      ['fault', 'get', 'pin'],
    ],
    designs: ['0based@v6.15'],
  },
];

/**
 * The catalogue id whose mechanism a finding's shrunk workload shows, if any, for the designs in
 * `designs` (a mechanism tied to designs needs one of them there).
 */
export function classify(kind: string, designs: readonly string[], w: Workload): string | undefined {
  const ops = new Set<FuzzOpName>();
  for (const t of w.tasks) for (const o of t) ops.add(o.op);
  for (const m of MECHANISMS) {
    if (!m.kinds.includes(kind)) continue;
    if (!m.needs.every((g) => g.some((op) => ops.has(op)))) continue;
    if (m.without?.some((op) => ops.has(op))) continue;
    if (m.designs && !m.designs.some((d) => designs.includes(d))) continue;
    return m.catalogue;
  }
  return undefined;
}

/** Per design of a finding, the catalogue id its mechanism matches there (designs with none are absent). */
export function classifyByDesign(
  kind: string,
  designs: readonly string[],
  w: Workload,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of designs) {
    const c = classify(kind, [d], w);
    if (c !== undefined) out[d] = c;
  }
  return out;
}
