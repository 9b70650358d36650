import {
  BenchError,
  DEFAULT_BUDGET,
  DEFAULT_SEED,
  DEFAULT_STRATEGY,
  effectiveWorkers,
  runMatrix,
  STRATEGIES,
  unexpected,
} from '@daxref/bench';
import type { StrategyName } from '@daxref/core';
import { type Command, Option } from 'commander';
import { collect, intArg } from '../args';
import { formatMatrix } from '../format';
import { checkWritable, writeAtomic } from '../io';
import { policyArg, scenarioArg } from '../load';
import { progress } from '../progress';
import type { CommandContext } from './context';
import { formatOracleBeside, readOracle } from './oracle';

/** Where an unfiltered `check` writes the matrix. */
export const DEFAULT_MATRIX_JSON = 'results/matrix.json';

interface CheckOpts {
  policy: string[];
  scenario: string[];
  strategy: string;
  budget: number;
  seed: number;
  workers: number;
  json?: string;
  failOnUnexpected?: boolean;
  oracle?: string;
}

async function check(o: CheckOpts): Promise<number> {
  if (!STRATEGIES.includes(o.strategy as StrategyName)) {
    throw new BenchError(
      'UNKNOWN_STRATEGY',
      `unknown strategy '${o.strategy}'; valid: ${STRATEGIES.join(', ')}`,
    );
  }
  // A filtered run does not replace the full matrix: it writes only where --json says.
  const filtered = o.policy.length > 0 || o.scenario.length > 0;
  const json = o.json ?? (filtered ? undefined : DEFAULT_MATRIX_JSON);
  if (json !== undefined) checkWritable(json);
  const oracle = o.oracle === undefined ? null : readOracle(o.oracle);
  const workers = effectiveWorkers(o.workers);
  const policies = o.policy.map(policyArg);
  const scenarios = o.scenario.map(scenarioArg);
  const bar = progress('check');
  const t0 = performance.now();
  let m: Awaited<ReturnType<typeof runMatrix>>;
  try {
    m = await runMatrix({
      policies,
      scenarios,
      strategy: o.strategy as StrategyName,
      budget: o.budget,
      seed: o.seed,
      workers,
      onCell: (done, total, cell) => bar.update(done, total, `${cell.scenario} × ${cell.policy}`),
    });
  } finally {
    bar.stop();
  }
  console.log(formatMatrix(m));
  if (oracle) console.log(formatOracleBeside(m, oracle));
  const capped = workers !== o.workers ? ` (asked for ${o.workers}; at most 2 per core)` : '';
  console.log(
    `explored in ${((performance.now() - t0) / 1000).toFixed(1)} s with ${workers} worker${workers === 1 ? '' : 's'}${capped}`,
  );
  if (json !== undefined) console.log(`wrote ${writeAtomic(json, `${JSON.stringify(m, null, 2)}\n`)}`);
  else
    console.log(`a filtered run: ${DEFAULT_MATRIX_JSON} left as it was (pass --json FILE to save this one)`);
  if (m.cells.some((c) => c.error !== undefined)) return 1;
  if (o.failOnUnexpected && m.cells.some(unexpected)) return 1;
  return 0;
}

/** `daxref check`: the correctness matrix, with the shipped designs and scenarios or your own modules. */
export function register(program: Command, ctx: CommandContext): void {
  program
    .command('check')
    .description(
      'run the correctness matrix: every scenario against every policy variant, explored by the model',
    )
    .option(
      '--policy <id|file>',
      'a design, design@variant, design@all, or a module file exporting a policy factory (repeatable); default: every variant',
      collect,
      [],
    )
    .option(
      '--scenario <id|file>',
      'a scenario id or a module file exporting a scenario (repeatable); default: the whole catalogue',
      collect,
      [],
    )
    .addOption(new Option('--strategy <name>', 'how schedules are explored').default(DEFAULT_STRATEGY))
    .option('--budget <n>', 'schedules per cell (a cap for dfs)', intArg('--budget', 1), DEFAULT_BUDGET)
    .option('--seed <n>', 'seed of random / pct', intArg('--seed'), DEFAULT_SEED)
    .option(
      '--workers <n>',
      'worker threads (same result as 1; at most 2 per core)',
      intArg('--workers', 1),
      1,
    )
    .option(
      '--json <file>',
      `where to write the matrix (default ${DEFAULT_MATRIX_JSON} for a full run; a filtered run writes only with --json)`,
    )
    .option('--fail-on-unexpected', 'exit 1 when a verdict differs from the catalogue')
    .option('--oracle <file>', 'show the real-kernel verdicts of a daxref oracle file beside the model')
    .action(async (o: CheckOpts) => ctx.setExitCode(await check(o)));
}
