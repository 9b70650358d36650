#!/usr/bin/env node
import type { StrategyName } from '@daxref/core';
// daxref: the command line (ARCHITECTURE §4). Bad input is one line on stderr and exit code 2.
import { SingleBar } from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { registerFuzzCommands } from './commands/fuzz';
import { formatOracleBeside, oracleCommand, readOracle } from './commands/oracle';
import { registerReport } from './commands/report';
import { BenchError } from './errors';
import { measureExplorer } from './explorer-bench';
import { formatBench, formatMatrix } from './format';
import { formatRatios } from './hotpath/ratios';
import { runBench, runRatios } from './hotpath/run';
import { interactive, writeAtomic } from './io';
import { DEFAULT_BUDGET, DEFAULT_SEED, DEFAULT_STRATEGY, runMatrix, STRATEGIES, unexpected } from './matrix';
import { allPolicies, defaultPolicies, resolvePolicies } from './policies';
import { CATALOGUE } from './scenarios/catalogue/index';
import { traceScenario } from './trace';
import { VERSION } from './version';

function collect(value: string, prev: string[]): string[] {
  return [...prev, value];
}

function intArg(name: string, min = 0) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got '${v}'`);
    }
    return n;
  };
}

function progress(label: string): SingleBar | null {
  if (!interactive()) return null;
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} {item}`,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(1, 0, { item: '' });
  return bar;
}

async function listCommand(): Promise<void> {
  const policies = await allPolicies();
  console.log('policies (name@variant; * = default):');
  const w = Math.max(...policies.map((p) => p.id.length));
  for (const p of policies) console.log(`  ${p.default ? '*' : ' '} ${p.id.padEnd(w)}  ${p.title}`);
  console.log('\nscenarios:');
  const sw = Math.max(...CATALOGUE.map((e) => e.scenario.id.length));
  for (const e of CATALOGUE) {
    console.log(
      `  ${e.scenario.id.padEnd(sw)}  ${e.kind === 'workload' ? '[workload] ' : ''}${e.scenario.title}`,
    );
    console.log(`  ${''.padEnd(sw)}  source: ${e.scenario.source}`);
  }
}

interface CheckOpts {
  policy: string[];
  scenario: string[];
  strategy: string;
  budget: number;
  seed: number;
  workers: number;
  json: string;
  failOnUnexpected?: boolean;
  oracle?: string;
}

async function checkCommand(o: CheckOpts): Promise<number> {
  if (!STRATEGIES.includes(o.strategy as StrategyName)) {
    throw new BenchError(
      'UNKNOWN_STRATEGY',
      `unknown strategy '${o.strategy}'; valid: ${STRATEGIES.join(', ')}`,
    );
  }
  const oracle = o.oracle === undefined ? null : readOracle(o.oracle);
  const bar = progress('check');
  const t0 = performance.now();
  const m = await runMatrix({
    policies: o.policy,
    scenarios: o.scenario,
    strategy: o.strategy as StrategyName,
    budget: o.budget,
    seed: o.seed,
    workers: o.workers,
    onCell: (done, total, cell) => {
      bar?.setTotal(total);
      bar?.update(done, { item: `${cell.scenario} × ${cell.policy}` });
    },
  });
  bar?.stop();
  const path = writeAtomic(o.json, `${JSON.stringify(m, null, 2)}\n`);
  console.log(formatMatrix(m));
  if (oracle) console.log(formatOracleBeside(m, oracle));
  console.log(
    `explored in ${((performance.now() - t0) / 1000).toFixed(1)} s with ${o.workers} worker${o.workers === 1 ? '' : 's'}`,
  );
  console.log(`wrote ${path}`);
  if (m.cells.some((c) => c.error !== undefined)) return 1;
  if (o.failOnUnexpected && m.cells.some(unexpected)) return 1;
  return 0;
}

async function traceCommand(
  scenario: string,
  o: { policy: string; schedule?: string; format: 'text' | 'chrome'; out?: string },
): Promise<void> {
  const { result, text } = await traceScenario({
    scenario,
    policy: o.policy,
    schedule: o.schedule,
    format: o.format,
  });
  if (o.out !== undefined) {
    const path = writeAtomic(o.out, text);
    const kinds = result.violations.map((v) => v.kind);
    console.log(
      `${scenario} under ${o.policy}: ${result.verdict}${kinds.length ? ` (${kinds.join(', ')})` : ''}; ${result.steps} steps; wrote ${path}`,
    );
  } else {
    process.stdout.write(text);
  }
}

async function benchCommand(o: {
  quick?: boolean;
  ratios?: boolean;
  policy: string[];
  json: string;
}): Promise<void> {
  const policies = o.policy.length > 0 ? await resolvePolicies(o.policy) : await defaultPolicies();
  if (o.ratios) return console.log(formatRatios(runRatios(policies)));
  const bar = progress('bench');
  const explorer = await measureExplorer(o.quick ? 1000 : 5000);
  const file = runBench({
    policies,
    quick: o.quick ?? false,
    explorer: explorer.engine,
    onProgress: (done, total, label) => {
      bar?.setTotal(total);
      bar?.update(done, { item: label });
    },
  });
  bar?.stop();
  const path = writeAtomic(o.json, `${JSON.stringify(file, null, 2)}\n`);
  console.log(formatBench(file));
  const c = explorer.catalogue;
  console.log(
    `explorer on a catalogue scenario: ${Math.round(c.stepsPerSec).toLocaleString('en')} steps/s, ${Math.round(c.schedulesPerSec).toLocaleString('en')} schedules/s (${c.scenario})`,
  );
  console.log(`wrote ${path}`);
}

function program(setCode: (n: number) => void): Command {
  const p = new Command('daxref')
    .description('the reference lab for ZONE_DEVICE / FSDAX page reference-counting designs')
    .version(VERSION)
    .exitOverride()
    .showSuggestionAfterError(true);
  p.command('list')
    .description('the policies with their variants, and the scenarios with titles and sources')
    .action(listCommand);
  p.command('check')
    .description(
      'run the correctness matrix: every scenario against every policy variant, explored by the model',
    )
    .option(
      '--policy <id>',
      'a design, design@variant or design@all (repeatable); default: every variant',
      collect,
      [],
    )
    .option('--scenario <id>', 'a scenario id (repeatable); default: the whole catalogue', collect, [])
    .addOption(new Option('--strategy <name>', 'how schedules are explored').default(DEFAULT_STRATEGY))
    .option('--budget <n>', 'schedules per cell (a cap for dfs)', intArg('--budget', 1), DEFAULT_BUDGET)
    .option('--seed <n>', 'seed of random / pct', intArg('--seed'), DEFAULT_SEED)
    .option('--workers <n>', 'worker threads (same result as 1)', intArg('--workers', 1), 1)
    .option('--json <file>', 'where to write the matrix', 'results/matrix.json')
    .option('--fail-on-unexpected', 'exit 1 when a verdict differs from the catalogue')
    .option('--oracle <file>', 'show the real-kernel verdicts of a daxref oracle file beside the model')
    .action(async (o: CheckOpts) => setCode(await checkCommand(o)));
  p.command('trace')
    .description('replay one schedule of a scenario under a policy and print its trace')
    .argument('<scenario>', 'scenario id')
    .requiredOption('--policy <id>', 'design or design@variant')
    .option('--schedule <token>', 'a schedule token from check (default: the default schedule)')
    .addOption(
      new Option('--format <format>', 'text, or Chrome trace-event JSON for Perfetto')
        .choices(['text', 'chrome'])
        .default('text'),
    )
    .option('--out <file>', 'write to a file instead of stdout')
    .action(traceCommand);
  p.command('bench')
    .description(
      'hot-path cost of each design: ns per op and deterministic counts, as ratios to the policy-free baseline',
    )
    .option('--quick', 'under a minute: one process per policy, short sampling')
    .option('--ratios', 'only the side-by-side hot-path ratios (printed; no file written)')
    .option(
      '--policy <id>',
      'a design or design@variant (repeatable); default: every default variant',
      collect,
      [],
    )
    .option('--json <file>', 'where to write the results', 'results/bench.json')
    .action(benchCommand);
  registerReport(p);
  p.command('oracle')
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
    .action(async (o) => setCode(await oracleCommand(o)));
  registerFuzzCommands(p, setCode);
  return p;
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  try {
    await program((n) => {
      code = n;
    }).parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander printed its one-line message
    if (e instanceof BenchError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    process.stderr.write(`daxref: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
