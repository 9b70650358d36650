// Explorer throughput (not a timed test): scheduler steps/s and complete schedules/s on one core
// on a 3-task, ~60-step scenario, and the speedup with worker threads. Runs against dist:
//   npx tsup && node bench/explorer.mjs [--budget N] [--workers N] [--json FILE]
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { explore, exploreParallel } from '../dist/index.js';
import { benchScenario, noPolicy } from './explorer-scenario.mjs';

const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const budget = Number(arg('budget', 100000));
const maxWorkers = Number(arg('workers', 2));
const jsonOut = arg('json', null);
const scenarioRef = {
  module: new URL('./explorer-scenario.mjs', import.meta.url).href,
  export: 'benchScenario',
};
const policyRef = { module: scenarioRef.module, export: 'noPolicy' };
const base = {
  scenario: benchScenario,
  policy: noPolicy,
  strategy: 'random',
  seed: 1,
  shrink: false,
  selfCheck: false,
};

function check(r, n) {
  // Validate the case: every schedule passes and has ~60 steps.
  if (r.verdict !== 'pass' || r.explored !== n) throw new Error(`bench case invalid: ${JSON.stringify(r)}`);
}

// Warm up (JIT), then time one core.
check(explore({ ...base, budget: 5000 }), 5000);
const runs = [];
for (let rep = 0; rep < 3; rep++) {
  const t0 = performance.now();
  const r = explore({ ...base, budget });
  const ms = performance.now() - t0;
  check(r, budget);
  runs.push({ ms, steps: r.steps, schedules: r.explored });
}
runs.sort((a, b) => a.ms - b.ms);
const best = runs[1]; // median of 3
const one = {
  stepsPerSec: Math.round((best.steps / best.ms) * 1000),
  schedulesPerSec: Math.round((best.schedules / best.ms) * 1000),
  stepsPerSchedule: best.steps / best.schedules,
  ms: Math.round(best.ms),
};
console.log(
  `explorer: scenario ${benchScenario.id}, strategy random, budget ${budget}, ${availableParallelism()} cores`,
);
console.log(
  `  1 thread : ${one.stepsPerSec.toLocaleString('en')} steps/s, ${one.schedulesPerSec.toLocaleString('en')} schedules/s ` +
    `(${one.stepsPerSchedule.toFixed(1)} steps/schedule, ${one.ms} ms)`,
);

const multi = [];
for (let w = 2; w <= maxWorkers; w++) {
  const rs = [];
  await exploreParallel({ ...base, budget: 5000, workers: w, scenarioRef, policyRef }); // warm worker start
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    const r = await exploreParallel({ ...base, budget, workers: w, scenarioRef, policyRef });
    const ms = performance.now() - t0;
    check(r, budget);
    if (r.steps !== best.steps)
      throw new Error(`merged result differs from one thread: ${r.steps} vs ${best.steps}`);
    rs.push(ms);
  }
  rs.sort((a, b) => a - b);
  const ms = rs[1];
  const row = {
    workers: w,
    stepsPerSec: Math.round((best.steps / ms) * 1000),
    schedulesPerSec: Math.round((budget / ms) * 1000),
    speedup: one.ms / ms,
    ms: Math.round(ms),
  };
  multi.push(row);
  console.log(
    `  ${w} workers: ${row.stepsPerSec.toLocaleString('en')} steps/s, ${row.schedulesPerSec.toLocaleString('en')} schedules/s, ` +
      `speedup ${row.speedup.toFixed(2)}x (${row.ms} ms, warm worker pool)`,
  );
}
// DFS subtrees on workers merge to the same result as one thread.
{
  const o = { ...base, strategy: 'dfs', budget: 2000 };
  const a = explore(o);
  const b = await exploreParallel({ ...o, workers: 2, scenarioRef, policyRef });
  const same = a.explored === b.explored && a.steps === b.steps && a.pruned === b.pruned;
  console.log(
    `  dfs check: ${a.explored} schedules, ${a.pruned} pruned, one thread ${same ? '==' : '!='} 2 workers`,
  );
  if (!same) throw new Error('dfs: merged worker result differs from one thread');
}
const targets = { stepsPerSec: 1_000_000, schedulesPerSec: 10_000, speedup2: 1.7 };
console.log(
  `  targets  : >= ${targets.stepsPerSec.toLocaleString('en')} steps/s, >= ${targets.schedulesPerSec.toLocaleString('en')} schedules/s, >= ${targets.speedup2}x with 2 workers`,
);
if (jsonOut !== null) {
  writeFileSync(
    jsonOut,
    `${JSON.stringify({ explorer: { scenario: benchScenario.id, ...one, workers: multi }, targets }, null, 2)}\n`,
  );
}
