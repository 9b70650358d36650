// @daxref/bench: the programmatic API. Every export is named here.

export { BenchError, type BenchErrorCode } from './errors';
export { type ExplorerFigures, explorerScenario, measureExplorer } from './explorer-bench';
export { classify, classifyByDesign, MECHANISMS, type Mechanism } from './fuzz/classify';
export {
  DEFAULT_EXPLORE,
  type ExploreSettings,
  exploreWorkload,
  type Outcome,
  outcomeOf,
  type Shrunk,
  shrinkWorkload,
  signatures,
} from './fuzz/explore';
export {
  asFuzzFile,
  comparableFuzz,
  DEFAULT_FUZZ_SEED,
  DEFAULT_RUNS,
  DEFAULT_SHRINK_TRIES,
  FUZZ_SCHEMA,
  type FuzzFile,
  type FuzzFinding,
  type FuzzOptions,
  type FuzzWorkloadRow,
  mergeFuzz,
  runFuzz,
  type Shard,
  shardIndices,
} from './fuzz/run';
export { type FuzzCtx, fuzzScenario, type Held, scenarioSource, type TaskState } from './fuzz/scenario';
export {
  DEFAULT_GENERATOR,
  decodeWorkload,
  describeOps,
  encodeWorkload,
  FILE_PAGES,
  FUZZ_PREFIX,
  type FuzzOp,
  type FuzzOpName,
  type GeneratorSettings,
  generateWorkload,
  MAX_FILES,
  MAX_TASKS,
  type Workload,
  workloadArbitrary,
  workloadSeed,
} from './fuzz/workload';
export {
  BASELINE_CASE,
  caseId,
  FLOOR_CASES,
  type OpCase,
  POLICY_CASES,
  type PreparedOp,
  prepareOp,
} from './hotpath/ops';
export { formatRatios, measureRatios, type RatioFigure, type RatioFile } from './hotpath/ratios';
export { failureLine, type RunBenchOptions, runBench, runRatios } from './hotpath/run';
export { type Summary, summarize } from './hotpath/stats';
export { KERNEL_VARIANTS, type KernelVariant, kernelVariantRow, variantForKernel } from './kernel-variants';
export {
  type CellJob,
  DEFAULT_BUDGET,
  DEFAULT_SEED,
  DEFAULT_STRATEGY,
  effectiveWorkers,
  type MatrixOptions,
  type PolicyInput,
  runCell,
  runMatrix,
  type ScenarioInput,
  STRATEGIES,
  unexpected,
} from './matrix';
export {
  allPolicies,
  defaultPolicies,
  loadPolicyModule,
  POLICY_NAMES,
  type PolicyModule,
  type ResolvedPolicy,
  resolvePolicies,
  resolvePolicy,
} from './policies';
export {
  REAL_KERNEL_RUNS,
  REAL_KERNELS_SOURCE,
  type RealKernelRun,
} from './real-kernels';
export { CATALOGUE } from './scenarios/catalogue/index';
export {
  type CatalogueEntry,
  DEFAULTS as DEFAULT_VARIANTS,
  type Expectation,
  type Expected,
  expect as expectations,
  type RealKernelNote,
  workloadExpect,
} from './scenarios/entry';
export { SCENARIO_IDS, selectScenarios } from './scenarios/index';
export {
  type GuestRun,
  REAL_KERNEL,
  REAL_KERNEL_RUN_IDS,
  type RealKernelDecl,
  scenarioOfRun,
} from './scenarios/real-kernel';
export {
  mapExisting,
  needsReflink,
  type ReflinkCtx,
  reflinkSetup,
  reflinkTasks,
  reflinkTeardown,
} from './scenarios/reflink';
export {
  dmaTask,
  dmaWrite,
  type ForkCtx,
  fullTeardown,
  type GupCtx,
  owning,
  type PinCtx,
  pinSetup,
  pinTeardown,
  released,
  reuseTask,
  truncateTask,
  type UnbindCtx,
  waitOrTimeout,
} from './scenarios/tasks';
export { closeAll, ensure, type WorkCtx } from './scenarios/workload';
export {
  type DaxWorld,
  type DaxWorldOptions,
  daxWorld,
  type Mapping,
  mapFile,
  payload,
  settle,
} from './scenarios/world';
export { bindToken, cellTag, splitToken } from './schedule-token';
export type {
  BenchCase,
  BenchFile,
  CellTimeline,
  MatrixCell,
  MatrixFile,
  MatrixViolation,
  TimelineSeries,
  TimelineStep,
} from './schema';
export { buildTimeline, TIMELINE_LIMITS, type TimelineLimits } from './timeline';
export { type TraceOptions, type TraceOutput, traceScenario } from './trace';
export {
  loadPolicyRef,
  loadScenarioRef,
  POLICY_EXPORTS,
  policyShapeError,
  SCENARIO_EXPORTS,
  scenarioShapeError,
} from './user-modules';
export { VERSION } from './version';
