// `daxref oracle`: the catalogue's user-space-drivable scenarios on real kernels, beside the model.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  BenchError,
  CATALOGUE,
  type GuestRun,
  kernelVariantRow,
  type MatrixCell,
  type MatrixFile,
  REAL_KERNEL,
  runMatrix,
  scenarioOfRun,
  VERSION,
} from '@daxref/bench';
import {
  Archive,
  type BootPlan,
  type BootRecord,
  buildGuest,
  checkHostTools,
  defaultCacheDir,
  installHostTools,
  type KernelImage,
  kernelFromTree,
  localKernel,
  OracleError,
  resolveSpec,
  runKernel,
  SPEC_HELP,
  type TestOutcome,
} from '@daxref/kernel-oracle';
import type { Command } from 'commander';
import { collect } from '../args';
import { interactive, writeAtomic } from '../io';
import type { CommandContext } from './context';

/** The kernels of a full run: the four of audits/real-kernels.md (6.12 pinned to the audited 6.12.95). */
export const DEFAULT_KERNELS: readonly string[] = ['6.1', '6.12.95', '6.18', 'latest'];

/** One scenario run on one kernel in results/oracle.json. */
export interface OracleScenario {
  /** The run id (a catalogue scenario id, or a related form of it). */
  scenario: string;
  /** The catalogue scenario the model verdict comes from. */
  catalogue: string;
  real: { verdict: 'pass' | 'fail' | 'n/a' | 'inconclusive'; kinds: string[]; summary: string };
  evidence: string[];
  model: { policy: string | null; verdict: 'pass' | 'fail' | 'n/a' | 'inconclusive'; kinds: string[] };
  /** The real verdict equals the model's (pass/fail); false also when either is inconclusive or n/a. */
  agree: boolean;
  /** For a disagreement the catalogue explains (its `realKernelNotes` for this kernel): the reason. */
  explained?: string;
  /** Both verdicts are pass or fail, so `agree` compares like with like. */
  comparable: boolean;
  tries: number;
  ms: number;
  boot: string;
}

/** One kernel in results/oracle.json. */
export interface OracleKernel {
  spec: string;
  package: string;
  release: string;
  version: string;
  variant: string | null;
  /** Why this variant (the kernel-variants table's citation). */
  variantCite: string | null;
  /** Wall time of all this kernel's boots, ms. */
  bootMs: number;
  status: 'ok' | 'boot-failed' | 'timeout' | 'oops';
  boots: {
    name: string;
    rmapbt: boolean;
    ms: number;
    status: string;
    end: string;
    readyUptime: number | null;
  }[];
  scenarios: OracleScenario[];
}

/** results/oracle.json, schema `daxref.oracle/1`. */
export interface OracleFile {
  schema: 'daxref.oracle/1';
  generatedAt: string;
  tool: { version: string };
  kernels: OracleKernel[];
}

/** Options of `daxref oracle`. */
export interface OracleOpts {
  kernel: string[];
  scenario: string[];
  json: string;
  modules?: string;
  installDeps?: boolean;
  cache?: string;
  logs?: string;
  verbose?: boolean;
}

/** The runs selected by scenario or run ids (all drivable runs when empty). */
export function selectRuns(ids: readonly string[]): GuestRun[] {
  const all = Object.values(REAL_KERNEL).flatMap((d) => d.runs);
  if (ids.length === 0) return all;
  const valid = [
    ...Object.keys(REAL_KERNEL).filter((k) => REAL_KERNEL[k]!.runs.length > 0),
    ...all.map((r) => r.id),
  ];
  const out: GuestRun[] = [];
  for (const id of ids) {
    const decl = REAL_KERNEL[id];
    const runs = decl ? decl.runs : all.filter((r) => r.id === id);
    if (decl && runs.length === 0) {
      throw new BenchError('UNKNOWN_SCENARIO', `scenario '${id}' does not run on a real kernel: ${decl.why}`);
    }
    if (runs.length === 0) {
      throw new BenchError(
        'UNKNOWN_SCENARIO',
        `unknown real-kernel scenario '${id}'; valid: ${[...new Set(valid)].join(', ')}`,
      );
    }
    for (const r of runs) if (!out.includes(r)) out.push(r);
  }
  return out;
}

/** Groups runs into boots: one shared boot (rmapbt=0, `last` runs at its end), and a boot per `own` run. */
export function planBoots(runs: readonly GuestRun[]): BootPlan[] {
  const guest = (r: GuestRun) => ({ id: r.id, test: r.test, args: r.args, timeoutSec: r.timeoutSec });
  const shared = [...runs.filter((r) => r.boot === 'shared'), ...runs.filter((r) => r.boot === 'last')];
  const plans: BootPlan[] = [];
  if (shared.length > 0) plans.push({ name: 'main', rmapbt: false, tests: shared.map(guest) });
  for (const r of runs.filter((x) => x.boot === 'own'))
    plans.push({ name: r.id, rmapbt: r.rmapbt, tests: [guest(r)] });
  return plans;
}

/** The model's verdict for a run, from a matrix cell. */
export function modelOf(cell: MatrixCell | undefined, policy: string | null): OracleScenario['model'] {
  if (!cell || policy === null) return { policy, verdict: 'n/a', kinds: [] };
  return { policy, verdict: cell.verdict, kinds: [...new Set(cell.violations.map((v) => v.kind))] };
}

/** One run's entry: the real outcome beside the model's. */
export function compare(
  t: TestOutcome,
  catalogue: string,
  model: OracleScenario['model'],
  note?: string,
): OracleScenario {
  const comparable =
    (t.real.verdict === 'pass' || t.real.verdict === 'fail') &&
    (model.verdict === 'pass' || model.verdict === 'fail');
  const agree = comparable && t.real.verdict === model.verdict;
  return {
    ...(!agree && note !== undefined ? { explained: note } : {}),
    scenario: t.id,
    catalogue,
    real: t.real,
    evidence: t.evidence,
    model,
    agree,
    comparable,
    tries: t.tries,
    ms: t.ms,
    boot: t.boot,
  };
}

const SPEC_RE = /^(latest|\d+\.\d+(\.\d+)?|linux-(image|binary)-[a-z0-9.+-]+)$/;

function isPath(spec: string): boolean {
  return spec.includes('/') || spec.endsWith('bzImage') || existsSync(spec);
}

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof OracleError) throw new BenchError('ORACLE', e.message, { cause: e });
    throw e;
  }
}

/** Runs the oracle; returns the exit code. */
export async function oracleCommand(o: OracleOpts): Promise<number> {
  const runs = selectRuns(o.scenario);
  const specs = o.kernel.length > 0 ? o.kernel : [...DEFAULT_KERNELS];
  if (o.modules !== undefined && !specs.some(isPath)) {
    throw new BenchError('USAGE', '--modules goes with a bzImage path given as --kernel');
  }
  for (const spec of specs) {
    if (isPath(spec)) wrap(() => localKernel(spec, o.modules));
    else if (!SPEC_RE.test(spec))
      throw new BenchError('USAGE', `unknown kernel spec '${spec}'; valid: ${SPEC_HELP}`);
  }
  const say = (s: string) => {
    if (interactive() || o.verbose) process.stderr.write(`${s}\n`);
  };
  wrap(() => {
    if (o.installDeps) installHostTools(say);
    checkHostTools();
  });
  const cache = o.cache ?? defaultCacheDir();
  const archive = new Archive(cache);
  // Resolve every spec before the first boot: a bad one fails fast.
  let updated = false;
  const resolved = specs.map((spec) =>
    wrap(() => {
      if (isPath(spec)) return { spec, local: true as const };
      if (!updated) {
        say('updating the private apt index of Debian kernels');
        archive.update();
        updated = true;
      }
      return { spec, local: false as const, pkgs: resolveSpec(spec, archive.kernelNames()) };
    }),
  );
  const guest = wrap(() => buildGuest(cache));
  const plans = planBoots(runs);

  // The model's verdicts for every (scenario, mapped variant) cell, computed once.
  const kernels: KernelImage[] = resolved.map((r) =>
    wrap(() => {
      if (r.local) return localKernel(r.spec, o.modules);
      const root = archive.fetch(r.pkgs, cache, say);
      return kernelFromTree(root, r.spec, r.pkgs.main, archive.version(r.pkgs.main));
    }),
  );
  const rules = kernels.map((k) => kernelVariantRow(k.version) ?? null);
  const policies = [...new Set(rules.filter((r) => r !== null).map((r) => r!.variant))];
  const catalogueIds = [...new Set(runs.map((r) => scenarioOfRun(r.id)!))];
  say(`model: ${catalogueIds.length} scenarios under ${policies.join(', ') || 'no variant'}`);
  const matrix = policies.length > 0 ? await runMatrix({ policies, scenarios: catalogueIds }) : null;

  const out: OracleFile = {
    schema: 'daxref.oracle/1',
    generatedAt: new Date().toISOString(),
    tool: { version: VERSION },
    kernels: [],
  };
  const logs = o.logs ?? join(resolve(o.json, '..'), 'oracle-console');
  for (const [i, k] of kernels.entries()) {
    const rule = rules[i] ?? null;
    say(`kernel ${k.release} (${k.package}): ${plans.length} boot(s), model ${rule?.variant ?? 'n/a'}`);
    const run = await runKernel({
      kernel: k,
      plans,
      guest,
      logDir: logs,
      onLine: o.verbose ? (l) => process.stderr.write(`  | ${l}\n`) : undefined,
      onBoot: (p, b: BootRecord) => say(`  boot ${p.name}: ${(b.ms / 1000).toFixed(1)} s, ${b.status}`),
    });
    out.kernels.push({
      spec: k.spec,
      package: k.package,
      release: k.release,
      version: k.version,
      variant: rule?.variant ?? null,
      variantCite: rule?.why ?? null,
      bootMs: run.bootMs,
      status: run.status,
      boots: run.boots.map((b) => ({
        name: b.name,
        rmapbt: b.rmapbt,
        ms: b.ms,
        status: b.status,
        end: b.end,
        readyUptime: b.readyUptime,
      })),
      scenarios: run.tests.map((t) => {
        const sc = scenarioOfRun(t.id)!;
        const cell = matrix?.cells.find((c) => c.scenario === sc && c.policy === rule?.variant);
        const note = CATALOGUE.find((e) => e.scenario.id === sc)?.realKernelNotes?.[k.version]?.reason;
        return compare(t, sc, modelOf(cell, rule?.variant ?? null), note);
      }),
    });
  }
  const path = writeAtomic(o.json, `${JSON.stringify(out, null, 2)}\n`);
  console.log(formatOracle(out));
  console.log(`wrote ${path}`);
  return 0;
}

const verdictText = (v: string, kinds: readonly string[]) =>
  v === 'fail' && kinds.length ? kinds.join('+') : v;

/** The terminal table: per kernel its boots' wall times, per run the real verdict beside the model's. */
export function formatOracle(f: OracleFile): string {
  const lines: string[] = [];
  for (const k of f.kernels) {
    lines.push(
      `${k.release} (${k.package}) — model ${k.variant ?? 'n/a'} — ${k.status}, ${(k.bootMs / 1000).toFixed(1)} s`,
    );
    lines.push(
      `  boots: ${k.boots.map((b) => `${b.name} ${(b.ms / 1000).toFixed(1)} s${b.status === 'ok' ? '' : ` (${b.status})`}`).join(', ')}`,
    );
    const w = Math.max(10, ...k.scenarios.map((s) => s.scenario.length)) + 2;
    for (const s of k.scenarios) {
      const mark = s.comparable ? (s.agree ? '  ' : '✘ ') : '? ';
      lines.push(
        `  ${mark}${s.scenario.padEnd(w)} real ${verdictText(s.real.verdict, s.real.kinds).padEnd(26)} model ${verdictText(s.model.verdict, s.model.kinds)}`,
      );
      if (s.explained !== undefined) lines.push(`      explained by the catalogue: ${s.explained}`);
    }
  }
  const all = f.kernels.flatMap((k) => k.scenarios);
  lines.push(
    `${all.length} runs: ${all.filter((s) => s.agree).length} agree with the model, ${all.filter((s) => s.comparable && !s.agree).length} disagree (✘; ${all.filter((s) => s.explained !== undefined).length} of them explained by the catalogue), ${all.filter((s) => !s.comparable).length} not comparable (?)`,
  );
  return lines.join('\n');
}

/** Reads results/oracle.json for `daxref check --oracle` (a one-line error on a bad file). */
export function readOracle(path: string): OracleFile {
  let f: OracleFile;
  try {
    f = JSON.parse(readFileSync(path, 'utf8')) as OracleFile;
  } catch (e) {
    throw new BenchError(
      'IO',
      `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  if (f?.schema !== 'daxref.oracle/1' || !Array.isArray(f.kernels)) {
    throw new BenchError('IO', `${path} is not a daxref.oracle/1 file (run daxref oracle --json ${path})`);
  }
  return f;
}

/** For `daxref check --oracle`: each real-kernel verdict beside this matrix's cell for the kernel's variant. */
export function formatOracleBeside(m: MatrixFile, f: OracleFile): string {
  const lines = ['', 'real kernels (daxref oracle) beside this matrix:'];
  for (const k of f.kernels) {
    lines.push(`  ${k.release} → ${k.variant ?? 'no variant'}`);
    for (const s of k.scenarios) {
      const cell = m.cells.find((c) => c.scenario === s.catalogue && c.policy === k.variant);
      const model = cell
        ? verdictText(cell.verdict, [...new Set(cell.violations.map((v) => v.kind))])
        : 'not in this matrix';
      const agree =
        cell && (s.real.verdict === 'pass' || s.real.verdict === 'fail')
          ? cell.verdict === s.real.verdict
            ? ''
            : ' ✘'
          : '';
      lines.push(
        `    ${s.scenario.padEnd(32)} real ${verdictText(s.real.verdict, s.real.kinds).padEnd(26)} model ${model}${agree}`,
      );
    }
  }
  return lines.join('\n');
}

/** `daxref oracle`: the scenarios user space can drive, on real Linux kernels under QEMU, beside the model. */
export function register(program: Command, ctx: CommandContext): void {
  program
    .command('oracle')
    .description('run the scenarios user space can drive on real Linux kernels under QEMU, beside the model')
    .option(
      '--kernel <spec>',
      "6.1, 6.12, 6.18, a version, 'latest', a Debian package, or a bzImage path (repeatable)",
      collect,
      [],
    )
    .option('--modules <dir>', 'the modules tree of a bzImage given as --kernel (INSTALL_MOD_PATH)')
    .option('--scenario <id>', 'a scenario or run id (repeatable); default: every drivable one', collect, [])
    .option('--json <file>', 'where to write the results', 'results/oracle.json')
    .option('--install-deps', 'apt-get install the host tools that are missing')
    .option('--cache <dir>', 'kernel and build cache (default ~/.cache/daxref/oracle)')
    .option('--logs <dir>', "where to keep each boot's console (default: oracle-console beside --json)")
    .option('--verbose', 'stream the guest console to stderr')
    .action(async (o: OracleOpts) => ctx.setExitCode(await oracleCommand(o)));
}
