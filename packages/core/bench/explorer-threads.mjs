// Where the second core goes: CPU seconds per thread (from /proc/self/task/*/stat, Linux) for the
// same explorer work on 1 thread and on 2 (main + a pooled worker), side by side, twice. The
// explorer threads' CPU against the single thread's shows whether work is lost in the split;
// the other threads are V8's platform threads (GC helpers, compilers). Against dist:
//   npx tsup && node bench/explorer-threads.mjs [--budget N]
import { readdirSync, readFileSync } from 'node:fs';
import { closeExplorerPool, explore, exploreParallel } from '../dist/index.js';
import { benchScenario, noPolicy } from './explorer-scenario.mjs';

const snap = () => {
  const m = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const f = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const a = f.slice(f.lastIndexOf(')') + 2).split(' ');
      m.set(Number(tid), (Number(a[11]) + Number(a[12])) / 100);
    } catch {}
  }
  return m;
};
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
const i = process.argv.indexOf('--budget');
const budget = i >= 0 ? Number(process.argv[i + 1]) : 200000;
function delta(a, b) {
  const rows = [];
  for (const [tid, v] of b) {
    const d = v - (a.get(tid) ?? 0);
    if (d > 0.005) rows.push([tid === process.pid ? 'main' : String(tid), d]);
  }
  rows.sort((x, y) => y[1] - x[1]);
  const total = rows.reduce((s, r) => s + r[1], 0);
  return `${total.toFixed(2)} cpu-s [${rows.map(([n, d]) => `${n} ${d.toFixed(2)}`).join(', ')}]`;
}
explore({ ...base, budget: 20000 });
await exploreParallel({ ...base, budget: 20000, workers: 2, scenarioRef, policyRef });
for (let rep = 0; rep < 2; rep++) {
  let a = snap();
  let t0 = performance.now();
  explore({ ...base, budget });
  console.log(`1 thread : ${((performance.now() - t0) / 1000).toFixed(2)} wall-s, ${delta(a, snap())}`);
  a = snap();
  t0 = performance.now();
  await exploreParallel({ ...base, budget, workers: 2, scenarioRef, policyRef });
  console.log(`2 threads: ${((performance.now() - t0) / 1000).toFixed(2)} wall-s, ${delta(a, snap())}`);
}
await closeExplorerPool();
console.log('load', readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
