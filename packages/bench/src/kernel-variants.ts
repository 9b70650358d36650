/**
 * Which policy variant describes which real kernel. Each row cites what makes the variant that
 * kernel's; a version outside every range has no variant (`variantForKernel` returns undefined)
 * rather than a guess.
 */

/** One kernel-version range and the policy variant that describes it. */
export interface KernelVariant {
  /** The representative kernel (`'6.1'`). */
  readonly kernel: string;
  /** The versions the variant describes (`'6.0–6.1.y'`; `x` is any minor of that major). */
  readonly range: string;
  /** The full policy id (`1based@v6.1`). */
  readonly variant: string;
  /** Why: the commits and the real-kernel evidence. */
  readonly why: string;
}

/** The kernel-version → variant table, oldest first (audits/kernel-source-audit.md, audits/real-kernels.md). */
export const KERNEL_VARIANTS: readonly KernelVariant[] = Object.freeze([
  {
    kernel: '4.5',
    range: '4.5–4.12',
    variant: '1based@v4.5',
    why: '3565fce3a659 "mm, x86: get_user_pages() for dax mappings" (v4.5): get_zone_device_page() takes a pgmap reference per page reference until ≈4.13 ("mm, zone_device: Replace {get, put}_zone_device_page() with a single reference"); no break_layouts (v4.18) and no FOLL_LONGTERM (2bb6d2837083, v4.15)',
  },
  {
    kernel: '4.18',
    range: '4.18–5.0',
    variant: '1based@v4.18',
    why: 'devmap_managed_key and xfs_break_layouts (v4.18); release_pages() skips FS_DAX until c5d6c45e90c4 (v5.3); memory removed before page references are reaped until 50f44ee7248a "mm/devm_memremap_pages: fix final page put race" (v5.1)',
  },
  {
    kernel: '5.18',
    range: '5.18–5.18.y',
    variant: '1based@v5.19-rc1',
    why: 'd8ddc099c6b3 "mm/gup: Add gup_put_folio()" (v5.18) lost the unpin wake; f4f451a16dd1 (v5.19) restored it; DAX reflink not yet (v6.0-rc1)',
  },
  {
    kernel: '6.1',
    range: '6.0–6.1.y',
    variant: '1based@v6.1',
    why: 'DAX reflink with dax_mapping_set_cow() on CoW write faults only (mm-stable-2022-08-03, v6.0-rc1; read-fault sharing from xfs-6.2-merge-9); 6.1.76+ __bio_release_pages() → folio_put_refs() (real 6.1.176: truncate-during-dma missed wake-up); no MF_MEM_PRE_REMOVE (v6.6)',
  },
  {
    kernel: '6.12',
    range: '6.6–6.14.y',
    variant: '1based@v6.14',
    why: 'PAGE_MAPPING_DAX_SHARED read-fault sharing (v6.2) with the GUP unshare loop (real 6.12.95); kill_dax → MF_MEM_PRE_REMOVE and fs_holder_ops block-device death (v6.6); last 1-based release before 38607c62b34b (6.15). 6.2–6.5 lack the pre-remove notification and have no variant',
  },
  {
    kernel: '6.18',
    range: '6.15–7.x',
    variant: '0based@v6.15',
    why: '38607c62b34b "fs/dax: properly refcount fs dax pages", 6be3e21d25ca, 0e2f80afcfa6 (6.15); real 6.18.15 and 7.3.4 match it, including the xfs rm_startblock + 1 wrap of the pre-remove notification',
  },
]);

function parseVersion(v: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(v.trim());
  return m === null ? undefined : [Number(m[1]), Number(m[2])];
}

/** `[major, minor]` bounds of a range; `x` as the upper minor means every minor of that major. */
function bounds(range: string): [[number, number], [number, number]] {
  const [lo, hi] = range.split('–') as [string, string];
  const low = parseVersion(lo)!;
  const upper = hi.trim();
  const high: [number, number] = upper.endsWith('.x')
    ? [Number(upper.slice(0, -2)), Number.MAX_SAFE_INTEGER]
    : parseVersion(upper)!;
  return [low, high];
}

function cmp(a: [number, number], b: [number, number]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

/**
 * The policy variant that describes a kernel version (`'6.1.176'`, `'6.12.95'`, `'7.3.4'`,
 * `'6.18.15+deb13-amd64'`), or undefined when no variant covers it.
 */
export function variantForKernel(version: string): string | undefined {
  return kernelVariantRow(version)?.variant;
}

/** The table row that covers a kernel version (with its citation), or undefined. */
export function kernelVariantRow(version: string): KernelVariant | undefined {
  const v = parseVersion(version);
  if (v === undefined) return undefined;
  for (const row of KERNEL_VARIANTS) {
    const [lo, hi] = bounds(row.range);
    if (cmp(v, lo) >= 0 && cmp(v, hi) <= 0) return row;
  }
  return undefined;
}
