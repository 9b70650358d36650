import type { TraceEvent, TraceLog } from './events';

const hex = (pfn: number) => `0x${pfn.toString(16)}`;

/**
 * The event log as text: one line per scheduler step (step, task, kernel function, the state
 * changes it made, how it ended), and a line marked `!!` for each violation.
 */
export function formatTraceText(log: TraceLog): string {
  const lines: string[] = [];
  if (log.scenario !== undefined)
    lines.push(
      `# ${log.scenario} under ${log.policy ?? '?'}${log.schedule ? ` schedule ${log.schedule}` : ''}`,
    );
  const nameW = Math.max(4, ...log.tasks.map((t, i) => `${t}#${i}`.length));
  let pending: string[] = [];
  for (const e of log.events) {
    switch (e.type) {
      case 'change':
        pending.push(`${hex(e.pfn)}.${e.field} ${e.before}->${e.after}`);
        break;
      case 'pgmap':
        pending.push(`pgmap${e.id}.ref=${e.ref}`);
        break;
      case 'step': {
        const who = `${e.name}#${e.task}`.padEnd(nameW);
        const end =
          e.end === 'block' ? `BLOCK ${e.what ?? ''}` : e.end === 'preempt' ? '' : e.end.toUpperCase();
        const fx = pending.length > 0 ? pending.join(', ') : '';
        lines.push(
          `${String(e.step).padStart(5)}  ${who}  ${(e.fn || '-').padEnd(24)}  ${fx}${fx && end ? '  ' : ''}${end}`.trimEnd(),
        );
        pending = [];
        break;
      }
      case 'violation':
        lines.push(
          `!! ${String(e.step).padStart(3)}  ${e.kind}${e.task ? ` [${e.task}]` : ''}${e.pfn !== undefined ? ` pfn ${hex(e.pfn)}` : ''}: ${e.message}`,
        );
        break;
      default:
        break;
    }
  }
  if (pending.length > 0) lines.push(`       (after the last step) ${pending.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** One Chrome trace-event (the subset daxref writes). */
export interface ChromeTraceEvent {
  name: string;
  ph: 'X' | 'B' | 'E' | 'C' | 'i' | 'M';
  ts: number;
  pid: number;
  tid: number;
  dur?: number;
  s?: 't' | 'p' | 'g';
  cat?: string;
  args?: Record<string, unknown>;
}

/** Microseconds per scheduler step on the trace's time axis. */
const STEP_US = 10;

/**
 * The event log as Chrome trace-event JSON (Perfetto / chrome://tracing): a thread track per
 * task with a slice per step named after its kernel function and slices for traced operations
 * and sleeps, counter tracks for `_refcount` / mapcount of every page in play and each pgmap's
 * reference count, and instant events at preemption points and violations.
 */
export function formatChromeTrace(log: TraceLog): { traceEvents: ChromeTraceEvent[]; displayTimeUnit: 'ms' } {
  const pid = 1;
  const out: ChromeTraceEvent[] = [];
  out.push({
    name: 'process_name',
    ph: 'M',
    ts: 0,
    pid,
    tid: 0,
    args: { name: `daxref ${log.scenario ?? ''} ${log.policy ?? ''}`.trim() },
  });
  log.tasks.forEach((name, id) => {
    if (id > 0)
      out.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid: id, args: { name: `${name}#${id}` } });
  });
  const ts0 = (step: number) => Math.max(0, step - 1) * STEP_US;
  const counters = new Map<number, { refcount?: number; mapcount?: number }>();
  const sleeping = new Map<number, { ts: number; what: string }>();
  const open = new Map<number, number>();
  let lastTs = 0;
  const handle = (e: TraceEvent) => {
    switch (e.type) {
      case 'step': {
        const ts = ts0(e.step);
        lastTs = Math.max(lastTs, ts + STEP_US);
        const sl = sleeping.get(e.task);
        if (sl !== undefined) {
          out.push({
            name: `sleep ${sl.what}`,
            cat: 'wait',
            ph: 'X',
            ts: sl.ts,
            dur: ts - sl.ts,
            pid,
            tid: e.task,
          });
          sleeping.delete(e.task);
        }
        out.push({
          name: e.fn || 'step',
          cat: 'step',
          ph: 'X',
          ts,
          dur: STEP_US,
          pid,
          tid: e.task,
          args: { step: e.step, end: e.end, ...(e.what !== undefined ? { what: e.what } : {}) },
        });
        if (e.end === 'preempt')
          out.push({ name: 'preempt', cat: 'sched', ph: 'i', s: 't', ts: ts + STEP_US, pid, tid: e.task });
        if (e.end === 'block') sleeping.set(e.task, { ts: ts + STEP_US, what: e.what ?? '' });
        break;
      }
      case 'op':
        open.set(e.task, (open.get(e.task) ?? 0) + (e.phase === 'begin' ? 1 : -1));
        out.push({
          name: e.fn,
          cat: 'kernel',
          ph: e.phase === 'begin' ? 'B' : 'E',
          ts: ts0(e.step) + (e.phase === 'begin' ? 1 : STEP_US - 1),
          pid,
          tid: e.task,
        });
        break;
      case 'change': {
        if (e.field !== 'refcount' && e.field !== 'mapcount') break;
        const c = counters.get(e.pfn) ?? {};
        c[e.field] = e.after;
        counters.set(e.pfn, c);
        out.push({
          name: `pfn 0x${e.pfn.toString(16)}`,
          cat: 'page',
          ph: 'C',
          ts: ts0(e.step) + STEP_US / 2,
          pid,
          tid: 0,
          args: { _refcount: c.refcount ?? 0, mapcount: c.mapcount ?? 0 },
        });
        break;
      }
      case 'pgmap':
        out.push({
          name: `pgmap ${e.id} ref`,
          cat: 'pgmap',
          ph: 'C',
          ts: ts0(e.step),
          pid,
          tid: 0,
          args: { ref: e.ref },
        });
        break;
      case 'violation':
        out.push({
          name: `VIOLATION ${e.kind}`,
          cat: 'violation',
          ph: 'i',
          s: 'g',
          ts: ts0(e.step) + STEP_US,
          pid,
          tid: 0,
          args: {
            message: e.message,
            ...(e.task !== undefined ? { task: e.task } : {}),
            ...(e.pfn !== undefined ? { pfn: e.pfn } : {}),
          },
        });
        break;
      default:
        break;
    }
  };
  for (const e of log.events) handle(e);
  for (const [tid, sl] of sleeping) {
    out.push({
      name: `sleep ${sl.what} (never woken)`,
      cat: 'wait',
      ph: 'X',
      ts: sl.ts,
      dur: Math.max(1, lastTs - sl.ts + STEP_US),
      pid,
      tid,
    });
  }
  // Operations still open at the end (a task that never woke) end with the trace.
  for (const [tid, n] of open)
    for (let i = 0; i < n; i++) out.push({ name: '', ph: 'E', ts: lastTs + STEP_US, pid, tid });
  return { traceEvents: out, displayTimeUnit: 'ms' };
}
