import {
  formatChromeTrace,
  GUP_PIN_COUNTING_BIAS,
  PG_HEAD,
  PG_TAIL,
  type ReplayResult,
  type TraceLog,
} from '@daxref/core';
import type { CellTimeline, TimelineSeries, TimelineStep } from './schema';

/** How much of a run a timeline keeps. */
export interface TimelineLimits {
  steps: number;
  after: number;
  pages: number;
  chromeBytes: number;
}

/** Bounds that keep a cell's timeline (and matrix.json) small. */
export const TIMELINE_LIMITS: TimelineLimits = {
  /** Scheduler steps kept, ending just after the last violation. */
  steps: 160,
  /** Steps kept after the last violation. */
  after: 12,
  /** Pages whose counters are drawn. */
  pages: 6,
  /** Largest embedded Chrome trace (bytes of JSON); a larger one is left out with its size. */
  chromeBytes: 192 * 1024,
};

const hex = (pfn: number) => `0x${pfn.toString(16)}`;

/**
 * What the report's counterexample timeline needs from one replayed failing run: one lane per
 * task, the steps in order, the `_refcount` / mapcount / pincount of the pages in play and each
 * pgmap's reference count as they change, the violations' steps, and the Chrome trace. Built from
 * the replay's event log, so the report never runs the model.
 */
export function buildTimeline(r: ReplayResult, limits: TimelineLimits = TIMELINE_LIMITS): CellTimeline {
  const log = r.log!;
  const steps = log.events.filter((e) => e.type === 'step');
  const total = steps.length === 0 ? 0 : steps[steps.length - 1]!.step;
  const vSteps = log.events.flatMap((e) => (e.type === 'violation' ? [e.step] : []));
  const lastV = vSteps.length > 0 ? Math.max(...vSteps) : total;
  const to = Math.min(total, lastV + limits.after);
  const from = Math.max(1, to - limits.steps + 1);

  const series = collectSeries(log, from, to, limits.pages);
  const kept: TimelineStep[] = [];
  for (const e of steps) {
    if (e.step < from || e.step > to) continue;
    const s: TimelineStep = { step: e.step, task: e.task, fn: e.fn, end: e.end };
    if (e.what !== undefined) s.what = e.what;
    kept.push(s);
  }
  const tl: CellTimeline = {
    tasks: log.tasks.map((t, i) => (i === 0 ? 'kernel' : `${t}#${i}`)),
    from,
    to,
    totalSteps: total,
    steps: kept,
    series,
    violations: log.events.flatMap((e) =>
      e.type === 'violation'
        ? [{ step: e.step, kind: e.kind, message: e.message, ...(e.pfn !== undefined ? { pfn: e.pfn } : {}) }]
        : [],
    ),
  };
  const chrome = JSON.stringify(formatChromeTrace(log));
  if (chrome.length <= limits.chromeBytes) tl.chromeTrace = chrome;
  else tl.chromeTraceOmitted = chrome.length;
  return tl;
}

interface PageTrack {
  refcount: [number, number][];
  mapcount: [number, number][];
  pincount: [number, number][];
  changes: number;
}

/**
 * The counters of the pages in play. A large folio's `_pincount` lives in page[1].index
 * (`struct folio`, as core's memmap stores it); a small folio's pins are `_refcount` biased by
 * GUP_PIN_COUNTING_BIAS (`try_grab_folio()`, `folio_maybe_dma_pinned()`), so its pins are drawn as
 * refcount / 1024 and labelled so.
 */
function collectSeries(log: TraceLog, from: number, to: number, maxPages: number): TimelineSeries[] {
  const flags = new Map<number, number>();
  const pages = new Map<number, PageTrack>();
  const large = new Set<number>();
  const realPins = new Set<number>();
  const track = (pfn: number) => {
    let t = pages.get(pfn);
    if (t === undefined) {
      t = { refcount: [], mapcount: [], pincount: [], changes: 0 };
      pages.set(pfn, t);
    }
    return t;
  };
  const pgmaps = new Map<number, [number, number][]>();
  const clamp = (step: number) => Math.max(from - 1, step);
  for (const e of log.events) {
    if (e.type === 'pgmap') {
      if (e.step > to) continue;
      const pts = pgmaps.get(e.id) ?? [];
      pts.push([clamp(e.step), e.ref]);
      pgmaps.set(e.id, pts);
      continue;
    }
    if (e.type !== 'change' || e.step > to) continue;
    if (e.field === 'flags') {
      flags.set(e.pfn, e.after);
      if ((e.after & PG_HEAD) !== 0) large.add(e.pfn);
      continue;
    }
    const inWindow = e.step >= from;
    if (e.field === 'refcount' || e.field === 'mapcount') {
      const t = track(e.pfn);
      if (t[e.field].length === 0) t[e.field].push([clamp(e.step - 1), e.before]);
      t[e.field].push([clamp(e.step), e.after]);
      if (inWindow) t.changes++;
      if (e.field === 'refcount' && !large.has(e.pfn)) {
        const pins = (v: number) => Math.floor(v / GUP_PIN_COUNTING_BIAS);
        if (t.pincount.length === 0) t.pincount.push([clamp(e.step - 1), pins(e.before)]);
        t.pincount.push([clamp(e.step), pins(e.after)]);
      }
    } else if (e.field === 'index' && ((flags.get(e.pfn) ?? 0) & PG_TAIL) !== 0 && large.has(e.pfn - 1)) {
      const t = track(e.pfn - 1);
      if (!realPins.has(e.pfn - 1)) t.pincount = [[clamp(e.step - 1), e.before]];
      realPins.add(e.pfn - 1);
      t.pincount.push([clamp(e.step), e.after]);
      if (inWindow) t.changes++;
    }
  }
  const vPfns = new Set(
    log.events.flatMap((e) => (e.type === 'violation' && e.pfn !== undefined ? [e.pfn] : [])),
  );
  const chosen = [...pages.entries()]
    .filter(([pfn, t]) => t.changes > 0 || vPfns.has(pfn))
    .sort(
      (a, b) =>
        Number(vPfns.has(b[0])) - Number(vPfns.has(a[0])) || b[1].changes - a[1].changes || a[0] - b[0],
    )
    .slice(0, maxPages)
    .sort((a, b) => a[0] - b[0]);
  const out: TimelineSeries[] = [];
  for (const [pfn, t] of chosen) {
    const page = hex(pfn);
    out.push({ page, counter: '_refcount', points: compact(t.refcount) });
    if (t.mapcount.length > 0) out.push({ page, counter: 'mapcount', points: compact(t.mapcount) });
    if (t.pincount.some(([, v]) => v !== 0))
      out.push({
        page,
        counter: realPins.has(pfn) ? 'pincount' : 'pins (_refcount/1024)',
        points: compact(t.pincount),
      });
  }
  for (const [id, pts] of pgmaps)
    out.push({ page: `pgmap ${id}`, counter: 'pgmap ref', points: compact(pts) });
  return out;
}

/** Keeps the last value per step and drops repeats. */
function compact(points: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last !== undefined && last[0] === p[0]) last[1] = p[1];
    else if (last === undefined || last[1] !== p[1]) out.push([p[0], p[1]]);
  }
  return out;
}
