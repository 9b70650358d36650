// @daxref/policy-conformance: the conformance suite every daxref policy runs (runConformance for
// a policy author's own design) and the hand-scheduling test utilities.

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
export { type RunConformanceOptions, runConformance } from './run-conformance';
export { SparseMedia } from './sparse-media';
