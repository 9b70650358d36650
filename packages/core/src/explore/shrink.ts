import type { ViolationKind } from '../violations';
import { replay } from './replay';
import type { PolicyFactory, Scenario } from './scenario';
import { encodeSchedule } from './token';

/** The size of a schedule, as shrinking measures it. */
export interface ScheduleSize {
  preemptions: number;
  /** Scheduler steps of the whole run. */
  steps: number;
  /** Deviations from the default continuation. */
  switches: number;
  /** Characters of the token. */
  tokenLength: number;
  schedule: string;
}

/** The outcome of `shrink`. */
export interface ShrinkResult {
  before: ScheduleSize;
  after: ScheduleSize;
  /** Replays tried. */
  runs: number;
}

function sizeOf(dev: readonly number[], preemptions: number, steps: number): ScheduleSize {
  const schedule = encodeSchedule(dev);
  return { preemptions, steps, switches: dev.length / 2, tokenLength: schedule.length, schedule };
}

function better(a: ScheduleSize, b: ScheduleSize): boolean {
  if (a.preemptions !== b.preemptions) return a.preemptions < b.preemptions;
  if (a.steps !== b.steps) return a.steps < b.steps;
  return a.switches < b.switches;
}

/**
 * Shrinks a failing schedule: searches for one with fewer preemptions, then fewer steps, that
 * still shows a violation of `kind`. Candidates drop one switch, move one a choice point earlier,
 * or pick another task there; each is replayed leniently and kept if smaller.
 */
export function shrink<C>(
  scenario: Scenario<C>,
  policy: PolicyFactory,
  deviations: readonly number[],
  kind: ViolationKind,
  opts: { maxRuns?: number; maxSteps?: number } = {},
): ShrinkResult {
  const maxRuns = opts.maxRuns ?? 400;
  let runs = 0;
  const tryRun = (dev: readonly number[]): { dev: number[]; size: ScheduleSize } | null => {
    runs++;
    const r = replay(scenario, policy, dev, { lenient: true, maxSteps: opts.maxSteps });
    if (!r.violations.some((v) => v.kind === kind)) return null;
    return { dev: r.deviations, size: sizeOf(r.deviations, r.preemptions, r.steps) };
  };
  const first = tryRun(deviations);
  if (first === null) {
    const s = sizeOf(deviations, -1, -1);
    return { before: s, after: s, runs };
  }
  const before = first.size;
  let cur = first;
  let tasks = scenario.tasks.length;
  for (let i = 1; i < deviations.length; i += 2) tasks = Math.max(tasks, deviations[i]!);
  let improved = true;
  while (improved && runs < maxRuns) {
    improved = false;
    const d = cur.dev;
    const cands: number[][] = [];
    for (let p = 0; p < d.length; p += 2) cands.push([...d.slice(0, p), ...d.slice(p + 2)]);
    for (let p = 0; p < d.length; p += 2) {
      const prev = p === 0 ? -1 : d[p - 2]!;
      if (d[p]! - 1 > prev) {
        const c = d.slice();
        c[p] = d[p]! - 1;
        cands.push(c);
      }
      for (let id = 1; id <= tasks; id++) {
        if (id === d[p + 1]) continue;
        const c = d.slice();
        c[p + 1] = id;
        cands.push(c);
      }
    }
    for (const c of cands) {
      if (runs >= maxRuns) break;
      const r = tryRun(c);
      if (r !== null && better(r.size, cur.size)) {
        cur = r;
        improved = true;
        break;
      }
    }
  }
  return { before, after: cur.size, runs };
}
