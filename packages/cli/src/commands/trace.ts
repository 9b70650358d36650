import { traceScenario } from '@daxref/bench';
import { type Command, Option } from 'commander';
import { checkWritable, writeAtomic } from '../io';
import { policyArg, scenarioArg } from '../load';

interface TraceOpts {
  policy: string;
  schedule?: string;
  format: 'text' | 'chrome';
  out?: string;
}

async function trace(scenario: string, o: TraceOpts): Promise<void> {
  if (o.out !== undefined) checkWritable(o.out); // fail before the run, not after
  const { result, text, schedule, origin } = await traceScenario({
    scenario: scenarioArg(scenario),
    policy: policyArg(o.policy),
    schedule: o.schedule,
    format: o.format,
  });
  const note =
    origin === 'counterexample'
      ? `no --schedule: replaying the counterexample check finds for this cell (schedule ${schedule})`
      : origin === 'default'
        ? 'no --schedule: the cell passes under check, so this is the default schedule'
        : null;
  if (o.out !== undefined) {
    const path = writeAtomic(o.out, text);
    const kinds = result.violations.map((v) => v.kind);
    if (note !== null) console.log(note);
    console.log(
      `${scenario} under ${o.policy}: ${result.verdict}${kinds.length ? ` (${kinds.join(', ')})` : ''}; ${result.steps} steps; wrote ${path}`,
    );
  } else {
    // The trace itself goes to stdout (it may be JSON); the note about its schedule to stderr.
    if (note !== null) process.stderr.write(`${note}\n`);
    process.stdout.write(text);
  }
}

/** `daxref trace`: replays one schedule of a cell (by default its counterexample) and prints the trace. */
export function register(program: Command): void {
  program
    .command('trace')
    .description('replay one schedule of a scenario under a policy and print its trace')
    .argument('<scenario>', 'scenario id or module file')
    .requiredOption(
      '--policy <id|file>',
      'one design@variant (a bare design is its default), or a module file',
    )
    .option(
      '--schedule <token>',
      "a schedule token from check (default: the cell's counterexample, or the default schedule when it passes)",
    )
    .addOption(
      new Option('--format <format>', 'text, or Chrome trace-event JSON for Perfetto')
        .choices(['text', 'chrome'])
        .default('text'),
    )
    .option('--out <file>', 'write to a file instead of stdout')
    .action(trace);
}
