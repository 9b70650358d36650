import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import type { BenchCaseInput, Timeline } from './inputs';

// Charts are drawn by Observable Plot into a server-side DOM (linkedom) and inlined as static
// SVG: the page runs no charting code and loads nothing. Plot draws axes and text in
// `currentColor`, so the page's light / dark colours carry into the charts; the few fills are
// mid-tone colours readable on both backgrounds, and every colour is paired with a symbol or a
// label.

const { document } = parseHTML('<!doctype html><html><head></head><body></body></html>');

/** One colour and one symbol per design, in a fixed order (the symbol repeats the colour's meaning). */
export const DESIGN_STYLE: Record<string, { color: string; symbol: string }> = {
  none: { color: '#7f7f7f', symbol: 'circle' },
  '1based': { color: '#4e79a7', symbol: 'square' },
  '0based': { color: '#e15759', symbol: 'triangle' },
  'coarse-pin': { color: '#59a14f', symbol: 'diamond' },
  floor: { color: '#b07aa1', symbol: 'cross' },
};
const FALLBACK = ['#f28e2b', '#76b7b2', '#edc948', '#9c755f'];

function design(policy: string): string {
  return policy.split('@')[0] ?? policy;
}

function styleScales(policies: string[]) {
  const domain = [...new Set(policies)];
  const range = domain.map((p, i) => DESIGN_STYLE[design(p)]?.color ?? FALLBACK[i % FALLBACK.length]!);
  const symbols = domain.map((p) => DESIGN_STYLE[design(p)]?.symbol ?? 'star');
  return { domain, range, symbols };
}

/** What Plot returns, as far as the report needs it (no DOM types: the page is built in Node). */
interface Rendered {
  outerHTML: string;
}

function svg(node: Rendered): string {
  // Plot returns an <svg>, or a <figure> when it adds a legend: either is inlined as is.
  return node.outerHTML;
}

/** Human label of a bench op with its parameters (`gup-fast pte ×512`). */
export function opLabel(c: Pick<BenchCaseInput, 'op' | 'params'>): string {
  const p = Object.entries(c.params)
    .map(([k, v]) => (k === 'pages' ? `×${v}` : `${v}`))
    .join(' ');
  return p ? `${c.op} ${p}` : c.op;
}

/**
 * ns/op of every measured case, one row per op, one mark per design, with a bar from
 * median·(1 − rme) to median·(1 + rme) (the relative margin of error) and the p75 as a tick.
 * A log scale keeps 2 ns and 20 µs operations readable on one axis.
 */
export function benchChart(cases: readonly BenchCaseInput[]): string {
  const rows = cases.map((c) => {
    const rme = (c.ns.rme ?? 0) / 100;
    return {
      op: opLabel(c),
      policy: c.policy,
      median: c.ns.median,
      lo: c.ns.median * (1 - rme),
      hi: c.ns.median * (1 + rme),
      p75: c.ns.p75 ?? c.ns.median,
    };
  });
  const { domain, range, symbols } = styleScales(rows.map((r) => r.policy));
  const ops = [...new Set(rows.map((r) => r.op))];
  const perOp = Math.max(1, ...ops.map((o) => rows.filter((r) => r.op === o).length));
  return svg(
    Plot.plot({
      document,
      width: 900,
      height: ops.length * (perOp * 9 + 10) + 70,
      marginLeft: 150,
      x: { type: 'log', label: 'ns per op (median; bar = ± rme; tick = p75) →', grid: true, tickFormat: ',' },
      y: { domain, axis: null },
      fy: { domain: ops, label: null, padding: 0.1 },
      color: { domain, range },
      symbol: { domain, range: symbols, legend: true },
      marks: [
        Plot.frame({ strokeOpacity: 0.12 }),
        Plot.ruleY(rows, { fy: 'op', y: 'policy', x1: 'lo', x2: 'hi', stroke: 'policy', strokeWidth: 2 }),
        Plot.tickX(rows, { fy: 'op', y: 'policy', x: 'p75', stroke: 'policy', strokeOpacity: 0.7 }),
        Plot.dot(rows, {
          fy: 'op',
          y: 'policy',
          x: 'median',
          stroke: 'policy',
          fill: 'policy',
          symbol: 'policy',
          r: 3.5,
          title: (d: (typeof rows)[number]) =>
            `${d.op} under ${d.policy}: ${d.median.toFixed(1)} ns (p75 ${d.p75.toFixed(1)})`,
        }),
      ],
    }) as unknown as Rendered,
  );
}

/** gup-fast cost per page against pages per call, one panel per mapping size (PTE, PMD). */
export function gupChart(cases: readonly BenchCaseInput[]): string | null {
  const rows = cases
    .filter((c) => c.op === 'gup-fast' && Number(c.params.pages) > 0)
    .map((c) => ({
      policy: c.policy,
      mapping: String(c.params.mapping ?? '?').toUpperCase(),
      pages: Number(c.params.pages),
      perPage: c.ns.median / Number(c.params.pages),
    }))
    .sort((a, b) => a.pages - b.pages);
  if (rows.length === 0) return null;
  const { domain, range, symbols } = styleScales(rows.map((r) => r.policy));
  return svg(
    Plot.plot({
      document,
      width: 900,
      height: 300,
      marginRight: 20,
      // The measured sizes as evenly spaced points (a log axis in Plot 0.6 left the 512 label blank).
      x: {
        type: 'point',
        domain: [...new Set(rows.map((r) => r.pages))],
        label: 'pages per call →',
        padding: 0.3,
      },
      y: { label: '↑ ns per page (median)', grid: true, zero: true },
      fx: {
        domain: ['PTE', 'PMD']
          .filter((m) => rows.some((r) => r.mapping === m))
          .concat([...new Set(rows.map((r) => r.mapping))].filter((m) => m !== 'PTE' && m !== 'PMD')),
        label: null,
      },
      color: { domain, range },
      symbol: { domain, range: symbols, legend: true },
      marks: [
        Plot.line(rows, { fx: 'mapping', x: 'pages', y: 'perPage', stroke: 'policy', z: 'policy' }),
        Plot.dot(rows, {
          fx: 'mapping',
          x: 'pages',
          y: 'perPage',
          stroke: 'policy',
          fill: 'policy',
          symbol: 'policy',
          r: 4,
          title: (d: (typeof rows)[number]) =>
            `${d.policy} ${d.mapping} ×${d.pages}: ${d.perPage.toFixed(1)} ns/page`,
        }),
      ],
    }) as unknown as Rendered,
  );
}

const END_FILL: Record<string, string> = {
  preempt: '#4e79a7',
  block: '#f28e2b',
  done: '#59a14f',
  error: '#e15759',
  killed: '#e15759',
};
const END_MARK: Record<string, string> = { block: '‖', done: '✓', error: '✗', killed: '✗' };

/** The colour and label of a violation on a timeline. */
export const VIOLATION_COLOR = '#d62728';

/**
 * A counterexample timeline: one lane per task (a box per step it ran, its end marked by a
 * symbol as well as a colour, the kernel function in the box's title), then one row per counter
 * of each page in play (`_refcount`, mapcount, pincount, pgmap ref) drawn as a step line with its
 * value written at every change, and a rule at each violation's step across all rows.
 */
export function timelineChart(t: Timeline): string {
  const lanes = [...new Set(t.steps.map((s) => s.task))].sort((a, b) => a - b);
  const laneName = (id: number) => `task ${t.tasks[id] ?? `#${id}`}`;
  const rowName = (s: Timeline['series'][number]) =>
    s.counter === 'pgmap ref' ? `${s.page} ref` : `page ${s.page} ${s.counter}`;
  const rowsOrder = [...lanes.map(laneName), ...t.series.map(rowName)];
  const from = t.from ?? Math.min(...t.steps.map((s) => s.step));
  const to = t.to ?? Math.max(...t.steps.map((s) => s.step));
  const steps = t.steps.map((s) => ({
    ...s,
    lane: laneName(s.task),
    mark: END_MARK[s.end] ?? '',
    label: `step ${s.step} · ${t.tasks[s.task] ?? s.task} · ${s.fn || '-'} · ${s.end}${s.what ? ` (${s.what})` : ''}`,
  }));
  const points = t.series.flatMap((s) => {
    const vals = s.points.map((p) => p[1]);
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    const pts = s.points.map(([step, value]) => ({
      row: rowName(s),
      step,
      value,
      y: hi === lo ? 0.5 : (value - lo) / (hi - lo),
    }));
    // Carry the last value to the end of the window so the step line reads to the right edge.
    const last = pts[pts.length - 1];
    if (last !== undefined && last.step < to) pts.push({ ...last, step: to + 0.5 });
    return pts;
  });
  const labels = points.filter((p) => Number.isInteger(p.step));
  const lastLane = laneName(lanes[0] ?? 0);
  // Violations at the same step (a VM_BUG_ON and its WARN) share one label.
  const byStep = new Map<number, string[]>();
  for (const v of t.violations) byStep.set(v.step, [...(byStep.get(v.step) ?? []), v.kind]);
  const violations = [...byStep].map(([step, kinds]) => ({
    step,
    lane: lastLane,
    label: `⚠ ${[...new Set(kinds)].join(', ')} (step ${step})`,
  }));
  const rowH = 34;
  const stepPx = (900 - 190 - 20) / Math.max(1, to - from + 1);
  const fnFits = stepPx >= 36;
  return svg(
    Plot.plot({
      document,
      width: 900,
      height: rowsOrder.length * rowH + 60,
      marginLeft: 190,
      marginTop: 30,
      x: { domain: [from - 0.5, to + 0.5], label: 'scheduler step →', tickFormat: 'd', grid: false },
      y: { domain: [-0.25, 1.35], axis: null },
      fy: { domain: rowsOrder, label: null, padding: 0.15 },
      marks: [
        Plot.frame({ strokeOpacity: 0.15 }),
        Plot.rect(steps, {
          x1: (d: (typeof steps)[number]) => d.step - 0.42,
          x2: (d: (typeof steps)[number]) => d.step + 0.42,
          y1: -0.2,
          y2: 1.3,
          fy: 'lane',
          fill: (d: (typeof steps)[number]) => END_FILL[d.end] ?? '#9c755f',
          fillOpacity: 0.75,
          title: 'label',
        }),
        Plot.text(steps, {
          x: 'step',
          y: fnFits ? 0.95 : 0.55,
          fy: 'lane',
          text: 'mark',
          fill: 'white',
          fontWeight: 'bold',
        }),
        // The kernel function a step ended in, written in its box when the boxes are wide enough.
        ...(fnFits
          ? [
              Plot.text(steps, {
                x: 'step',
                y: 0.2,
                fy: 'lane',
                text: (d: (typeof steps)[number]) => d.fn.split('/').pop() ?? '',
                fill: 'white',
                fontSize: 8,
                lineWidth: (stepPx * 0.8) / 8,
                textOverflow: 'ellipsis',
              }),
            ]
          : []),
        Plot.line(points, { x: 'step', y: 'y', fy: 'row', curve: 'step-after', stroke: 'currentColor' }),
        Plot.dot(labels, { x: 'step', y: 'y', fy: 'row', r: 2, fill: 'currentColor' }),
        Plot.text(labels, {
          x: 'step',
          y: 'y',
          fy: 'row',
          text: (d: (typeof labels)[number]) => String(d.value),
          dy: -7,
          dx: 3,
          textAnchor: 'start',
          fontSize: 10,
          fill: 'currentColor',
          title: (d: (typeof labels)[number]) => `${d.row} = ${d.value} after step ${d.step}`,
        }),
        Plot.ruleX(t.violations, {
          x: 'step',
          stroke: VIOLATION_COLOR,
          strokeWidth: 2,
          strokeDasharray: '4,3',
        }),
        ...(['start', 'end'] as const).map((side) =>
          Plot.text(
            violations.filter((v) => (v.step > (from + to) / 2 ? 'end' : 'start') === side),
            {
              x: 'step',
              fy: 'lane',
              frameAnchor: 'top',
              dy: -24,
              dx: side === 'end' ? 4 : -4,
              text: 'label',
              fill: VIOLATION_COLOR,
              fontWeight: 'bold',
              textAnchor: side,
            },
          ),
        ),
      ],
    }) as unknown as Rendered,
  );
}
