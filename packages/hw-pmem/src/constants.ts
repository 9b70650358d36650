import { Errno } from '@daxref/core';

/** 4 KiB: `PAGE_SIZE`. */
export const SZ_4K = 4096;
/** 2 MiB: `HPAGE_PMD_SIZE`, and the memory-hotplug subsection (`SUBSECTION_SIZE`). */
export const SZ_2M = 2 * 1024 * 1024;
/** 1 GiB: `HPAGE_PUD_SIZE`. */
export const SZ_1G = 1024 * 1024 * 1024;
/** 1 TiB. */
export const SZ_1T = 1024 * SZ_1G;

/** A namespace mode, as `ndctl create-namespace --mode` names it. */
export type NamespaceMode = 'fsdax' | 'devdax' | 'raw';

/** Every namespace mode. */
export const NAMESPACE_MODES: readonly NamespaceMode[] = ['fsdax', 'devdax', 'raw'];

/** Where the struct pages of a namespace live (`ndctl create-namespace --map`). */
export type MemmapLocation = 'ram' | 'dev';

/**
 * The alignments each mode accepts. fsdax and devdax share `nd_pfn_supported_alignments()`
 * (drivers/nvdimm/pfn_devs.c: PAGE_SIZE, HPAGE_PMD_SIZE, HPAGE_PUD_SIZE on x86-64); a raw
 * namespace has no pfn device and no alignment of its own.
 */
export const SUPPORTED_ALIGNMENTS: Readonly<Record<NamespaceMode, readonly number[]>> = {
  fsdax: [SZ_4K, SZ_2M, SZ_1G],
  devdax: [SZ_4K, SZ_2M, SZ_1G],
  raw: [SZ_4K],
};

/** The default alignment of each mode (ndctl: 2 MiB for fsdax and devdax). */
export const DEFAULT_ALIGNMENT: Readonly<Record<NamespaceMode, number>> = {
  fsdax: SZ_2M,
  devdax: SZ_2M,
  raw: SZ_4K,
};

/** `sizeof(struct page)` reserved per pfn by `nd_pfn_init()` (`MAX_STRUCT_PAGE_SIZE`). */
export const STRUCT_PAGE_SIZE = 64;
/** The pfn info block and its padding at the start of an fsdax / devdax namespace (`SZ_8K` in `nd_pfn_init`). */
export const PFN_INFO_RESERVE = 8192;
/** Space device-dax keeps for its labels (`nd_pfn_init`: `dax_label_reserve = SZ_128K`). */
export const DAX_LABEL_RESERVE = 128 * 1024;
/** A CPU cache line: the unit of `clwb` and of what a power failure loses. */
export const CACHE_LINE = 64;

/** `memory_failure()` flags (include/linux/mm.h `enum mf_flags`). */
export const MF_COUNT_INCREASED = 1 << 0;
/** The failure was consumed by the current task (a machine check on a load). */
export const MF_ACTION_REQUIRED = 1 << 1;
/** Mappers must be killed (ZONE_DEVICE: there is no page to swap in). */
export const MF_MUST_KILL = 1 << 2;

/** Formats a byte count for messages (`2 MiB`). */
export function formatBytes(n: number): string {
  if (n >= SZ_1T && n % SZ_1T === 0) return `${n / SZ_1T} TiB`;
  if (n >= SZ_1G && n % SZ_1G === 0) return `${n / SZ_1G} GiB`;
  if (n >= SZ_2M / 2 && n % (SZ_2M / 2) === 0) return `${n / (SZ_2M / 2)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

/** `ENXIO`: what `memory_failure()` returns for memory it does not manage (core's `Errno.ENXIO`). */
export const ENXIO = Errno.ENXIO;
