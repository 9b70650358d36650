import type { CostSnapshot, HangDetail, ViolationKind } from '@daxref/core';
import type { RatioFile } from './hotpath/ratios';

/** `results/bench.json`, schema `daxref.bench/1` (ARCHITECTURE §4). */
export interface BenchFile {
  schema: 'daxref.bench/1';
  generatedAt: string;
  env: { node: string; v8: string; cpu: string; cores: number; os: string };
  /** `quick` or `full`, and how many processes each policy ran in. */
  mode?: { quick: boolean; processes: number };
  cases: BenchCase[];
  explorer: { scenario: string; stepsPerSec: number; schedulesPerSec: number; workers: number } | null;
  scale: { pages: number; bytesPerPage: number; instantiateMs: number };
  /** Hot-path ratios measured side by side, one process per design (`measureRatios`). */
  ratios?: RatioFile[];
  /** Policies whose benchmark process failed (a case failed its validation); the rest are kept. */
  failed?: { policy: string; error: string }[];
}

/** One measured case: an op under a policy with its parameters. */
export interface BenchCase {
  id: string;
  policy: string;
  op: string;
  params: Record<string, string | number>;
  ns: { median: number; p75: number; p99: number; rme: number };
  samples: number;
  counts: CostSnapshot;
  baselineRatio: number;
  /**
   * What `baselineRatio` divides by: `paired-control` (the policy-free get/put measured in the
   * policy's own processes) or `baseline` (`get-put-normal` under `none`, for `none` and `floor`).
   */
  ratioTo?: 'paired-control' | 'baseline';
}

/** One violation in a matrix cell. */
export interface MatrixViolation {
  kind: ViolationKind;
  message: string;
  step: number;
  pfn?: number;
  /** For `hang`: the waiter, its wait key and predicate, whether a signal ends it, and the reference holders. */
  hang?: HangDetail;
}

/** One cell of `results/matrix.json`. */
export interface MatrixCell {
  scenario: string;
  policy: string;
  /** `inconclusive`: no violation found, but a schedule could not be judged (see `reason`); never a pass. */
  verdict: 'pass' | 'fail' | 'n/a' | 'inconclusive';
  /** Why the cell is `inconclusive` (step budget spent, a scenario's timed wait expired). */
  reason?: string;
  violations: MatrixViolation[];
  expected?: string;
  schedule?: string;
  /** DFS explored the whole bounded space. */
  exhausted?: boolean;
  /** Why a cell is `n/a`. */
  note?: string;
  /** A task body threw: a bug in the scenario or the model (the verdict is then `fail`). */
  error?: string;
  steps: number;
  schedulesExplored: number;
  ms: number;
  /** A failing cell's counterexample, replayed from `schedule` with the trace on (for the report). */
  timeline?: CellTimeline;
}

/** One scheduler step of a timeline: which task ran, in which kernel function, how it ended. */
export interface TimelineStep {
  step: number;
  task: number;
  fn: string;
  end: string;
  /** What a blocked task waits for. */
  what?: string;
}

/** One counter of one page (or pgmap) as it changes: `[step, value]` points, a step function. */
export interface TimelineSeries {
  /** `0x…` pfn of the page, or `pgmap N`. */
  page: string;
  /** `pincount` is a large folio's `_pincount`; a small folio's pins are `_refcount` / 1024. */
  counter: '_refcount' | 'mapcount' | 'pincount' | 'pins (_refcount/1024)' | 'pgmap ref';
  points: [number, number][];
}

/**
 * A failing cell's counterexample as the report draws it: lanes (tasks by id, 0 = kernel), the
 * steps `from`..`to` of `totalSteps` (bounded, ending just after the last violation), the pages in
 * play, the violations, and the Chrome trace JSON (Perfetto) unless it was too large.
 */
export interface CellTimeline {
  tasks: string[];
  from: number;
  to: number;
  totalSteps: number;
  steps: TimelineStep[];
  series: TimelineSeries[];
  violations: MatrixViolation[];
  chromeTrace?: string;
  /** Size in bytes of a Chrome trace too large to embed. */
  chromeTraceOmitted?: number;
}

/**
 * `results/matrix.json`, schema `daxref.matrix/2` (ARCHITECTURE §4). /2 adds the verdict
 * `inconclusive` with its `reason`, and the violation kind `hang` with its `hang` detail.
 */
export interface MatrixFile {
  schema: 'daxref.matrix/2';
  generatedAt: string;
  tool: { version: string };
  strategy: string;
  seed: number;
  budget: number;
  policies: { id: string; variant: string; title: string }[];
  scenarios: { id: string; title: string; source: string }[];
  cells: MatrixCell[];
}
