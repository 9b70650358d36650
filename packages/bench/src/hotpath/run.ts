import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, release, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchError } from '../errors';
import type { ResolvedPolicy } from '../policies';
import type { BenchCase, BenchFile } from '../schema';
import type { MeasureOptions, RawCase } from './measure';
import { caseId } from './ops';
import type { RatioFile } from './ratios';
import { summarize } from './stats';

/** Options of `runBench`. */
export interface RunBenchOptions {
  /** The designs to measure (the baseline `none` and the floor are always added). */
  policies: readonly ResolvedPolicy[];
  /** Under a minute: one process per policy and short sampling. Default false. */
  quick?: boolean;
  /** Processes per policy (default 1 quick, 3 full), each run in a rotated policy order. */
  processes?: number;
  /** Called as each process finishes (progress). */
  onProgress?: (done: number, total: number, label: string) => void;
  /** Explorer figures to include, measured by the caller. */
  explorer?: BenchFile['explorer'];
  /** Where the child scripts (`hotpath-child.js`, `scale-child.js`) are; default: this package's dist. */
  distDir?: string;
  /** Also measure the side-by-side hot-path ratios (`runRatios`). Default true. */
  ratios?: boolean;
}

function distDir(): string {
  // This module runs from dist/ (bundled into cli.js / index.js): its siblings are there.
  const here = dirname(fileURLToPath(import.meta.url));
  return here.endsWith('hotpath') ? join(here, '..', '..', 'dist') : here;
}

/**
 * The line of a failed child's stderr that says why: its error line, not Node's closing
 * `Node.js v20…` banner.
 */
export function failureLine(stderr: string, status: number | null): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^Node\.js v\d/.test(l) && !/^at /.test(l) && l !== '^');
  return lines.find((l) => /\b\w*Error\b|error:/.test(l)) ?? lines.pop() ?? `exit code ${status}`;
}

function runChild(dir: string, script: string, args: string[], nodeFlags: string[] = []): string {
  const path = join(dir, script);
  if (!existsSync(path))
    throw new BenchError(
      'IO',
      `the benchmark measures the built package, and ${path} is missing: run \`pnpm build\` first`,
    );
  const r = spawnSync(process.execPath, [...nodeFlags, path, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) {
    throw new BenchError(
      'IO',
      `benchmark process ${script} failed: ${failureLine(r.stderr ?? '', r.status)}`,
    );
  }
  return r.stdout;
}

/** The hot-path ratios of each design, each measured in a process of its own (`measureRatios`). */
export function runRatios(policies: readonly ResolvedPolicy[], rounds = 61, dir = distDir()): RatioFile[] {
  return policies.map(
    (p) =>
      JSON.parse(runChild(dir, 'ratios-child.js', [JSON.stringify({ policy: p.id, rounds })])) as RatioFile,
  );
}

/**
 * Runs the hot-path benchmark: one child process per policy (the built dist is measured), the
 * policy order rotated between rounds, samples merged across processes; every figure is also a
 * ratio to `get-put-normal` under policy `none`, measured in the same run.
 */
export function runBench(opts: RunBenchOptions): BenchFile {
  const quick = opts.quick ?? false;
  const dir = opts.distDir ?? distDir();
  const processes = opts.processes ?? (quick ? 1 : 3);
  const options: MeasureOptions = quick
    ? { timeMs: 60, warmupMs: 15, minSampleNs: 10_000, maxSamples: 400 }
    : { timeMs: 400, warmupMs: 100, minSampleNs: 20_000, maxSamples: 2000 };
  const ids = ['none', 'floor', ...opts.policies.map((p) => p.id)];
  const merged = new Map<string, { policy: string; raw: RawCase }>();
  const controls = new Map<string, number[]>();
  const total = processes * ids.length;
  let done = 0;
  const failed = new Map<string, string>();
  for (let round = 0; round < processes; round++) {
    const order = ids.map((_, i) => ids[(i + round) % ids.length]!);
    for (const id of order) {
      if (failed.has(id)) {
        opts.onProgress?.(++done, total, id);
        continue;
      }
      let out: RawCase[];
      try {
        out = JSON.parse(
          runChild(dir, 'hotpath-child.js', [JSON.stringify({ policy: id, options })]),
        ) as RawCase[];
      } catch (e) {
        // The baseline and the floor are needed by every ratio; a policy that fails its own
        // validation is recorded and the others' results are kept.
        if (id === 'none' || id === 'floor' || !(e instanceof BenchError) || /is missing/.test(e.message))
          throw e;
        failed.set(
          id,
          e.message.replace(/^daxref: benchmark process hotpath-child\.js failed: (daxref: )?/, ''),
        );
        for (const key of [...merged.keys()]) if (merged.get(key)!.policy === id) merged.delete(key);
        controls.delete(id);
        opts.onProgress?.(++done, total, id);
        continue;
      }
      for (const raw of out) {
        if (raw.control) {
          controls.set(id, [...(controls.get(id) ?? []), ...raw.samples]);
          continue;
        }
        const key = caseId(id, raw);
        const prev = merged.get(key);
        if (prev === undefined) merged.set(key, { policy: id, raw });
        else prev.raw.samples.push(...raw.samples);
      }
      opts.onProgress?.(++done, total, id);
    }
  }
  const base = merged.get(caseId('none', { op: 'get-put-normal', params: {} }));
  if (base === undefined)
    throw new BenchError('IO', 'the baseline get-put-normal under policy none was not measured');
  const baseMedian = summarize(base.raw.samples).median;
  const cases: BenchCase[] = [];
  const controlMedian = new Map([...controls].map(([id, xs]) => [id, summarize(xs).median]));
  for (const [id, { policy, raw }] of merged) {
    const ns = summarize(raw.samples);
    // A policy's ratios are against the policy-free get/put measured in its own processes (a
    // paired control); the baseline's and the floor's against the baseline itself.
    const paired = controlMedian.get(policy);
    const ref = paired ?? baseMedian;
    cases.push({
      id,
      policy,
      op: raw.op,
      params: raw.params,
      ns,
      samples: raw.samples.length,
      counts: raw.counts,
      baselineRatio: ns.median / ref,
      ratioTo: paired === undefined ? 'baseline' : 'paired-control',
    });
  }
  const scale = JSON.parse(runChild(dir, 'scale-child.js', [], ['--expose-gc'])) as BenchFile['scale'];
  // A policy whose timing process failed gets no ratios either; one whose ratio process fails is
  // recorded as failed and the others are kept.
  const ratios: RatioFile[] = [];
  if (opts.ratios !== false)
    for (const p of opts.policies.filter((x) => !failed.has(x.id))) {
      try {
        ratios.push(...runRatios([p], quick ? 31 : 61, dir));
      } catch (e) {
        failed.set(p.id, `ratios: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  return {
    schema: 'daxref.bench/1',
    generatedAt: new Date().toISOString(),
    env: {
      node: process.version,
      v8: process.versions.v8,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      os: `${type()} ${release()}`,
    },
    mode: { quick, processes },
    cases,
    explorer: opts.explorer ?? null,
    scale,
    ratios,
    failed: [...failed].map(([policy, error]) => ({ policy, error })),
  };
}
