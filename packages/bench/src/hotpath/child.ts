// One benchmark process: measures the cases of one policy and prints them as JSON on stdout.
// Spawned by `daxref bench` (one process per policy, order rotated); runs from the built dist.
import { BenchError } from '../errors';
import { resolvePolicy } from '../policies';
import { type MeasureOptions, measure, type RawCase } from './measure';
import { BASELINE_CASE, FLOOR_CASES, type OpCase, POLICY_CASES } from './ops';

interface ChildConfig {
  policy: string;
  cases?: OpCase[];
  options: MeasureOptions;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
  let cases: readonly OpCase[];
  let make: () => import('@daxref/core').Policy | null;
  if (cfg.policy === 'none') {
    cases = [BASELINE_CASE];
    make = () => null;
  } else if (cfg.policy === 'floor') {
    cases = FLOOR_CASES;
    make = () => null;
  } else {
    const [p] = await resolvePolicy(cfg.policy);
    if (p === undefined) throw new BenchError('UNKNOWN_POLICY', `unknown policy ${cfg.policy}`);
    cases = POLICY_CASES;
    make = () => p.create();
  }
  if (cfg.cases !== undefined)
    cases = cases.filter((c) =>
      cfg.cases!.some((w) => w.op === c.op && JSON.stringify(w.params) === JSON.stringify(c.params)),
    );
  const raw = await measure(cfg.policy, make, cases, cfg.options);
  if (cfg.policy !== 'none' && cfg.policy !== 'floor') {
    // A paired control: the policy-free get/put measured in this same process, alternating with
    // the policy's get/put of a normal page (4 rounds each), so both share the process's JIT
    // history and drift; the policy's ratios are taken against it.
    const short = { ...cfg.options, timeMs: Math.max(20, cfg.options.timeMs / 4) };
    const mine = raw.find((r) => r.op === BASELINE_CASE.op)!;
    const control: RawCase = { ...mine, samples: [], control: true };
    mine.samples = [];
    for (let round = 0; round < 4; round++) {
      const [a] = await measure(cfg.policy, make, [BASELINE_CASE], short);
      const [b] = await measure('none', () => null, [BASELINE_CASE], short);
      mine.samples.push(...a!.samples);
      control.samples.push(...b!.samples);
    }
    raw.push(control);
  }
  process.stdout.write(JSON.stringify(raw));
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
