import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReportError } from './errors';

// The shapes the report reads. They mirror the files `daxref` writes (ARCHITECTURE §4) but are
// declared here: the report reads JSON and imports neither the model nor a policy. Anything a
// newer writer adds (a verdict, a violation kind) is carried through as a string and drawn
// generically.

/** One violation of a matrix cell. */
export interface Violation {
  kind: string;
  message: string;
  step: number;
  pfn?: number;
}

/** A failing cell's counterexample (written by `daxref check`). */
export interface Timeline {
  tasks: string[];
  from: number;
  to: number;
  totalSteps: number;
  steps: { step: number; task: number; fn: string; end: string; what?: string }[];
  series: { page: string; counter: string; points: [number, number][] }[];
  violations: Violation[];
  chromeTrace?: string;
  chromeTraceOmitted?: number;
}

/** One cell of the matrix. `verdict` is `pass` / `fail` / `n/a` (`/1`), or `inconclusive` (`/2`). */
export interface Cell {
  scenario: string;
  policy: string;
  verdict: string;
  violations: Violation[];
  expected?: string;
  schedule?: string;
  exhausted?: boolean;
  note?: string;
  reason?: string;
  error?: string;
  steps?: number;
  schedulesExplored?: number;
  ms?: number;
  timeline?: Timeline;
}

/** `results/matrix.json` (`daxref.matrix/1` or `/2`). */
export interface MatrixInput {
  schema: string;
  generatedAt?: string;
  tool?: { version?: string };
  strategy?: string;
  seed?: number;
  budget?: number;
  policies: { id: string; variant?: string; title?: string }[];
  scenarios: { id: string; title?: string; source?: string }[];
  cells: Cell[];
}

/** One case of `results/bench.json`. */
export interface BenchCaseInput {
  id: string;
  policy: string;
  op: string;
  params: Record<string, string | number>;
  ns: { median: number; p75?: number; p99?: number; rme?: number };
  samples?: number;
  counts?: Record<string, number>;
  baselineRatio?: number;
}

/** `results/bench.json` (`daxref.bench/1`). */
export interface BenchInput {
  schema: string;
  generatedAt?: string;
  env?: { node?: string; v8?: string; cpu?: string; cores?: number; os?: string };
  mode?: { quick?: boolean; processes?: number };
  cases: BenchCaseInput[];
  explorer?: { scenario: string; stepsPerSec: number; schedulesPerSec: number; workers: number } | null;
  scale?: { pages: number; bytesPerPage: number; instantiateMs: number };
}

/** One scenario run on a real kernel (`daxref.oracle/1`). */
export interface OracleScenario {
  scenario: string;
  real: { verdict: string; kinds: string[]; summary?: string };
  evidence: string[];
  model: { policy: string; verdict: string; kinds: string[] };
  agree: boolean;
  /** The catalogue's reason for a disagreement it explains. */
  explained?: string;
  tries?: number;
  ms?: number;
}

/** `results/oracle.json` (`daxref.oracle/1`). */
export interface OracleInput {
  schema: string;
  generatedAt?: string;
  tool?: { version?: string };
  kernels: {
    spec: string;
    package?: string;
    release?: string;
    version?: string;
    variant?: string;
    bootMs?: number;
    status?: string;
    scenarios: OracleScenario[];
  }[];
}

/** One fuzz finding (`daxref.fuzz/1`). */
export interface FuzzFinding {
  id: string;
  kind: string;
  policies: string[];
  count: number;
  catalogue?: string;
  ops: string[];
  scenarioSource?: string;
  schedule?: string;
  traceCommand?: string;
}

/** `results/fuzz.json` (`daxref.fuzz/1`). */
export interface FuzzInput {
  schema: string;
  generatedAt?: string;
  seed?: number | string;
  runs?: number;
  policies?: string[];
  stats?: { workloads?: number; ms?: number; workloadsPerSec?: number };
  findings: FuzzFinding[];
}

/** Everything the report is built from; optional inputs that were absent or unreadable are null. */
export interface ReportInputs {
  matrix: MatrixInput;
  bench: BenchInput | null;
  oracle: OracleInput | null;
  fuzz: FuzzInput | null;
  /** Why each optional section is left out (missing file, unreadable file). */
  notes: { section: 'bench' | 'oracle' | 'fuzz'; file: string; message: string }[];
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Throws a one-line problem description (caught and tagged with the file name by the loader). */
function need(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

function arrayOf(o: Json, key: string, where: string): Json[] {
  const v = o[key];
  need(Array.isArray(v), `${where}${key} is not an array`);
  const arr = v as unknown[];
  for (const [i, x] of arr.entries()) need(isObj(x), `${where}${key}[${i}] is not an object`);
  return arr as Json[];
}

function str(o: Json, key: string, where: string): void {
  need(typeof o[key] === 'string', `${where}${key} is missing or not a string`);
}

/** Validates the matrix (`/1` and `/2`) and normalises what may be absent. */
export function parseMatrix(v: unknown): MatrixInput {
  need(isObj(v), 'the top level is not an object');
  const o = v as Json;
  need(
    o.schema === 'daxref.matrix/1' || o.schema === 'daxref.matrix/2',
    `schema is ${JSON.stringify(o.schema)}, expected "daxref.matrix/1" or "daxref.matrix/2"`,
  );
  for (const [i, p] of arrayOf(o, 'policies', '').entries()) str(p, 'id', `policies[${i}].`);
  for (const [i, s] of arrayOf(o, 'scenarios', '').entries()) str(s, 'id', `scenarios[${i}].`);
  for (const [i, c] of arrayOf(o, 'cells', '').entries()) {
    const at = `cells[${i}].`;
    str(c, 'scenario', at);
    str(c, 'policy', at);
    str(c, 'verdict', at);
    if (c.violations === undefined) c.violations = [];
    for (const [j, x] of arrayOf(c, 'violations', at).entries()) {
      need(typeof x.kind === 'string', `${at}violations[${j}].kind is not a string`);
      if (typeof x.message !== 'string') x.message = '';
    }
    // A malformed timeline costs that cell its drawing, not the report.
    if (c.timeline !== undefined && !validTimeline(c.timeline)) delete c.timeline;
  }
  return o as unknown as MatrixInput;
}

function validTimeline(t: unknown): boolean {
  if (!isObj(t)) return false;
  return (
    Array.isArray(t.tasks) &&
    Array.isArray(t.steps) &&
    Array.isArray(t.series) &&
    Array.isArray(t.violations) &&
    t.steps.every((s) => isObj(s) && typeof s.step === 'number' && typeof s.task === 'number') &&
    t.series.every(
      (s) =>
        isObj(s) &&
        Array.isArray(s.points) &&
        s.points.every((p) => Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number'),
    ) &&
    t.violations.every((x) => isObj(x) && typeof x.kind === 'string' && typeof x.step === 'number')
  );
}

/** Validates `bench.json`. */
export function parseBench(v: unknown): BenchInput {
  need(isObj(v), 'the top level is not an object');
  const o = v as Json;
  need(o.schema === 'daxref.bench/1', `schema is ${JSON.stringify(o.schema)}, expected "daxref.bench/1"`);
  for (const [i, c] of arrayOf(o, 'cases', '').entries()) {
    const at = `cases[${i}].`;
    str(c, 'policy', at);
    str(c, 'op', at);
    need(isObj(c.ns) && typeof c.ns.median === 'number', `${at}ns.median is not a number`);
    if (!isObj(c.params)) c.params = {};
    if (typeof c.id !== 'string') c.id = `${c.policy}/${c.op}`;
  }
  return o as unknown as BenchInput;
}

/** Validates `oracle.json`. */
export function parseOracle(v: unknown): OracleInput {
  need(isObj(v), 'the top level is not an object');
  const o = v as Json;
  need(o.schema === 'daxref.oracle/1', `schema is ${JSON.stringify(o.schema)}, expected "daxref.oracle/1"`);
  for (const [i, k] of arrayOf(o, 'kernels', '').entries()) {
    const at = `kernels[${i}].`;
    str(k, 'spec', at);
    for (const [j, s] of arrayOf(k, 'scenarios', at).entries()) {
      const sat = `${at}scenarios[${j}].`;
      str(s, 'scenario', sat);
      need(isObj(s.real) && typeof s.real.verdict === 'string', `${sat}real.verdict is not a string`);
      need(isObj(s.model) && typeof s.model.policy === 'string', `${sat}model.policy is not a string`);
      const real = s.real as Json;
      const model = s.model as Json;
      if (!Array.isArray(real.kinds)) real.kinds = [];
      if (!Array.isArray(model.kinds)) model.kinds = [];
      if (typeof model.verdict !== 'string') model.verdict = '?';
      if (!Array.isArray(s.evidence)) s.evidence = [];
      if (typeof s.agree !== 'boolean') s.agree = real.verdict === model.verdict;
      if (s.explained !== undefined && typeof s.explained !== 'string') delete s.explained;
    }
  }
  return o as unknown as OracleInput;
}

/** Validates `fuzz.json`. */
export function parseFuzz(v: unknown): FuzzInput {
  need(isObj(v), 'the top level is not an object');
  const o = v as Json;
  need(o.schema === 'daxref.fuzz/1', `schema is ${JSON.stringify(o.schema)}, expected "daxref.fuzz/1"`);
  for (const [i, f] of arrayOf(o, 'findings', '').entries()) {
    const at = `findings[${i}].`;
    str(f, 'id', at);
    str(f, 'kind', at);
    if (!Array.isArray(f.policies)) f.policies = [];
    if (!Array.isArray(f.ops)) f.ops = [];
    if (typeof f.count !== 'number') f.count = 1;
  }
  return o as unknown as FuzzInput;
}

function readJson(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Reads `matrix.json` (required) and `bench.json`, `oracle.json`, `fuzz.json` (optional) from
 * `dir`. A missing or malformed matrix is a `ReportError` naming the file and the problem; an
 * optional file that is missing or malformed leaves its section out with a note.
 */
export function loadInputs(dir: string): ReportInputs {
  const matrixPath = join(dir, 'matrix.json');
  if (!existsSync(matrixPath)) {
    throw new ReportError('MISSING', `${matrixPath} not found (write it with \`daxref check\`)`);
  }
  let matrix: MatrixInput;
  try {
    matrix = parseMatrix(readJson(matrixPath));
  } catch (e) {
    throw new ReportError('MALFORMED', `${matrixPath}: ${(e as Error).message}`, { cause: e });
  }
  const notes: ReportInputs['notes'] = [];
  const optional = <T>(
    section: 'bench' | 'oracle' | 'fuzz',
    name: string,
    parse: (v: unknown) => T,
    how: string,
  ): T | null => {
    const path = join(dir, name);
    if (!existsSync(path)) {
      notes.push({ section, file: path, message: `${name} not found (${how})` });
      return null;
    }
    try {
      return parse(readJson(path));
    } catch (e) {
      notes.push({ section, file: path, message: `${name} skipped: ${(e as Error).message}` });
      return null;
    }
  };
  return {
    matrix,
    bench: optional('bench', 'bench.json', parseBench, 'run `daxref bench --quick`'),
    oracle: optional(
      'oracle',
      'oracle.json',
      parseOracle,
      'run `daxref oracle` to compare with real kernels',
    ),
    fuzz: optional('fuzz', 'fuzz.json', parseFuzz, 'run `daxref fuzz` to search beyond the catalogue'),
    notes,
  };
}
