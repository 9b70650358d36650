import { benchChart, gupChart, opLabel } from './charts';
import { esc, num, ratio } from './html';
import type { BenchCaseInput, BenchInput } from './inputs';

const COUNT_KEYS: [string, string][] = [
  ['atomics', 'atomics'],
  ['percpu', 'percpu ops'],
  ['branches', 'static-key branches'],
  ['cachelines', 'cache lines'],
  ['wakes', 'wakeups'],
  ['pgmapLookups', 'pgmap lookups'],
];

/** The physical floor a ratio is taken against: one `Atomics.add` on an Int32Array. */
export const FLOOR_OP = 'atomics-add';

function sortCases(cases: readonly BenchCaseInput[], policies: string[]): BenchCaseInput[] {
  const ops = [...new Set(cases.map((c) => opLabel(c)))];
  return [...cases].sort(
    (a, b) =>
      ops.indexOf(opLabel(a)) - ops.indexOf(opLabel(b)) ||
      policies.indexOf(a.policy) - policies.indexOf(b.policy),
  );
}

/**
 * Hot-path cost: ns/op per op and design with error bars, each ratio to the policy-free baseline
 * (naming the control it used) and to the physical floor, the deterministic counts, and gup-fast
 * cost per page against pages per call.
 */
export function benchSection(b: BenchInput): string {
  const policies = [...new Set(b.cases.map((c) => c.policy))];
  const cases = sortCases(b.cases, policies);
  const floor = b.cases.find((c) => c.policy === 'floor' && c.op === FLOOR_OP)?.ns.median;
  const base = b.cases.find((c) => c.policy === 'none' && c.op === 'get-put-normal')?.ns.median;
  const control = (c: BenchCaseInput) =>
    c.policy === 'none' || c.policy === 'floor' ? 'the baseline case' : 'paired control';
  const timing = cases
    .map(
      (c) =>
        `<tr><td>${esc(opLabel(c))}</td><td><code>${esc(c.policy)}</code></td><td class="n">${num(c.ns.median)}</td><td class="n">±${num(c.ns.rme, 1)}%</td><td class="n">${num(c.ns.p75)}</td><td class="n">${num(c.ns.p99)}</td><td class="n">${ratio(c.baselineRatio)}</td><td>${control(c)}</td><td class="n">${floor ? ratio(c.ns.median / floor) : '–'}</td><td class="n">${esc(c.samples ?? '–')}</td></tr>`,
    )
    .join('\n');
  const counted = cases.filter((c) => c.counts !== undefined);
  const counts = counted
    .map(
      (c) =>
        `<tr><td>${esc(opLabel(c))}</td><td><code>${esc(c.policy)}</code></td>${COUNT_KEYS.map(([k]) => `<td class="n">${esc(c.counts?.[k] ?? '–')}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const gup = gupChart(b.cases);
  const ex = b.explorer;
  const sc = b.scale;
  return `<section id="hotpath"><h2>Hot-path cost</h2>
<p>${b.mode?.quick ? 'Quick run' : 'Full run'}${b.mode?.processes ? `, ${b.mode.processes} process${b.mode.processes === 1 ? '' : 'es'} per policy` : ''}; the built model measured with tinybench, each case validated before and after timing.
The baseline is <code>get-put-normal</code> under <code>none</code> (the core with no policy)${base ? `, ${num(base)} ns` : ''}.
<b>Which control each ratio uses:</b> a design's ratio is against its <i>paired control</i>, the policy-free get/put measured in the same process, alternating with the design's own cases; the baseline's and the floor's ratios are against the baseline case itself.
The floor ratio is against <code>${FLOOR_OP}</code> under <code>floor</code> (one atomic add on a typed array${floor ? `, ${num(floor, 2)} ns` : ''}), measured in the same run.</p>
<div class="chart" data-testid="chart-bench">${benchChart(b.cases)}</div>
<h3>ns per op, with ratios</h3>
<table><thead><tr><th scope="col">op</th><th scope="col">policy</th><th scope="col" class="n">median ns</th><th scope="col" class="n">rme</th><th scope="col" class="n">p75</th><th scope="col" class="n">p99</th><th scope="col" class="n">× baseline</th><th scope="col">baseline control</th><th scope="col" class="n">× floor</th><th scope="col" class="n">samples</th></tr></thead><tbody>${timing}</tbody></table>
<h3>Deterministic counts per op</h3>
<p class="muted">Counted by the model's cost counters, not timed: the same on every machine.</p>
<table><thead><tr><th scope="col">op</th><th scope="col">policy</th>${COUNT_KEYS.map(([, l]) => `<th scope="col" class="n">${l}</th>`).join('')}</tr></thead><tbody>${counts}</tbody></table>
${gup ? `<h3>gup-fast: cost per page against pages per call</h3><div class="chart" data-testid="chart-gup">${gup}</div>` : '<p class="note">No gup-fast cases in bench.json.</p>'}
${ex ? `<p>Explorer: ${Math.round(ex.stepsPerSec).toLocaleString('en')} steps/s, ${Math.round(ex.schedulesPerSec).toLocaleString('en')} schedules/s on ${ex.workers} thread${ex.workers === 1 ? '' : 's'} (${esc(ex.scenario)}).</p>` : ''}
${sc ? `<p>Memmap: ${num(sc.bytesPerPage, 2)} bytes per page at ${sc.pages.toLocaleString('en')} pages (described in ${num(sc.instantiateMs, 1)} ms).</p>` : ''}
</section>`;
}
