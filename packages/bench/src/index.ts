// @daxref/bench: the programmatic API. Every export is named here.

export { BenchError, type BenchErrorCode } from './errors';
export { type ExplorerFigures, explorerScenario, measureExplorer } from './explorer-bench';
export {
  BASELINE_CASE,
  caseId,
  FLOOR_CASES,
  type OpCase,
  POLICY_CASES,
  type PreparedOp,
  prepareOp,
} from './hotpath/ops';
export { failureLine, type RunBenchOptions, runBench } from './hotpath/run';
export { type Summary, summarize } from './hotpath/stats';
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
export { CATALOGUE } from './scenarios/catalogue/index';
export {
  type CatalogueEntry,
  DEFAULTS as DEFAULT_VARIANTS,
  type Expectation,
  type Expected,
  expect as expectations,
  workloadExpect,
} from './scenarios/entry';
export { SCENARIO_IDS, selectScenarios } from './scenarios/index';
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
export type { BenchCase, BenchFile, MatrixCell, MatrixFile, MatrixViolation } from './schema';
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
