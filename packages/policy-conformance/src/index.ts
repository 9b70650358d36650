// @daxref/policy-conformance (private): the shared conformance suite and test utilities.

export { busyPages, extraPgmapRefs, missedWakeups, violationKinds } from './checks';
export { type ConformanceApi, describeConformance, type PolicyFactory } from './conformance';
export { completeDma, type DmaTransfer, startDma } from './dma';
export { EXPECTATIONS, type VariantExpectations } from './expectations';
export {
  adoptMm,
  cleanPte,
  createRig,
  type Mapped,
  mapFile,
  PMEM_PFN,
  type Rig,
  runAlone,
  startTask,
  unbindDevice,
} from './rig';
export { SparseMedia } from './sparse-media';
