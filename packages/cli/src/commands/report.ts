import { BenchError } from '@daxref/bench';
import type { Command } from 'commander';

/** `daxref report`: results/*.json into one self-contained HTML page, then a short summary. */
export async function reportCommand(o: { in: string; out: string }): Promise<void> {
  // Loaded on use: the charting library stays out of every other command's start-up.
  const { ReportError, writeReport } = await import('@daxref/report');
  let r: ReturnType<typeof writeReport>;
  try {
    r = writeReport({ inDir: o.in, outFile: o.out });
  } catch (e) {
    // The report's one-line errors (missing or malformed input, unwritable output) exit 2.
    if (e instanceof ReportError) throw new BenchError('IO', e.message.replace(/^daxref /, ''), { cause: e });
    throw e;
  }
  console.log(`report: ${r.path} (${Math.round(r.bytes / 1024)} KiB, one file, works offline)`);
  for (const line of r.summary) console.log(`  ${line}`);
}

/** `daxref report [--in DIR] [--out FILE]`: the HTML report of the results directory. */
export function register(program: Command): void {
  program
    .command('report')
    .description('turn results/*.json into one self-contained HTML report (charts as static SVG)')
    .option('--in <dir>', 'the results directory', 'results')
    .option('--out <file>', 'the report file', 'report/index.html')
    .action(reportCommand);
}
