import type { Task } from '../sched/task';
import type { HangDetail, HangHolder, Violation } from '../violations';

function describe(t: Task): string {
  const b = t.blocker!;
  return `${t.name}#${t.id} sleeps in ${b.fn} on ${b.what}`;
}

/**
 * Classifies the tasks still blocked when nothing can run (quiescence), from their blockers:
 * - `deadlock`: a cycle of waits through `blocker.owners()` (lock owners, RCU readers);
 * - `missed-wakeup`: the wait's condition holds (`blocker.ready()`) but no wake will come;
 * - `unbind-hang`: a device-teardown wait (`blocker.teardown`) that can never complete, and any
 *   other wait stuck behind one;
 * - otherwise a `hang`: the condition is false and no task is left to make it true, with the
 *   waiter, its wait, whether a signal would end it and (for a page wait, from `holders`) the
 *   references keeping the page busy. A real kernel stays in such a wait for as long as the
 *   holders keep their references (6.15 `wait_page_idle()` until another process unmaps).
 */
export function classifyHangs(
  blocked: readonly Task[],
  step: number,
  holders?: (pfn: number) => readonly HangHolder[],
): Violation[] {
  const out: Violation[] = [];
  const set = new Set(blocked);
  const onCycle = new Set<Task>();
  // Wait-for graph over blocked tasks; find cycles by walking owner edges.
  const color = new Map<Task, number>();
  const stack: Task[] = [];
  const visit = (t: Task): void => {
    color.set(t, 1);
    stack.push(t);
    const owners = t.blocker?.owners?.() ?? [];
    for (const o of owners) {
      if (!set.has(o) || o === t) continue;
      const c = color.get(o) ?? 0;
      if (c === 0) visit(o);
      else if (c === 1) {
        const cyc = stack.slice(stack.indexOf(o));
        if (!cyc.some((x) => onCycle.has(x))) {
          out.push({
            kind: 'deadlock',
            message: `${cyc.map(describe).join(', held by ')}, held by ${o.name}#${o.id}`,
            step,
            task: o.name,
          });
        }
        for (const x of cyc) onCycle.add(x);
      }
    }
    stack.pop();
    color.set(t, 2);
  };
  for (const t of blocked) if ((color.get(t) ?? 0) === 0) visit(t);
  const rest = blocked.filter((t) => !onCycle.has(t) && t.blocker !== null);
  const teardownStuck = rest.some((t) => t.blocker!.teardown === true && !t.blocker!.ready());
  for (const t of rest) {
    const b = t.blocker!;
    if (b.ready()) {
      out.push({
        kind: 'missed-wakeup',
        message: `${describe(t)} (${b.kind}); its condition holds but nothing will wake it`,
        step,
        task: t.name,
      });
    } else if (b.teardown === true) {
      out.push({
        kind: 'unbind-hang',
        message: `${describe(t)}; device teardown waits for something that never ends`,
        step,
        task: t.name,
      });
    } else if (teardownStuck) {
      out.push({
        kind: 'unbind-hang',
        message: `${describe(t)}, behind a device teardown that never finishes`,
        step,
        task: t.name,
      });
    } else {
      const hs = b.pfn !== undefined && holders !== undefined ? holders(b.pfn) : [];
      const hang: HangDetail = {
        waiter: `${t.name}#${t.id}`,
        fn: b.fn,
        key: b.what,
        predicate: b.predicate ?? `${b.kind} wait condition`,
        interruptible: b.interruptible !== undefined,
        holders: hs,
      };
      const sleep =
        b.interruptible === 'interruptible'
          ? 'TASK_INTERRUPTIBLE (a signal ends it; the hung-task detector stays silent)'
          : b.interruptible === 'killable'
            ? 'TASK_KILLABLE (a fatal signal ends it; the hung-task detector stays silent)'
            : 'TASK_UNINTERRUPTIBLE';
      const who =
        hs.length > 0
          ? `; held busy by ${hs.map((h) => `+${h.refs} by ${h.task} in ${h.fn || '?'} at step ${h.step}`).join(', ')}`
          : '';
      out.push({
        kind: 'hang',
        message: `${describe(t)} until ${hang.predicate}, ${sleep}; its condition is false and only another task's action or a signal would end the wait${who}`,
        step,
        task: t.name,
        hang,
      });
      if (b.pfn !== undefined) out[out.length - 1]!.pfn = b.pfn;
    }
  }
  return out;
}
