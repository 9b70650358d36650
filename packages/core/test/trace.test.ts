import { describe, expect, it } from 'vitest';
import { explore, formatChromeTrace, formatTraceText, replay } from '../src/index';
import { lostWakeupPolicy, unpinTruncate, zeroBasedPolicy } from './explore-scenarios';

function failing() {
  const r = explore({ scenario: unpinTruncate, policy: lostWakeupPolicy, strategy: 'dfs' });
  return replay(unpinTruncate, lostWakeupPolicy, r.schedule!, { trace: true });
}

describe('trace', () => {
  it('logs typed state changes with task, function, pfn, field, before and after', () => {
    const log = failing().log!;
    const unpin = log.events.find((e) => e.type === 'change' && e.field === 'refcount' && e.before === 1025);
    expect(unpin).toMatchObject({ type: 'change', fn: 'unpin', after: 1 });
    expect(log.tasks[(unpin as { task: number }).task]).toBe('dma');
    expect(log.events.some((e) => e.type === 'op' && e.fn === 'xfs_vn_setattr' && e.phase === 'begin')).toBe(
      true,
    );
    expect(log.events.some((e) => e.type === 'pgmap')).toBe(true);
    expect(log.events.at(-1)).toMatchObject({ type: 'violation', kind: 'missed-wakeup' });
  });

  it('text: one line per step, the violation marked', () => {
    const r = failing();
    const text = formatTraceText(r.log!);
    const lines = text.trim().split('\n');
    const stepLines = lines.filter((l) => /^\s+\d+\s/.test(l));
    expect(stepLines).toHaveLength(r.log!.events.filter((e) => e.type === 'step').length);
    expect(text).toMatch(/BLOCK/);
    expect(text).toMatch(/0x1000000\.refcount 1025->1/);
    expect(lines.some((l) => l.startsWith('!!') && l.includes('missed-wakeup'))).toBe(true);
    expect(lines[0]).toContain(r.schedule);
  });

  it('Chrome trace-event JSON: task tracks, slices, counters, instants', () => {
    const r = failing();
    const json = formatChromeTrace(r.log!);
    const ev = JSON.parse(JSON.stringify(json)).traceEvents as {
      ph: string;
      name: string;
      tid: number;
      args?: Record<string, unknown>;
    }[];
    const threads = ev.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args!.name);
    expect(threads).toEqual(expect.arrayContaining(['dma#5', 'trunc#6']));
    expect(ev.some((e) => e.ph === 'X' && e.name === 'unpin')).toBe(true);
    expect(ev.some((e) => e.ph === 'B' && e.name === 'xfs_vn_setattr')).toBe(true);
    expect(
      ev.some((e) => e.ph === 'X' && e.name.startsWith('sleep ') && e.name.includes('never woken')),
    ).toBe(true);
    expect(ev.some((e) => e.ph === 'C' && e.name === 'pfn 0x1000000' && e.args!._refcount === 1)).toBe(true);
    expect(ev.some((e) => e.ph === 'C' && e.name.startsWith('pgmap'))).toBe(true);
    expect(ev.some((e) => e.ph === 'i' && e.name === 'preempt')).toBe(true);
    expect(ev.some((e) => e.ph === 'i' && e.name === 'VIOLATION missed-wakeup')).toBe(true);
    // Begin/end slices balance per task.
    const depth = new Map<number, number>();
    for (const e of ev)
      if (e.ph === 'B' || e.ph === 'E') depth.set(e.tid, (depth.get(e.tid) ?? 0) + (e.ph === 'B' ? 1 : -1));
    for (const d of depth.values()) expect(d).toBe(0);
  });

  it('a passing run traces mapcount counters too (0-based maps hold references)', () => {
    const r = explore({
      scenario: unpinTruncate,
      policy: () => zeroBasedPolicy(),
      strategy: 'random',
      budget: 5,
    });
    const t = replay(unpinTruncate, () => zeroBasedPolicy(), r.schedule ?? 'd1.', { trace: true });
    expect(t.verdict).toBe('pass');
    const ev = formatChromeTrace(t.log!).traceEvents;
    expect(ev.some((e) => e.ph === 'C' && (e.args as { mapcount: number }).mapcount !== undefined)).toBe(
      true,
    );
    expect(formatTraceText(t.log!)).not.toMatch(/^!!/m);
  });

  it('tracing does not change the run: same violations and schedule with and without it', () => {
    const r = explore({
      scenario: unpinTruncate,
      policy: lostWakeupPolicy,
      strategy: 'random',
      seed: 9,
      budget: 100,
    });
    const a = replay(unpinTruncate, lostWakeupPolicy, r.schedule!);
    const b = replay(unpinTruncate, lostWakeupPolicy, r.schedule!, { trace: true, hash: true });
    expect(b.violations).toEqual(a.violations);
    expect(b.steps).toBe(a.steps);
  });
});
