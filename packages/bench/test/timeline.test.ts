import {
  type MemmapField,
  PG_HEAD,
  PG_TAIL,
  PG_ZONE_DEVICE,
  type ReplayResult,
  replay,
  type TraceLog,
} from '@daxref/core';
import { describe, expect, it } from 'vitest';
import { buildTimeline, resolvePolicies, runCell, selectScenarios, splitToken } from '../src/index';

const job = (scenario: string, policy: string) => ({
  scenario,
  policy,
  strategy: 'dfs' as const,
  seed: 1,
  budget: 2000,
});

describe('counterexample timelines in the matrix', () => {
  it('a failing cell carries the replayed timeline: lanes, steps, counters and the violation', async () => {
    const cell = await runCell(job('munmap-then-truncate-dma', '1based@v6.14'));
    expect(cell.verdict).toBe('fail');
    const tl = cell.timeline!;
    expect(tl).toBeDefined();
    const v = cell.violations[0]!;
    // The violation is in the kept window and in the timeline's own list, at the same step.
    expect(tl.violations.some((x) => x.kind === v.kind && x.step === v.step)).toBe(true);
    expect(v.step).toBeGreaterThanOrEqual(tl.from);
    expect(v.step).toBeLessThanOrEqual(tl.to);
    // Steps are in order, each on a known lane.
    const order = tl.steps.map((s) => s.step);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    for (const s of tl.steps) expect(tl.tasks[s.task]).toBeDefined();
    // The pinned page is in play: its refcount rises by the pin bias and falls back, and its
    // pins (derived from the bias on a small folio, and labelled so) go 0 -> 1 -> 0.
    const ref = tl.series.find((s) => s.counter === '_refcount')!;
    expect(Math.max(...ref.points.map((p) => p[1]))).toBeGreaterThanOrEqual(1024);
    const pin = tl.series.find((s) => s.counter === 'pins (_refcount/1024)' && s.page === ref.page)!;
    expect(pin.points.map((p) => p[1])).toContain(1);
    expect(tl.series.some((s) => s.counter === 'pgmap ref')).toBe(true);
    // The Chrome trace is embedded and is what Perfetto opens.
    const chrome = JSON.parse(tl.chromeTrace!) as { traceEvents: { name: string }[] };
    expect(chrome.traceEvents.some((e) => e.name.startsWith('VIOLATION'))).toBe(true);
  });

  it('a passing cell has none, and a timeline keeps within its bounds around the violation', async () => {
    const pass = await runCell(job('truncate-during-dma', '0based@v6.15'));
    expect(pass.verdict).toBe('pass');
    expect(pass.timeline).toBeUndefined();
    const fail = await runCell(job('munmap-then-truncate-dma', '1based@v6.14'));
    const [entry] = selectScenarios(['munmap-then-truncate-dma']);
    const [policy] = await resolvePolicies(['1based@v6.14']);
    const r = replay(entry!.scenario, () => policy!.create(), splitToken(fail.schedule!).token, {
      trace: true,
    });
    const full = buildTimeline(r);
    expect(full.steps.length).toBe(full.totalSteps);
    const tl = buildTimeline(r, { steps: 4, after: 1, pages: 1, chromeBytes: 10 });
    expect(tl.steps.length).toBeLessThanOrEqual(4);
    const last = Math.max(...tl.violations.map((v) => v.step));
    expect(tl.to).toBe(Math.min(tl.totalSteps, last + 1));
    expect(tl.steps.every((s) => s.step >= tl.from && s.step <= tl.to)).toBe(true);
    const pages = new Set(tl.series.filter((s) => !s.page.startsWith('pgmap')).map((s) => s.page));
    expect(pages.size).toBe(1);
    expect(tl.chromeTrace).toBeUndefined();
    expect(tl.chromeTraceOmitted).toBeGreaterThan(10);
    // Counter points before the window are clamped to its start.
    for (const s of tl.series)
      for (const [step] of s.points) expect(step).toBeGreaterThanOrEqual(tl.from - 1);
  });

  it("a large folio's pincount is read from page[1] (struct folio's _pincount), not derived", () => {
    const head = 0x200;
    const ev = (step: number, pfn: number, field: MemmapField, before: number, after: number) =>
      ({ type: 'change', step, task: 1, fn: 'f', pfn, field, before, after }) as const;
    const log: TraceLog = {
      tasks: ['', 'pin'],
      events: [
        ev(1, head, 'flags', 0, PG_ZONE_DEVICE | PG_HEAD),
        ev(1, head + 1, 'flags', 0, PG_ZONE_DEVICE | PG_TAIL),
        { type: 'step', step: 1, task: 1, name: 'pin', fn: '', end: 'preempt' },
        ev(2, head, 'refcount', 1, 2),
        ev(2, head + 1, 'index', 0, 1),
        { type: 'step', step: 2, task: 1, name: 'pin', fn: 'gup', end: 'preempt' },
        { type: 'violation', step: 2, kind: 'warn', message: 'm', pfn: head },
        { type: 'step', step: 3, task: 1, name: 'pin', fn: '', end: 'done' },
      ],
    };
    const tl = buildTimeline({ log } as unknown as ReplayResult);
    const pin = tl.series.find((s) => s.page === '0x200' && s.counter === 'pincount')!;
    expect(pin.points).toEqual([
      [1, 0],
      [2, 1],
    ]);
    // The refcount of a large folio is not a pin count: no derived series for it.
    expect(tl.series.some((s) => s.counter === 'pins (_refcount/1024)')).toBe(false);
    expect(tl.series.some((s) => s.page === '0x201')).toBe(false);
  });
});
