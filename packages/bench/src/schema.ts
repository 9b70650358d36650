import type { CostSnapshot, ViolationKind } from '@daxref/core';

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
}

/** One cell of `results/matrix.json`. */
export interface MatrixCell {
  scenario: string;
  policy: string;
  verdict: 'pass' | 'fail' | 'n/a';
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
}

/** `results/matrix.json`, schema `daxref.matrix/1` (ARCHITECTURE §4). */
export interface MatrixFile {
  schema: 'daxref.matrix/1';
  generatedAt: string;
  tool: { version: string };
  strategy: string;
  seed: number;
  budget: number;
  policies: { id: string; variant: string; title: string }[];
  scenarios: { id: string; title: string; source: string }[];
  cells: MatrixCell[];
}
