// @daxref/hw-pmem: the public surface. Every export is named here; internals are not reachable.

export { PmemBlockDevice } from './block-device';
export {
  type BadRange,
  createNvdimmBus,
  type MemmapPlacement,
  type NamespaceConfig,
  type NamespaceLayout,
  type NamespaceOptions,
  type NamespaceState,
  NvdimmBus,
  PmemNamespace,
  PmemRegion,
  type RegionOptions,
} from './bus';
export {
  CACHE_LINE,
  DAX_LABEL_RESERVE,
  DEFAULT_ALIGNMENT,
  ENXIO,
  formatBytes,
  type MemmapLocation,
  MF_ACTION_REQUIRED,
  MF_COUNT_INCREASED,
  MF_MUST_KILL,
  NAMESPACE_MODES,
  type NamespaceMode,
  PFN_INFO_RESERVE,
  STRUCT_PAGE_SIZE,
  SUPPORTED_ALIGNMENTS,
  SZ_1G,
  SZ_1T,
  SZ_2M,
  SZ_4K,
} from './constants';
export { type DevDaxMmapOptions, DeviceDaxFile, devDaxMmap } from './device-dax';
export { createDmaEngine, DmaEngine, type DmaEngineOptions, DmaMapping, type DmaResult } from './dma-engine';
export {
  bindNamespace,
  type DevdaxBinding,
  type FsdaxBinding,
  hotRemoveRegion,
  type PmemBinding,
  type RawBinding,
  type ReconfigureOptions,
  reconfigureNamespace,
  unbindNamespace,
} from './driver';
export { HwPmemError, type HwPmemErrorCode } from './errors';
export {
  type LostLine,
  type MediaStats,
  MediaView,
  type PersistenceDomain,
  PmemMedia,
  type PowerFailImage,
} from './media';
export { type MemoryFailureRecord, memoryFailure, userAccessWithMce } from './memory-failure';
