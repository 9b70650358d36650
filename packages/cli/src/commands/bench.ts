import {
  defaultPolicies,
  formatRatios,
  measureExplorer,
  resolvePolicies,
  runBench,
  runRatios,
} from '@daxref/bench';
import type { Command } from 'commander';
import { collect } from '../args';
import { formatBench } from '../format';
import { checkWritable, writeAtomic } from '../io';
import { progress } from '../progress';

async function bench(o: {
  quick?: boolean;
  ratios?: boolean;
  policy: string[];
  json: string;
}): Promise<void> {
  const policies = o.policy.length > 0 ? await resolvePolicies(o.policy) : await defaultPolicies();
  if (o.ratios) return console.log(formatRatios(runRatios(policies)));
  checkWritable(o.json);
  const bar = progress('bench');
  let file: ReturnType<typeof runBench>;
  let explorer: Awaited<ReturnType<typeof measureExplorer>>;
  try {
    explorer = await measureExplorer(o.quick ? 1000 : 5000);
    file = runBench({
      policies,
      quick: o.quick ?? false,
      explorer: explorer.engine,
      onProgress: (done, total, label) => bar.update(done, total, label),
    });
  } finally {
    bar.stop();
  }
  const path = writeAtomic(o.json, `${JSON.stringify(file, null, 2)}\n`);
  console.log(formatBench(file));
  const c = explorer.catalogue;
  console.log(
    `explorer on a catalogue scenario: ${Math.round(c.stepsPerSec).toLocaleString('en')} steps/s, ${Math.round(c.schedulesPerSec).toLocaleString('en')} schedules/s (${c.scenario})`,
  );
  console.log(`wrote ${path}`);
}

/** `daxref bench`: the hot-path cost of each design, against the policy-free core. */
export function register(program: Command): void {
  program
    .command('bench')
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
    .action(bench);
}
