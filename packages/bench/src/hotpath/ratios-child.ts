// One ratios process: measures one design's hot-path ratios and prints them as JSON on stdout.
// Spawned by `daxref bench` (one process per design); runs from the built dist.
import { BenchError } from '../errors';
import { resolvePolicy } from '../policies';
import { measureRatios } from './ratios';

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as { policy: string; rounds?: number };
  const [p] = await resolvePolicy(cfg.policy);
  if (p === undefined) throw new BenchError('UNKNOWN_POLICY', `unknown policy ${cfg.policy}`);
  process.stdout.write(
    JSON.stringify(measureRatios(p, cfg.rounds !== undefined ? { rounds: cfg.rounds } : {})),
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
