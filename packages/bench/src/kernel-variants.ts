// Which model variant describes a real kernel version: the table `daxref oracle` compares against.

/** A range of kernel versions [from, to) and the model variant that describes it. */
export interface KernelVariantRule {
  /** Inclusive lower bound, [major, minor, patch]. */
  from: readonly [number, number, number];
  /** Exclusive upper bound; null = open-ended. */
  to: readonly [number, number, number] | null;
  /** A policy id (`design@variant`). */
  policy: string;
  /** The source that places these versions under this variant. */
  cite: string;
}

/** Kernel version → model variant, oldest first. */
export const KERNEL_VARIANTS: readonly KernelVariantRule[] = [
  {
    from: [4, 5, 0],
    to: [4, 18, 0],
    policy: '1based@v4.5',
    cite: 'Linux 4.5: get_user_pages() for dax mappings takes a pgmap reference per page reference (Dan Williams, Dec 2015)',
  },
  {
    from: [4, 18, 0],
    to: [5, 3, 0],
    policy: '1based@v4.18',
    cite: 'Linux 4.18 devmap_managed_key; release_pages() fixed by c5d6c45e90c4 in v5.3',
  },
  {
    from: [5, 3, 0],
    to: [5, 18, 0],
    policy: '1based@v6.14',
    cite: 'c5d6c45e90c4 (v5.3) fixed release_pages(); the 1-based rules of v6.14 otherwise hold',
  },
  {
    from: [5, 18, 0],
    to: [5, 19, 0],
    policy: '1based@v5.19-rc1',
    cite: 'd8ddc099c6b3 "mm/gup: Add gup_put_folio()" (v5.18) lost the wake; f4f451a16dd1 fixed it in v5.19',
  },
  {
    from: [5, 19, 0],
    to: [6, 1, 0],
    policy: '1based@v6.14',
    cite: 'f4f451a16dd1 (v5.19) restored the wake; the 1-based rules of v6.14 otherwise hold',
  },
  // `1based@v6.1` (issue 12) replaces this line when it lands: 6.1.y >= 6.1.76 releases O_DIRECT
  // pages with folio_put_refs() (no devmap wake) and marks only CoW faults shared (audits/real-kernels.md †A, †B).
  {
    from: [6, 1, 0],
    to: [6, 2, 0],
    policy: '1based@v6.14',
    cite: 'Linux 6.1.y is 1-based; the closest existing variant is v6.14 (see audits/real-kernels.md †A, †B for where it differs)',
  },
  {
    from: [6, 2, 0],
    to: [6, 15, 0],
    policy: '1based@v6.14',
    cite: 'Linux 6.2-6.14: fs/dax.c and mm/memremap.c before the 0-based series',
  },
  {
    from: [6, 15, 0],
    to: null,
    policy: '0based@v6.15',
    cite: 'Linux 6.15 merged "fs/dax: Fix ZONE_DEVICE page reference counts" (Alistair Popple)',
  },
];

/** Parses `6.12.95`, `6.1.0-50-amd64`, `7.3.4+deb13-amd64` to [major, minor, patch]. */
export function parseKernelVersion(v: string): [number, number, number] | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

function less(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/** The rule for a kernel version, or null when the table has none (older than 4.5). */
export function variantForKernel(version: string): KernelVariantRule | null {
  const v = parseKernelVersion(version);
  if (v === null) return null;
  return KERNEL_VARIANTS.find((r) => !less(v, r.from) && (r.to === null || less(v, r.to))) ?? null;
}
