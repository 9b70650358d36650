import { type Kernel, MAX_PFN, PAGE_SIZE, trackFootprintClasses } from '@daxref/core';
import {
  DAX_LABEL_RESERVE,
  DEFAULT_ALIGNMENT,
  formatBytes,
  type MemmapLocation,
  NAMESPACE_MODES,
  type NamespaceMode,
  PFN_INFO_RESERVE,
  STRUCT_PAGE_SIZE,
  SUPPORTED_ALIGNMENTS,
  SZ_2M,
  SZ_4K,
} from './constants';
import type { PmemBinding } from './driver';
import { HwPmemError } from './errors';
import { MediaView, type PersistenceDomain, PmemMedia, type PowerFailImage } from './media';
import type { MemoryFailureRecord } from './memory-failure';

/** Options of `NvdimmBus.addRegion`. */
export interface RegionOptions {
  /** Name for messages. Default `regionN`. */
  name?: string;
  /** Physical base address in bytes; a multiple of 2 MiB. */
  base: number;
  /** Bytes; a positive multiple of 2 MiB. */
  size: number;
  /** ADR (default) or eADR. */
  persistenceDomain?: PersistenceDomain;
}

/** Options of `PmemRegion.createNamespace` (`ndctl create-namespace`). */
export interface NamespaceOptions {
  /** `--mode`: fsdax, devdax or raw. */
  mode: NamespaceMode;
  /** `--size` in bytes. fsdax / devdax: a multiple of the alignment and of 2 MiB; raw: of 4 KiB. */
  size: number;
  /** `--align` in bytes: one of `SUPPORTED_ALIGNMENTS[mode]`. Default 2 MiB (raw: 4 KiB). */
  align?: number;
  /** `--map`: where the struct pages live. Default `dev` (fsdax / devdax); raw has none. */
  map?: MemmapLocation;
  /** Byte offset in the region. Default: the first free range that fits. */
  offset?: number;
  /** Name for messages. Default `namespaceR.N`. */
  name?: string;
}

/** The configuration `reconfigureNamespace` may change (`ndctl create-namespace -f -e`). */
export interface NamespaceConfig {
  mode?: NamespaceMode;
  align?: number;
  map?: MemmapLocation;
}

/** Where a namespace's struct pages live and what they cost: an input of the cost model. */
export interface MemmapPlacement {
  /** `ram` (host memory), `dev` (on the namespace itself, `ndctl -M dev`), or `none` (raw). */
  readonly location: MemmapLocation | 'none';
  /** Struct pages the pgmap describes (the whole namespace resource). */
  readonly structPages: number;
  /** Bytes of struct pages at 64 bytes each. */
  readonly bytes: number;
  /** Of those, bytes taken from host RAM. */
  readonly hostRamBytes: number;
  /** Bytes of the namespace reserved for struct pages (`-M dev`); not usable for data. */
  readonly deviceBytes: number;
}

/** Where a namespace's data lives inside its resource (drivers/nvdimm/pfn_devs.c `nd_pfn_init`). */
export interface NamespaceLayout {
  /** First pfn of the namespace resource (what `devm_memremap_pages` covers). */
  readonly startPfn: number;
  /** Pages of the namespace resource. */
  readonly nrPages: number;
  /** `data_offset`: bytes from the resource start to the first data page. */
  readonly dataOffset: number;
  /** First data pfn (`dax_direct_access` pgoff 0), aligned to the namespace alignment. */
  readonly dataStartPfn: number;
  /** Data pages (after `end_trunc` to the alignment). */
  readonly dataPages: number;
  readonly memmap: MemmapPlacement;
}

/** A namespace's driver state. */
export type NamespaceState = 'idle' | 'bound' | 'unbinding';

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function alignDown(n: number, a: number): number {
  return Math.floor(n / a) * a;
}

function isMultiple(n: number, a: number): boolean {
  return Number.isInteger(n) && n > 0 && n % a === 0;
}

/** The NVDIMM bus (`nvdimm_bus`, from ACPI NFIT): its regions, whose media the kernel can map. */
export class NvdimmBus {
  readonly k: Kernel;
  readonly name: string;
  readonly regions: PmemRegion[] = [];
  /** `memory_failure()` calls for pfns of this bus, in order (`action_result`). */
  readonly memoryFailures: MemoryFailureRecord[] = [];
  private nextRegion = 0;

  constructor(k: Kernel, name: string) {
    this.k = k;
    this.name = name;
  }

  /** Adds a region of persistent memory (an interleave set from the NFIT SPA range). */
  addRegion(opts: RegionOptions): PmemRegion {
    const name = opts.name ?? `region${this.nextRegion}`;
    const c = `${this.name}: ${name}`;
    const { base, size } = opts;
    if (!Number.isInteger(base) || base < 0 || base % SZ_2M !== 0) {
      throw new HwPmemError('MISALIGNED', c, `base ${base} must be a non-negative multiple of 2 MiB`, {
        field: 'base',
      });
    }
    if (!isMultiple(size, SZ_2M)) {
      throw new HwPmemError('MISALIGNED', c, `size ${size} must be a positive multiple of 2 MiB`, {
        field: 'size',
      });
    }
    const domain = opts.persistenceDomain ?? 'adr';
    if (domain !== 'adr' && domain !== 'eadr') {
      throw new HwPmemError(
        'BAD_ARGUMENT',
        c,
        `persistenceDomain ${String(domain)} is not one of adr, eadr`,
        {
          field: 'persistenceDomain',
          allowed: ['adr', 'eadr'],
        },
      );
    }
    const startPfn = base / PAGE_SIZE;
    const nrPages = size / PAGE_SIZE;
    if (startPfn + nrPages > MAX_PFN) {
      throw new HwPmemError(
        'BAD_ARGUMENT',
        c,
        `[${formatBytes(base)}, +${formatBytes(size)}) ends past the model's physical limit ${formatBytes(MAX_PFN * PAGE_SIZE)}`,
        { field: 'size' },
      );
    }
    const ram = this.k.ram;
    if (startPfn < ram.startPfn + ram.nrPages && ram.startPfn < startPfn + nrPages) {
      throw new HwPmemError(
        'OVERLAP',
        c,
        `range [pfn ${startPfn}, ${startPfn + nrPages}) overlaps system RAM [pfn ${ram.startPfn}, ${ram.startPfn + ram.nrPages})`,
        { field: 'base' },
      );
    }
    for (const r of this.regions) {
      if (startPfn < r.startPfn + r.nrPages && r.startPfn < startPfn + nrPages) {
        throw new HwPmemError(
          'OVERLAP',
          c,
          `range [pfn ${startPfn}, ${startPfn + nrPages}) overlaps ${r.name} [pfn ${r.startPfn}, ${r.startPfn + r.nrPages})`,
          { field: 'base' },
        );
      }
    }
    const region = new PmemRegion(this, this.nextRegion++, name, startPfn, nrPages, domain);
    this.regions.push(region);
    return region;
  }

  /** The namespace whose resource holds `pfn`, or null. */
  namespaceAt(pfn: number): PmemNamespace | null {
    for (const r of this.regions) {
      if (pfn < r.startPfn || pfn >= r.startPfn + r.nrPages) continue;
      for (const ns of r.namespaces) if (pfn >= ns.startPfn && pfn < ns.startPfn + ns.nrPages) return ns;
    }
    return null;
  }

  /** The region holding `pfn`, or null. */
  regionAt(pfn: number): PmemRegion | null {
    for (const r of this.regions) if (pfn >= r.startPfn && pfn < r.startPfn + r.nrPages) return r;
    return null;
  }
}

/** Creates the NVDIMM bus of a kernel model. */
export function createNvdimmBus(k: Kernel, opts: { name?: string } = {}): NvdimmBus {
  return new NvdimmBus(k, opts.name ?? 'ndbus0');
}

/** An NVDIMM region (`nd_region`): a range of media carved into namespaces. */
export class PmemRegion {
  readonly bus: NvdimmBus;
  readonly id: number;
  readonly name: string;
  readonly startPfn: number;
  readonly nrPages: number;
  readonly media: PmemMedia;
  readonly namespaces: PmemNamespace[] = [];
  private nextNs = 0;

  constructor(
    bus: NvdimmBus,
    id: number,
    name: string,
    startPfn: number,
    nrPages: number,
    domain: PersistenceDomain,
  ) {
    this.bus = bus;
    this.id = id;
    this.name = name;
    this.startPfn = startPfn;
    this.nrPages = nrPages;
    this.media = new PmemMedia(name, startPfn, nrPages, domain, bus.k);
  }

  /** The persistence domain. */
  get persistenceDomain(): PersistenceDomain {
    return this.media.domain;
  }

  /** `ndctl create-namespace`: validates the configuration and carves the namespace out. */
  createNamespace(opts: NamespaceOptions): PmemNamespace {
    const name = opts.name ?? `namespace${this.id}.${this.nextNs}`;
    const c = `${this.name}: ${name}`;
    const cfg = checkConfig(c, { mode: opts.mode, align: opts.align, map: opts.map });
    const startAlign = cfg.mode === 'raw' ? SZ_4K : SZ_2M;
    const sizeAlign = Math.max(cfg.align, startAlign);
    if (!isMultiple(opts.size, sizeAlign)) {
      throw new HwPmemError(
        'MISALIGNED',
        c,
        `size ${opts.size} must be a positive multiple of ${formatBytes(sizeAlign)} (${cfg.mode}, align ${formatBytes(cfg.align)})`,
        { field: 'size' },
      );
    }
    const pages = opts.size / PAGE_SIZE;
    let startPfn: number;
    if (opts.offset !== undefined) {
      if (!Number.isInteger(opts.offset) || opts.offset < 0 || opts.offset % startAlign !== 0) {
        throw new HwPmemError(
          'MISALIGNED',
          c,
          `offset ${opts.offset} must be a non-negative multiple of ${formatBytes(startAlign)}`,
          { field: 'offset' },
        );
      }
      startPfn = this.startPfn + opts.offset / PAGE_SIZE;
      if (startPfn + pages > this.startPfn + this.nrPages) {
        throw new HwPmemError(
          'NO_SPACE',
          c,
          `[offset ${formatBytes(opts.offset)}, +${formatBytes(opts.size)}) does not fit in ${this.name} (${formatBytes(this.nrPages * PAGE_SIZE)})`,
          { field: 'size' },
        );
      }
      for (const o of this.namespaces) {
        if (startPfn < o.startPfn + o.nrPages && o.startPfn < startPfn + pages) {
          throw new HwPmemError(
            'OVERLAP',
            c,
            `[offset ${formatBytes(opts.offset)}, +${formatBytes(opts.size)}) overlaps ${o.name} [offset ${formatBytes((o.startPfn - this.startPfn) * PAGE_SIZE)}, +${formatBytes(o.nrPages * PAGE_SIZE)})`,
            { field: 'offset' },
          );
        }
      }
    } else {
      startPfn = this.firstFit(pages, startAlign / PAGE_SIZE);
      if (startPfn < 0) {
        throw new HwPmemError(
          'NO_SPACE',
          c,
          `no free range of ${formatBytes(opts.size)} in ${this.name} (largest free: ${formatBytes(this.largestFree() * PAGE_SIZE)})`,
          { field: 'size' },
        );
      }
    }
    const layout = computeLayout(c, cfg, startPfn, pages);
    const ns = new PmemNamespace(this, this.nextNs++, name, cfg, layout);
    this.namespaces.push(ns);
    this.namespaces.sort((a, b) => a.startPfn - b.startPfn);
    return ns;
  }

  /** `ndctl destroy-namespace`: only an unbound namespace can go. */
  destroyNamespace(ns: PmemNamespace): void {
    if (ns.state !== 'idle') {
      throw new HwPmemError(
        'ALREADY_BOUND',
        `${this.name}: ${ns.name}`,
        `destroy of a ${ns.state} namespace; unbind it first`,
        {
          field: 'state',
          allowed: ['idle'],
        },
      );
    }
    const i = this.namespaces.indexOf(ns);
    if (i < 0) throw new HwPmemError('BAD_STATE', this.name, `${ns.name} is not in this region`);
    this.namespaces.splice(i, 1);
    ns.destroyed = true;
  }

  private firstFit(pages: number, align: number): number {
    let cur = this.startPfn;
    for (const o of this.namespaces) {
      const at = alignUp(cur, align);
      if (at + pages <= o.startPfn) return at;
      cur = Math.max(cur, o.startPfn + o.nrPages);
    }
    const at = alignUp(cur, align);
    return at + pages <= this.startPfn + this.nrPages ? at : -1;
  }

  private largestFree(): number {
    let cur = this.startPfn;
    let best = 0;
    for (const o of this.namespaces) {
      best = Math.max(best, o.startPfn - cur);
      cur = Math.max(cur, o.startPfn + o.nrPages);
    }
    return Math.max(best, this.startPfn + this.nrPages - cur);
  }

  /** Surprise hot-remove of the DIMMs: the media vanishes under every namespace of the region. */
  surpriseRemove(): void {
    this.media.remove();
  }

  /** `clwb` of the lines behind user addresses [addr, addr+len) of `mm` (via its page table). */
  flushUser(mm: { pt: { translate(addr: number): number } }, addr: number, len: number): void {
    let a = addr;
    const end = addr + len;
    while (a < end) {
      const page = a - (a % PAGE_SIZE);
      const n = Math.min(end, page + PAGE_SIZE) - a;
      const pfn = mm.pt.translate(page);
      if (pfn >= this.startPfn && pfn < this.startPfn + this.nrPages) this.media.flush(pfn, a - page, n);
      a += n;
    }
  }

  /** `sfence`. */
  fence(): void {
    this.media.fence();
  }

  /** Power loss: what survived (see `PmemMedia.powerFail`). */
  powerFail(): PowerFailImage {
    return this.media.powerFail();
  }
}

interface CheckedConfig {
  mode: NamespaceMode;
  align: number;
  map: MemmapLocation | 'none';
}

function checkConfig(c: string, cfg: NamespaceConfig & { mode?: NamespaceMode }): CheckedConfig {
  const mode = cfg.mode;
  if (mode === undefined || !NAMESPACE_MODES.includes(mode)) {
    throw new HwPmemError('BAD_MODE', c, `mode ${String(mode)} is not one of ${NAMESPACE_MODES.join(', ')}`, {
      field: 'mode',
      allowed: NAMESPACE_MODES,
    });
  }
  const allowed = SUPPORTED_ALIGNMENTS[mode];
  const align = cfg.align ?? DEFAULT_ALIGNMENT[mode];
  if (!allowed.includes(align)) {
    throw new HwPmemError(
      'BAD_ALIGN',
      c,
      `align ${typeof align === 'number' ? formatBytes(align) : String(align)} is not allowed in ${mode} mode (allowed: ${allowed.map(formatBytes).join(', ')})`,
      { field: 'align', allowed: allowed.map(formatBytes) },
    );
  }
  if (mode === 'raw') {
    if (cfg.map !== undefined) {
      throw new HwPmemError(
        'BAD_ARGUMENT',
        c,
        `map ${cfg.map} given for a raw namespace, which has no struct pages`,
        {
          field: 'map',
          allowed: [],
        },
      );
    }
    return { mode, align, map: 'none' };
  }
  const map = cfg.map ?? 'dev';
  if (map !== 'ram' && map !== 'dev') {
    throw new HwPmemError('BAD_ARGUMENT', c, `map ${String(map)} is not one of ram, dev`, {
      field: 'map',
      allowed: ['ram', 'dev'],
    });
  }
  return { mode, align, map };
}

/**
 * `nd_pfn_init()`: the info block (8 KiB), the struct pages with `-M dev` (64 bytes per pfn)
 * and device-dax's label space come first; the data starts at the next `align` boundary and
 * ends at the last one (`end_trunc`). A raw namespace is all data.
 */
function computeLayout(c: string, cfg: CheckedConfig, startPfn: number, nrPages: number): NamespaceLayout {
  const start = startPfn * PAGE_SIZE;
  const end = start + nrPages * PAGE_SIZE;
  if (cfg.mode === 'raw') {
    return {
      startPfn,
      nrPages,
      dataOffset: 0,
      dataStartPfn: startPfn,
      dataPages: nrPages,
      memmap: { location: 'none', structPages: 0, bytes: 0, hostRamBytes: 0, deviceBytes: 0 },
    };
  }
  const npfns = Math.floor((nrPages * PAGE_SIZE - PFN_INFO_RESERVE) / PAGE_SIZE);
  const labels = cfg.mode === 'devdax' ? DAX_LABEL_RESERVE : 0;
  const onDev = cfg.map === 'dev' ? STRUCT_PAGE_SIZE * npfns : 0;
  const dataStart = alignUp(start + PFN_INFO_RESERVE + onDev + labels, cfg.align);
  const dataEnd = alignDown(end, cfg.align);
  if (dataEnd <= dataStart) {
    throw new HwPmemError(
      'NO_SPACE',
      c,
      `size ${formatBytes(nrPages * PAGE_SIZE)} leaves no data after ${formatBytes(dataStart - start)} of info block${onDev > 0 ? ', struct pages' : ''} and alignment padding (align ${formatBytes(cfg.align)}, map ${cfg.map})`,
      { field: 'size' },
    );
  }
  const bytes = STRUCT_PAGE_SIZE * nrPages;
  return {
    startPfn,
    nrPages,
    dataOffset: dataStart - start,
    dataStartPfn: dataStart / PAGE_SIZE,
    dataPages: (dataEnd - dataStart) / PAGE_SIZE,
    memmap: {
      location: cfg.map,
      structPages: nrPages,
      bytes,
      hostRamBytes: cfg.map === 'ram' ? bytes : 0,
      deviceBytes: onDev,
    },
  };
}

/** A badblocks range of a namespace, in bytes from the namespace start. */
export interface BadRange {
  readonly offset: number;
  readonly length: number;
}

/**
 * A namespace (`nd_namespace_io` with its pfn / dax personality): a mode, an alignment, where
 * its struct pages live, and the driver bound to it.
 */
export class PmemNamespace {
  readonly region: PmemRegion;
  readonly id: number;
  readonly name: string;
  /** fsdax, devdax or raw. */
  mode: NamespaceMode;
  /** The alignment in bytes (`--align`). */
  align: number;
  /** Where the struct pages live (`--map`), `none` for raw. */
  map: MemmapLocation | 'none';
  /** Resource and data ranges (`nd_pfn_init`). */
  layout: NamespaceLayout;
  /** The whole resource as a `MemoryDevice` (what `devm_memremap_pages` maps). */
  resourceView: MediaView;
  /** The data area as a `MemoryDevice` (what the filesystem or /dev/dax hands out). */
  dataView: MediaView;
  /** The bound driver, or null. */
  binding: PmemBinding | null = null;
  /** An unbind is in progress. */
  unbinding = false;
  /** Removed by `destroyNamespace`. */
  destroyed = false;
  /** The device name of the bound personality (`pmem0`, `dax0.0`), set by bind. */
  devName = '';

  /** @internal Namespaces are made by `PmemRegion.createNamespace`. */
  constructor(region: PmemRegion, id: number, name: string, cfg: CheckedConfig, layout: NamespaceLayout) {
    this.region = region;
    this.id = id;
    this.name = name;
    this.mode = cfg.mode;
    this.align = cfg.align;
    this.map = cfg.map;
    this.layout = layout;
    this.resourceView = new MediaView(name, region.media, layout.startPfn, layout.nrPages);
    this.dataView = new MediaView(name, region.media, layout.dataStartPfn, layout.dataPages);
  }

  /** First pfn of the resource. */
  get startPfn(): number {
    return this.layout.startPfn;
  }
  /** Pages of the resource. */
  get nrPages(): number {
    return this.layout.nrPages;
  }
  /** Bytes of the resource. */
  get size(): number {
    return this.layout.nrPages * PAGE_SIZE;
  }
  /** Where the struct pages live: the cost model's input. */
  get memmap(): MemmapPlacement {
    return this.layout.memmap;
  }
  /** The driver state. */
  get state(): NamespaceState {
    return this.unbinding ? 'unbinding' : this.binding !== null ? 'bound' : 'idle';
  }

  /** The pfn of data page `pgoff` (`dax_pgoff_to_phys` / `pmem->data_offset`). */
  dataPfn(pgoff: number): number {
    if (!Number.isInteger(pgoff) || pgoff < 0 || pgoff >= this.layout.dataPages) {
      throw new HwPmemError(
        'BAD_ARGUMENT',
        this.name,
        `data page ${pgoff} is outside [0, ${this.layout.dataPages})`,
        {
          field: 'pgoff',
        },
      );
    }
    return this.layout.dataStartPfn + pgoff;
  }

  /**
   * `ndctl inject-error`: poisons every 4 KiB block of [offset, offset+length) bytes of the
   * namespace (the bus adds them to the region's badblocks).
   */
  injectError(offset: number, length = PAGE_SIZE): void {
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(length) ||
      offset < 0 ||
      length <= 0 ||
      offset + length > this.size
    ) {
      throw new HwPmemError(
        'BAD_ARGUMENT',
        this.name,
        `inject-error range [${offset}, +${length}) is outside the namespace (${this.size} bytes)`,
        {
          field: 'offset',
        },
      );
    }
    const first = this.startPfn + Math.floor(offset / PAGE_SIZE);
    const last = this.startPfn + Math.floor((offset + length - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) this.region.media.injectPoison(p);
  }

  /** `ndctl list --media-errors`: poisoned ranges, merged, in bytes from the namespace start. */
  badblocks(): BadRange[] {
    const out: { offset: number; length: number }[] = [];
    for (const p of this.region.media.poisonedIn(this.startPfn, this.nrPages)) {
      const offset = (p - this.startPfn) * PAGE_SIZE;
      const last = out[out.length - 1];
      if (last !== undefined && last.offset + last.length === offset) last.length += PAGE_SIZE;
      else out.push({ offset, length: PAGE_SIZE });
    }
    return out;
  }

  /** Applies a new configuration (reconfigure); validated first, so a bad one changes nothing. */
  reconfigure(cfg: NamespaceConfig): void {
    const c = `${this.region.name}: ${this.name}`;
    const next = checkConfig(c, {
      mode: cfg.mode ?? this.mode,
      align: cfg.align ?? (cfg.mode !== undefined && cfg.mode !== this.mode ? undefined : this.align),
      map: cfg.map ?? (this.map === 'none' || cfg.mode === 'raw' ? undefined : this.map),
    });
    const startAlign = next.mode === 'raw' ? SZ_4K : SZ_2M;
    const sizeAlign = Math.max(next.align, startAlign);
    if (this.size % sizeAlign !== 0 || this.startPfn % (startAlign / PAGE_SIZE) !== 0) {
      throw new HwPmemError(
        'MISALIGNED',
        c,
        `size ${formatBytes(this.size)} is not a multiple of ${formatBytes(sizeAlign)} (${next.mode}, align ${formatBytes(next.align)})`,
        { field: 'size' },
      );
    }
    const layout = computeLayout(c, next, this.startPfn, this.nrPages);
    this.mode = next.mode;
    this.align = next.align;
    this.map = next.map;
    this.layout = layout;
    this.resourceView = new MediaView(this.name, this.region.media, layout.startPfn, layout.nrPages);
    this.dataView = new MediaView(this.name, this.region.media, layout.dataStartPfn, layout.dataPages);
  }

  /** Checks a configuration without applying it (throws the error `reconfigure` would). */
  validate(cfg: NamespaceConfig): void {
    const copy = Object.create(PmemNamespace.prototype) as PmemNamespace;
    Object.assign(copy, this);
    copy.reconfigure(cfg);
  }
}

// Shared objects a step touches: DFS footprints track them (two steps on the same one never commute).
trackFootprintClasses([NvdimmBus, PmemRegion, PmemNamespace]);
