// `daxref fuzz`: the seeded workload stream explored under every selected design, findings
// grouped by differential signature, each shrunk and classified; sharded by index, so shard
// outputs merge into exactly what one process writes.
import { Worker } from 'node:worker_threads';
import { BenchError } from '../errors';
import { resolvePolicies } from '../policies';
import { VERSION } from '../version';
import { DEFAULT_EXPLORE, type ExploreSettings, signatures } from './explore';
import { type FuzzJob, type FuzzPlan, render, runJob, type ShrunkFinding, type WorkloadOutcome } from './job';
import { DEFAULT_GENERATOR, decodeWorkload, type GeneratorSettings } from './workload';

/** Schema id of `results/fuzz.json`. */
export const FUZZ_SCHEMA = 'daxref.fuzz/1';
/** The default seed and run count. */
export const DEFAULT_FUZZ_SEED = 1;
export const DEFAULT_RUNS = 100;
/** Candidate workloads a finding's shrinking may explore. */
export const DEFAULT_SHRINK_TRIES = 120;

/** A shard: the workloads whose index `i` has `i % n === k - 1`. */
export interface Shard {
  readonly k: number;
  readonly n: number;
}

/** One finding: an outcome kind and the designs that show it, with its minimal workload. */
export interface FuzzFinding extends ShrunkFinding {
  /** `kind:design,design` — stable across runs, shards and merges. */
  readonly id: string;
  readonly kind: string;
  readonly policies: string[];
  /** Workloads that showed this signature. */
  readonly count: number;
  /** Index of the first workload that showed it (the representative that was shrunk). */
  readonly firstIndex: number;
  /** False when the run was interrupted before shrinking. */
  readonly shrunk: boolean;
}

/** A workload that did not pass under every design: its outcome per design. */
export interface FuzzWorkloadRow {
  readonly index: number;
  readonly workload: string;
  readonly outcomes: Record<string, string>;
}

/** `results/fuzz.json`. */
export interface FuzzFile {
  schema: typeof FUZZ_SCHEMA;
  generatedAt: string;
  tool: { version: string };
  seed: number;
  /** Workloads in the whole stream (all shards together). */
  runs: number;
  policies: string[];
  settings: {
    tasks: [number, number];
    ops: number;
    files: [number, number];
    budget: number;
    bound: number;
    shrinkTries: number;
  };
  shard?: Shard;
  /** True when Ctrl-C stopped the run: fewer workloads, findings unshrunk. */
  interrupted?: boolean;
  stats: {
    workloads: number;
    ms: number;
    workloadsPerSec: number;
    /** Time spent exploring the stream (workloadsPerSec counts this) and shrinking findings. */
    exploreMs: number;
    /**
     * CPU time of the whole process (every thread, GC helpers included) while exploring, and
     * workloads per CPU second: the per-core rate, which a loaded machine does not distort.
     */
    exploreCpuMs: number;
    workloadsPerCpuSec: number;
    shrinkMs: number;
    workers: number;
  };
  /** Outcome counts per design: `{ "0based@v6.15": { "pass": 290, "deadlock": 10 } }`. */
  outcomes: Record<string, Record<string, number>>;
  findings: FuzzFinding[];
  workloads: FuzzWorkloadRow[];
}

/** Options of `runFuzz`. */
export interface FuzzOptions {
  /** Policy ids (`name`, `name@variant`, `name@all`); default: the default variant of each design. */
  policies?: readonly string[];
  runs?: number;
  seed?: number;
  generator?: GeneratorSettings;
  explore?: ExploreSettings;
  shrinkTries?: number;
  shard?: Shard;
  /** Worker threads (the result is the same with any count). Default 1. */
  workers?: number;
  /** Called after each explored workload. */
  onProgress?(done: number, total: number, findings: number): void;
  /** Set `aborted` to stop: what was explored is kept, findings stay unshrunk. */
  signal?: { aborted: boolean };
}

/** The stream indices a shard explores. */
export function shardIndices(runs: number, shard?: Shard): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) if (shard === undefined || i % shard.n === shard.k - 1) out.push(i);
  return out;
}

function workerUrl(): { url: URL; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts'))
    return { url: new URL('./worker-src.mjs', here), execArgv: ['--conditions=@daxref/source'] };
  return { url: new URL('./fuzz-worker.js', here), execArgv: [] };
}

/** Runs jobs on `workers` threads (or this one), results in job order. */
async function runJobs<R>(
  jobs: readonly FuzzJob[],
  workers: number,
  signal: { aborted: boolean } | undefined,
  onDone: (i: number, r: R) => void,
): Promise<void> {
  if (workers <= 1) {
    for (let i = 0; i < jobs.length && !signal?.aborted; i++) {
      onDone(i, (await runJob(jobs[i]!)) as R);
      await new Promise<void>((r) => setImmediate(r)); // let a Ctrl-C handler run
    }
    return;
  }
  const { url, execArgv } = workerUrl();
  let next = 0;
  await Promise.all(
    Array.from(
      { length: Math.min(workers, jobs.length) },
      () =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(url, { execArgv });
          const feed = () => {
            if (next >= jobs.length || signal?.aborted) {
              void w.terminate().then(() => resolve());
              return;
            }
            const i = next++;
            w.once('message', (m: { result?: R; error?: string }) => {
              if (m.error !== undefined) {
                void w.terminate();
                reject(new BenchError('USAGE', m.error));
                return;
              }
              onDone(i, m.result as R);
              feed();
            });
            w.postMessage(jobs[i]);
          };
          w.once('error', reject);
          feed();
        }),
    ),
  );
}

interface Group {
  kind: string;
  designs: number[];
  count: number;
  first: WorkloadOutcome;
}

function groupKey(kind: string, ids: readonly string[]): string {
  return `${kind}:${ids.join(',')}`;
}

/**
 * Runs the fuzzer: workload `i` of the seeded stream (for the indices of the shard) is generated,
 * explored under every design, and its non-pass outcomes grouped into findings by signature; each
 * finding's first workload is shrunk and classified. The result depends only on the options,
 * never on the worker count (timings aside: see `comparableFuzz`).
 */
export async function runFuzz(opts: FuzzOptions = {}): Promise<FuzzFile> {
  const policies =
    opts.policies && opts.policies.length > 0
      ? await resolvePolicies(opts.policies)
      : await resolvePolicies(['1based', '0based', 'coarse-pin']);
  const ids = policies.map((p) => p.id);
  const plan: FuzzPlan = {
    policies: ids,
    seed: opts.seed ?? DEFAULT_FUZZ_SEED,
    generator: opts.generator ?? DEFAULT_GENERATOR,
    explore: opts.explore ?? DEFAULT_EXPLORE,
    shrinkTries: opts.shrinkTries ?? DEFAULT_SHRINK_TRIES,
  };
  const runs = opts.runs ?? DEFAULT_RUNS;
  const workers = Math.max(1, opts.workers ?? 1);
  const indices = shardIndices(runs, opts.shard);
  const results: (WorkloadOutcome | undefined)[] = new Array(indices.length);
  const seen = new Set<string>();
  let done = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await runJobs<WorkloadOutcome>(
    indices.map((index) => ({ type: 'explore', plan, index })),
    workers,
    opts.signal,
    (i, r) => {
      results[i] = r;
      for (const s of signatures(r.outcomes))
        seen.add(
          groupKey(
            s.kind,
            s.designs.map((d) => ids[d]!),
          ),
        );
      opts.onProgress?.(++done, indices.length, seen.size);
    },
  );
  const exploreMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const exploreCpuMs = (cpu.user + cpu.system) / 1000;
  const interrupted = opts.signal?.aborted === true;
  // Findings, grouped in index order: the first workload of a group is its representative.
  const groups = new Map<string, Group>();
  const outcomes: Record<string, Record<string, number>> = Object.fromEntries(ids.map((id) => [id, {}]));
  const rows: FuzzWorkloadRow[] = [];
  for (const r of results) {
    if (r === undefined) continue;
    r.outcomes.forEach((o, d) => {
      const c = outcomes[ids[d]!]!;
      c[o.outcome] = (c[o.outcome] ?? 0) + 1;
    });
    const sigs = signatures(r.outcomes);
    if (sigs.length > 0)
      rows.push({
        index: r.index,
        workload: r.workload,
        outcomes: Object.fromEntries(r.outcomes.map((o, d) => [ids[d]!, o.outcome])),
      });
    for (const s of sigs) {
      const key = groupKey(
        s.kind,
        s.designs.map((d) => ids[d]!),
      );
      const g = groups.get(key);
      if (g) g.count++;
      else groups.set(key, { kind: s.kind, designs: s.designs, count: 1, first: r });
    }
  }
  const t1 = performance.now();
  const list = [...groups.entries()];
  const shrunk: ShrunkFinding[] = new Array(list.length);
  if (!interrupted) {
    await runJobs<ShrunkFinding>(
      list.map(([, g]) => ({ type: 'shrink', plan, index: g.first.index, kind: g.kind, designs: g.designs })),
      workers,
      undefined,
      (i, r) => {
        shrunk[i] = r;
      },
    );
  } else {
    list.forEach(([, g], i) => {
      const o = g.first.outcomes[g.designs[0]!]!;
      shrunk[i] = render(
        decodeWorkload(g.first.workload),
        o,
        g.kind,
        g.designs.map((d) => ids[d]!),
        0,
      );
    });
  }
  const shrinkMs = performance.now() - t1;
  const findings: FuzzFinding[] = list.map(([key, g], i) => ({
    id: key,
    kind: g.kind,
    policies: g.designs.map((d) => ids[d]!),
    count: g.count,
    firstIndex: g.first.index,
    shrunk: !interrupted,
    ...shrunk[i]!,
  }));
  const workloads = results.filter((r) => r !== undefined).length;
  return finishFile({
    schema: FUZZ_SCHEMA,
    generatedAt: new Date().toISOString(),
    tool: { version: VERSION },
    seed: plan.seed,
    runs,
    policies: ids,
    settings: {
      tasks: [...plan.generator.tasks],
      ops: plan.generator.ops,
      files: [...plan.generator.files],
      budget: plan.explore.budget,
      bound: plan.explore.bound,
      shrinkTries: plan.shrinkTries,
    },
    ...(opts.shard ? { shard: opts.shard } : {}),
    ...(interrupted ? { interrupted: true } : {}),
    stats: {
      workloads,
      ms: Math.round(exploreMs + shrinkMs),
      workloadsPerSec: rate(workloads, exploreMs),
      exploreMs: Math.round(exploreMs),
      exploreCpuMs: Math.round(exploreCpuMs),
      workloadsPerCpuSec: rate(workloads, exploreCpuMs),
      shrinkMs: Math.round(shrinkMs),
      workers,
    },
    outcomes,
    findings,
    workloads: rows,
  });
}

/** Workloads per second of `ms`, to one decimal. */
function rate(workloads: number, ms: number): number {
  return ms > 0 ? Math.round((workloads / ms) * 10000) / 10 : 0;
}

/** Canonical order: findings by first index, then id; workload rows by index; outcome keys sorted. */
function finishFile(f: FuzzFile): FuzzFile {
  f.findings.sort((a, b) => a.firstIndex - b.firstIndex || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  f.workloads.sort((a, b) => a.index - b.index);
  for (const id of Object.keys(f.outcomes)) {
    const c = f.outcomes[id]!;
    f.outcomes[id] = Object.fromEntries(
      Object.keys(c)
        .sort()
        .map((k) => [k, c[k]!]),
    );
  }
  return f;
}

/**
 * A fuzz file without what legitimately varies between equal runs: `generatedAt` and the
 * timing stats (`ms`, `exploreMs`, `shrinkMs`, `workloadsPerSec`, `workers`). Two runs with the
 * same seed and settings, on any worker count, split into any shards and merged or not, have
 * byte-identical `JSON.stringify(comparableFuzz(…))`.
 */
export function comparableFuzz(
  f: FuzzFile,
): Omit<FuzzFile, 'generatedAt' | 'stats'> & { stats: { workloads: number } } {
  const { generatedAt: _g, stats, ...rest } = f;
  return { ...rest, stats: { workloads: stats.workloads } };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Merges shard outputs into the file one process would have written: the shards must share seed,
 * runs, designs, settings and tool version, and be the shards 1..n of one split, each once (an
 * unsharded file merges only with nothing). Counts add up; a finding's representative is the one
 * with the lowest first index, which is the workload one process would have shrunk.
 */
export function mergeFuzz(files: readonly FuzzFile[]): FuzzFile {
  if (files.length === 0) throw new BenchError('USAGE', 'merge needs at least one fuzz file');
  const a = files[0]!;
  for (const f of files) {
    if (f.schema !== FUZZ_SCHEMA)
      throw new BenchError('BAD_INPUT', `not a ${FUZZ_SCHEMA} file (schema '${String(f.schema)}')`);
    for (const field of ['seed', 'runs', 'policies', 'settings', 'tool'] as const) {
      if (!same(f[field], a[field]))
        throw new BenchError(
          'BAD_INPUT',
          `cannot merge: '${field}' differs (${JSON.stringify(a[field])} vs ${JSON.stringify(f[field])})`,
        );
    }
    if (f.interrupted)
      throw new BenchError(
        'BAD_INPUT',
        'cannot merge an interrupted run (its findings are unshrunk and its shard incomplete)',
      );
  }
  const n = a.shard?.n ?? 1;
  const ks = files.map((f) => f.shard?.k ?? 1).sort((x, y) => x - y);
  if (
    files.some((f) => (f.shard?.n ?? 1) !== n) ||
    !same(
      ks,
      Array.from({ length: n }, (_, i) => i + 1),
    )
  ) {
    throw new BenchError(
      'BAD_INPUT',
      `cannot merge: need shards 1..${n} of ${n} once each, got ${files.map((f) => (f.shard ? `${f.shard.k}/${f.shard.n}` : 'unsharded')).join(', ')}`,
    );
  }
  const outcomes: Record<string, Record<string, number>> = {};
  const findings = new Map<string, FuzzFinding>();
  for (const f of files) {
    for (const [id, c] of Object.entries(f.outcomes)) {
      const o = outcomes[id] ?? {};
      outcomes[id] = o;
      for (const [k, v] of Object.entries(c)) o[k] = (o[k] ?? 0) + v;
    }
    for (const x of f.findings) {
      const y = findings.get(x.id);
      if (y === undefined) findings.set(x.id, { ...x });
      else {
        const lo = x.firstIndex < y.firstIndex ? x : y;
        findings.set(x.id, { ...lo, count: x.count + y.count });
      }
    }
  }
  const workloads = files.reduce((s, f) => s + f.stats.workloads, 0);
  const exploreMs = files.reduce((s, f) => s + f.stats.exploreMs, 0);
  const exploreCpuMs = files.reduce((s, f) => s + (f.stats.exploreCpuMs ?? 0), 0);
  const shrinkMs = files.reduce((s, f) => s + f.stats.shrinkMs, 0);
  const { shard: _s, ...base } = a;
  return finishFile({
    ...base,
    generatedAt: new Date().toISOString(),
    stats: {
      workloads,
      ms: exploreMs + shrinkMs,
      workloadsPerSec: rate(workloads, exploreMs),
      exploreMs,
      exploreCpuMs,
      workloadsPerCpuSec: rate(workloads, exploreCpuMs),
      shrinkMs,
      workers: Math.max(...files.map((f) => f.stats.workers)),
    },
    outcomes,
    findings: [...findings.values()],
    workloads: files.flatMap((f) => f.workloads),
  });
}

/** Checks that a parsed JSON value looks like a fuzz file (enough for `mergeFuzz`). */
export function asFuzzFile(v: unknown, name: string): FuzzFile {
  const f = v as Partial<FuzzFile> | null;
  if (
    f === null ||
    typeof f !== 'object' ||
    f.schema !== FUZZ_SCHEMA ||
    !Array.isArray(f.findings) ||
    f.stats === undefined
  )
    throw new BenchError('BAD_INPUT', `${name} is not a ${FUZZ_SCHEMA} file`);
  return f as FuzzFile;
}
