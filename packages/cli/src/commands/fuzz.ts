// `daxref fuzz` and `daxref merge`: differential random workloads across designs, and the merge
// of shard outputs.
import { readFileSync } from 'node:fs';
import {
  asFuzzFile,
  BenchError,
  DEFAULT_EXPLORE,
  DEFAULT_FUZZ_SEED,
  DEFAULT_GENERATOR,
  DEFAULT_RUNS,
  DEFAULT_SHRINK_TRIES,
  type FuzzFile,
  MAX_FILES,
  MAX_TASKS,
  mergeFuzz,
  runFuzz,
  type Shard,
} from '@daxref/bench';
import { type Command, InvalidArgumentError } from 'commander';
import { interactive, writeAtomic } from '../io';
import type { CommandContext } from './context';

function collect(value: string, prev: string[]): string[] {
  return [...prev, value];
}

function intArg(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}, got '${v}'`);
    return n;
  };
}

function rangeArg(name: string, min: number, max: number) {
  return (v: string): [number, number] => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(v);
    const lo = m ? Number(m[1]) : Number.NaN;
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!m || lo < min || hi > max || lo > hi)
      throw new InvalidArgumentError(`${name} must be N or LO-HI within ${min}-${max}, got '${v}'`);
    return [lo, hi];
  };
}

function shardArg(v: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const k = m ? Number(m[1]) : 0;
  const n = m ? Number(m[2]) : 0;
  if (!m || n < 1 || k < 1 || k > n)
    throw new InvalidArgumentError(`--shard must be K/N with 1 <= K <= N, got '${v}'`);
  return { k, n };
}

interface FuzzOpts {
  policy: string[];
  runs: number;
  seed: number;
  tasks: [number, number];
  ops: number;
  files: [number, number];
  budget: number;
  bound: number;
  shrinkTries: number;
  shard?: Shard;
  workers: number;
  json: string;
}

/** The human summary of a fuzz file. */
export function formatFuzz(f: FuzzFile): string {
  const out: string[] = [];
  const s = f.stats;
  out.push(
    `fuzz: ${s.workloads} workloads${f.shard ? ` (shard ${f.shard.k}/${f.shard.n} of ${f.runs})` : ''} × ${f.policies.length} designs, seed ${f.seed}${f.interrupted ? ' (interrupted)' : ''}`,
  );
  const d = f.policies.length;
  const r1 = (x: number) => Math.round(x * 10) / 10;
  out.push(
    `  ${s.workloadsPerSec} workloads/s wall (${r1(s.workloadsPerSec * d)} workload-designs/s) on ${s.workers} worker${s.workers === 1 ? '' : 's'}, ${(s.exploreCpuMs / Math.max(1, s.exploreMs)).toFixed(2)} cores busy on average`,
  );
  out.push(
    `  per CPU second: ${s.workloadsPerCpuSec} workloads (${r1(s.workloadsPerCpuSec * d)} workload-designs); explore ${(s.exploreMs / 1000).toFixed(1)} s, shrink ${(s.shrinkMs / 1000).toFixed(1)} s`,
  );
  const w = Math.max(...f.policies.map((p) => p.length));
  out.push('outcomes per design:');
  for (const p of f.policies) {
    const c = f.outcomes[p] ?? {};
    out.push(
      `  ${p.padEnd(w)}  ${Object.entries(c)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  out.push(f.findings.length === 0 ? 'findings: none' : `findings (${f.findings.length}):`);
  for (const x of f.findings) {
    const where =
      x.policies.length === f.policies.length
        ? 'every design'
        : `${x.policies.join(', ')}${x.policies.length === 1 ? ' only' : ''}`;
    const known = [...new Set(Object.values(x.catalogueByPolicy ?? {}))];
    const label = known.length > 0 ? `known: ${known.join(', ')}` : 'NEW';
    out.push(`  ${x.kind} under ${where}: ${x.count} workload${x.count === 1 ? '' : 's'}; ${label}`);
    if (x.detail) out.push(`    ${x.detail}`);
    for (const op of x.ops) out.push(`      ${op}`);
    out.push(`    replay: ${x.traceCommand}`);
  }
  return out.join('\n');
}

async function fuzzCommand(o: FuzzOpts): Promise<number> {
  const signal = { aborted: false };
  const onSigint = () => {
    if (signal.aborted) process.exit(130);
    signal.aborted = true;
    process.stderr.write('\ninterrupted: finishing the workloads in flight, then writing what was found\n');
  };
  process.on('SIGINT', onSigint);
  const tty = interactive();
  const t0 = performance.now();
  let f: FuzzFile;
  try {
    f = await runFuzz({
      policies: o.policy,
      runs: o.runs,
      seed: o.seed,
      generator: { tasks: o.tasks, ops: o.ops, files: o.files },
      explore: { budget: o.budget, bound: o.bound },
      shrinkTries: o.shrinkTries,
      ...(o.shard ? { shard: o.shard } : {}),
      workers: o.workers,
      signal,
      onProgress: tty
        ? (done, total, findings) => {
            const rate = done / ((performance.now() - t0) / 1000);
            process.stderr.write(
              `\rfuzz ${done}/${total}  ${rate.toFixed(1)} workloads/s  ${findings} findings so far `,
            );
          }
        : undefined,
    });
  } finally {
    process.off('SIGINT', onSigint);
    if (tty) process.stderr.write('\r\x1b[K');
  }
  const path = writeAtomic(o.json, `${JSON.stringify(f, null, 2)}\n`);
  console.log(formatFuzz(f));
  console.log(`wrote ${path}`);
  return f.interrupted ? 130 : 0;
}

function readFuzz(path: string): FuzzFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new BenchError(
      'IO',
      `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new BenchError('BAD_INPUT', `${path} is not JSON`);
  }
  return asFuzzFile(v, path);
}

/** `daxref fuzz` and `daxref merge`: differential random workloads, and the merge of shard outputs. */
export function register(p: Command, ctx: CommandContext): void {
  const setCode = (n: number) => ctx.setExitCode(n);
  p.command('fuzz')
    .description('differential random workloads: explored under every design, findings shrunk and classified')
    .option(
      '--policy <id>',
      'a design, design@variant or design@all (repeatable); default: every default variant',
      collect,
      [],
    )
    .option('--runs <n>', 'workloads in the stream (all shards together)', intArg('--runs', 1), DEFAULT_RUNS)
    .option('--seed <n>', 'seed of the workload stream', intArg('--seed', 0, 2 ** 31 - 1), DEFAULT_FUZZ_SEED)
    .option('--tasks <range>', 'tasks per workload, N or LO-HI', rangeArg('--tasks', 1, MAX_TASKS), [
      ...DEFAULT_GENERATOR.tasks,
    ])
    .option('--ops <n>', 'most operations per workload', intArg('--ops', 1, 64), DEFAULT_GENERATOR.ops)
    .option('--files <range>', 'files per workload, N or LO-HI', rangeArg('--files', 1, MAX_FILES), [
      ...DEFAULT_GENERATOR.files,
    ])
    .option(
      '--budget <n>',
      'schedules per workload and design (half bounded DFS, half random)',
      intArg('--budget', 1),
      DEFAULT_EXPLORE.budget,
    )
    .option('--bound <n>', 'DFS preemption bound', intArg('--bound', 0, 8), DEFAULT_EXPLORE.bound)
    .option(
      '--shrink-tries <n>',
      'candidate workloads tried when shrinking a finding',
      intArg('--shrink-tries', 0),
      DEFAULT_SHRINK_TRIES,
    )
    .option(
      '--shard <k/n>',
      'explore only the workloads i with i % n = k - 1 (merge the outputs with daxref merge)',
      shardArg,
    )
    .option('--workers <n>', 'worker threads (same result as 1)', intArg('--workers', 1, 64), 1)
    .option('--json <file>', 'where to write the findings', 'results/fuzz.json')
    .action(async (o: FuzzOpts) => setCode(await fuzzCommand(o)));
  p.command('merge')
    .description('merge fuzz shard outputs into what one process would have written')
    .argument('<files...>', 'fuzz JSON files of shards 1..n')
    .option('--json <file>', 'where to write the merged file', 'results/fuzz.json')
    .action((files: string[], o: { json: string }) => {
      const merged = mergeFuzz(files.map(readFuzz));
      const path = writeAtomic(o.json, `${JSON.stringify(merged, null, 2)}\n`);
      console.log(formatFuzz(merged));
      console.log(`wrote ${path}`);
    });
}
