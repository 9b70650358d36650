// @daxref/core: the public surface. Every export is named here; internals are not reachable.

export { checkDmaLanding, type DmaOwnerCheck, type DmaTransfer, dmaOwnerCheck } from './check/dma';
export { classifyHangs } from './check/hangs';
export { RefLedger, type RefRecord } from './check/ledger';
export {
  Errno,
  FOLL_GET,
  FOLL_LONGTERM,
  FOLL_NOFAULT,
  FOLL_PIN,
  FOLL_WRITE,
  GUP_PIN_COUNTING_BIAS,
  PAGE_SHIFT,
  PAGE_SIZE,
  PMD_NR,
  PMD_ORDER,
  PUD_NR,
  PUD_ORDER,
  VM_FAULT_FALLBACK,
  VM_FAULT_HWPOISON,
  VM_FAULT_NOPAGE,
  VM_FAULT_OOM,
  VM_FAULT_SIGBUS,
} from './constants';
export { CostCounters, type CostSnapshot } from './cost';
export { derivePolicy, type PolicyOverrides } from './derive-policy';
export { FREE_OWNER, type MemoryDevice, type OwnerTag } from './device';
export { DaxrefError, type DaxrefErrorCode } from './errors';
export {
  PctStrategy,
  RandomStrategy,
  ReplayStrategy,
  StrategyChooser,
  scheduleSeed,
} from './explore/choosers';
export { type ExploreOptions, type ExploreResult, explore, shardUnits } from './explore/explore';
export {
  type Footprint,
  FootprintCollector,
  independent,
  startFootprints,
  trackFootprintClasses,
} from './explore/footprint';
export {
  closeExplorerPool,
  exploreParallel,
  type ParallelOptions,
  type WorkerTask,
} from './explore/parallel';
export { type ReplayOptions, type ReplayResult, replay, selfCheck } from './explore/replay';
export {
  type RunExtras,
  type RunWithKernel,
  runSchedule,
  type ScheduleOutcome,
  type ScheduleStatus,
} from './explore/run';
export type { ModuleRef, PolicyFactory, Scenario, ScenarioTask, Verdict } from './explore/scenario';
export { type ScheduleSize, type ShrinkResult, shrink } from './explore/shrink';
export { decodeSchedule, encodeSchedule, TOKEN_PREFIX } from './explore/token';
export {
  defaultLength,
  type Merged,
  mergeUnits,
  planUnits,
  runUnits,
  type StrategyName,
  type StrategyParams,
  type UnitFailure,
  type UnitResult,
  type UnitSpec,
} from './explore/units';
export { AddressSpace, DaxEntry } from './fs/address-space';
export { createDaxDevice, DaxDevice, type DaxHolder } from './fs/dax-device';
export {
  BlockAllocator,
  DaxFs,
  type DaxFsOptions,
  Inode,
  type PreRemoveOutcome,
  xfsPreRemoveOutcome,
} from './fs/dax-fs';
export { daxPageAssociate, daxPageDisassociate, daxPageShareGet, daxPageSharePut } from './fs/dax-page';
export { createKernel, type DeviceRange, Kernel, type KernelOptions, RAM_START_PFN } from './kernel';
export {
  MAX_PFN,
  MEMMAP_BYTES_PER_PAGE,
  MEMMAP_POISON,
  Memmap,
  type MemmapField,
  type MemmapObserver,
  type MemmapRangeInit,
  type MemmapStats,
  PG_DAX_SHARED,
  PG_FREE,
  PG_HEAD,
  PG_HWPOISON,
  PG_RESERVED,
  PG_STALE,
  PG_TAIL,
  PG_ZONE_DEVICE,
} from './memmap';
export { memremapPages, memunmapPages } from './memremap';
export {
  type GupResult,
  getUserPages,
  getUserPagesFast,
  gupFast,
  pinUserPages,
  pinUserPagesFast,
} from './mm/gup';
export {
  type AccessResult,
  createMm,
  exitMmap,
  fork,
  handleMmFault,
  insertFileLeaf,
  type MmapOptions,
  madviseDontneed,
  mmap,
  mprotect,
  mremap,
  munmap,
  physAccess,
  rmapAdd,
  rmapRemove,
  splitVma,
  unmapMappingPages,
  userAccess,
  vmaMergeable,
  zapLeaf,
  zapRange,
} from './mm/memory';
export { MmuGather } from './mm/mmu-gather';
export {
  bioReleasePages,
  folioPutRefs,
  getPage,
  gupPutFolio,
  putPage,
  putRefs,
  releasePages,
  tryGrabFolio,
  tryGrabFolioFast,
  unpinUserPage,
  unpinUserPages,
} from './mm/page-ref';
export {
  type Leaf,
  levelPages,
  levelSize,
  PageTable,
  PTE_DEVMAP,
  PTE_DIRTY,
  PTE_HUGE,
  PTE_PRESENT,
  PTE_SPECIAL,
  PTE_WRITE,
  PTE_YOUNG,
  type PteValue,
  type PtLevel,
  TASK_SIZE,
} from './mm/page-table';
export { RamAllocator } from './mm/ram';
export { Mm, VM_DAX, VM_HUGEPAGE, VM_READ, VM_SHARED, VM_WRITE, Vma, type VmFile } from './mm/vma';
export { PercpuRef } from './percpu-ref';
export { DevPagemap, PgmapRegistry, type PgmapType } from './pgmap';
export type { Policy, PolicyCaps, PolicyVariant, PutPath } from './policy';
export { Rng } from './sched/rng';
export {
  type Chooser,
  NonPreemptive,
  RandomChooser,
  RoundRobin,
  type RunResult,
  type RunStatus,
  Scheduler,
  type SchedulerOptions,
} from './sched/scheduler';
export { syscall } from './sched/signal';
export {
  Completion,
  GracePeriod,
  KEY_PAGE,
  KEY_REFCOUNT,
  pageVarKey,
  RwSem,
  signalEndsWait,
  type VarKey,
  VarWaits,
  type WaitOptions,
} from './sched/sync';
export { BLOCK, type Blocker, EXIT, type KGen, PREEMPT, Task, type TaskState } from './sched/task';
export type { StepEnd, TraceEvent, TraceLog } from './trace/events';
export { type ChromeTraceEvent, formatChromeTrace, formatTraceText } from './trace/format';
export { type KernelHooks, kcall } from './trace/hooks';
export { type ObserverOptions, RunObserver } from './trace/observer';
export {
  type HangDetail,
  type HangHolder,
  VIOLATION_KINDS,
  type Violation,
  type ViolationKind,
} from './violations';
