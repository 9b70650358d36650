import { DaxrefError } from '../errors';
import type { Scheduler } from '../sched/scheduler';
import type { Task } from '../sched/task';
import { RunObserver } from '../trace/observer';
import { StrategyChooser } from './choosers';
import { type Footprint, FootprintCollector, independent, startFootprints } from './footprint';
import { type RunWithKernel, runSchedule } from './run';
import type { PolicyFactory, Scenario } from './scenario';

/** A choice point on the current DFS path. */
interface DfsNode {
  /** Runnable task ids, ascending. */
  readonly enabled: number[];
  /** The task that ran last, if it could continue (switching away is a preemption), else -1. */
  readonly last: number;
  /** Preemptions on the path before this node. */
  readonly pre: number;
  chosen: number;
  /** Footprint of the chosen step, once it ran. */
  fp: Footprint | null;
  /** Alternatives already explored from here, with their step's footprint. */
  readonly done: Map<number, Footprint>;
  /** The sleep set on entry: alternatives whose orders were covered by an earlier sibling. */
  readonly sleep: Map<number, Footprint>;
  /** Alternatives skipped because asleep (counted once). */
  readonly skipped: Set<number>;
}

function cost(n: DfsNode, id: number): number {
  return n.last >= 0 && id !== n.last ? 1 : 0;
}

/**
 * The DFS chooser: replays the path's prefix, then continues by default (the last task, else
 * the lowest id) within the preemption bound, skipping tasks in the sleep set.
 */
class DfsChooser extends StrategyChooser {
  stack: DfsNode[] = [];
  readonly bound: number;
  readonly prune: boolean;
  readonly collector = new FootprintCollector();
  private sleep = new Map<number, Footprint>();
  private pending: DfsNode | null = null;
  private pre = 0;
  /** Stop once the root's chosen step ran (probing a root alternative's footprint). */
  probe = false;
  constructor(bound: number, prune: boolean) {
    super();
    this.bound = bound;
    this.prune = prune;
  }
  start(stack: DfsNode[]): void {
    this.stack = stack;
    this.sleep = new Map();
    this.pending = null;
    this.pre = 0;
    this.collector.clear();
  }
  protected pick(
    runnable: readonly Task[],
    def: number,
    lastRunnable: boolean,
    at: number,
    sched: Scheduler,
  ): number {
    const stack = this.stack;
    let node: DfsNode;
    if (at < stack.length) {
      node = stack[at]!;
      const en = node.enabled;
      let same = en.length === runnable.length;
      for (let i = 0; same && i < en.length; i++) same = en[i] === runnable[i]!.id;
      if (!same) {
        throw new DaxrefError(
          'NONDETERMINISM',
          'dfs',
          `re-executing a DFS prefix, choice point ${at} offers tasks [${runnable.map((t) => t.id).join(', ')}] ` +
            `where the first execution offered [${en.join(', ')}]: a task body depends on state outside the model`,
        );
      }
    } else {
      const enabled: number[] = [];
      for (const t of runnable) enabled.push(t.id);
      node = {
        enabled,
        last: lastRunnable ? runnable[def]!.id : -1,
        pre: this.pre,
        chosen: -1,
        fp: null,
        done: new Map(),
        sleep: this.prune ? new Map(this.sleep) : new Map(),
        skipped: new Set(),
      };
      const want = runnable[def]!.id;
      let choice = -1;
      if (!node.sleep.has(want)) choice = want;
      else {
        for (const id of enabled) {
          if (node.sleep.has(id) || node.pre + cost(node, id) > this.bound) continue;
          choice = id;
          break;
        }
      }
      if (choice < 0) {
        this.aborted = true; // every continuation only reorders independent steps already covered
        return def;
      }
      node.chosen = choice;
      stack.push(node);
    }
    if (this.prune) {
      const sl = new Map(node.sleep);
      for (const [id, fp] of node.done) sl.set(id, fp);
      sl.delete(node.chosen);
      this.sleep = sl;
    }
    this.pre = node.pre + cost(node, node.chosen);
    this.pending = node;
    for (let i = 0; i < runnable.length; i++) if (runnable[i]!.id === node.chosen) return i;
    throw new DaxrefError(
      'NONDETERMINISM',
      'dfs',
      `task ${node.chosen} is not runnable at choice point ${at}`,
    );
  }
  /** After every step: the chosen step's footprint, and the sleep set filtered by what ran. */
  afterStep(t: Task): void {
    const fp = this.collector.take(t);
    if (this.pending !== null) {
      this.pending.fp = fp;
      this.pending = null;
      if (this.probe) this.aborted = true;
    }
    const sl = this.sleep;
    if (sl.size > 0) for (const [id, f] of sl) if (id === t.id || !independent(f, fp)) sl.delete(id);
  }
}

/** Options of a DFS unit. */
export interface DfsOptions {
  /** Preemption bound (default 2). */
  bound: number;
  /** Sleep-set pruning (default true). */
  prune: boolean;
  maxSteps?: number;
  /** Extra classes to track in footprints (a hardware model's). */
  footprintClasses?: readonly { prototype: object }[];
}

/** The root of a DFS: the first choice point's alternatives within the bound. */
export interface DfsRoot {
  node: { enabled: number[]; last: number } | null;
  /** Explorable alternatives at the root (task ids), in DFS order. */
  alts: number[];
}

/** A DFS session over one scenario and policy: executions share the footprint instrumentation. */
export class DfsSession<C> {
  readonly scenario: Scenario<C>;
  readonly policy: PolicyFactory;
  readonly opts: DfsOptions;
  readonly chooser: DfsChooser;
  pruned = 0;
  constructor(scenario: Scenario<C>, policy: PolicyFactory, opts: DfsOptions) {
    this.scenario = scenario;
    this.policy = policy;
    this.opts = opts;
    this.chooser = new DfsChooser(opts.bound, opts.prune);
  }

  /** Runs `fn` with footprints collected (instrumentation on only while it runs). */
  with<T>(fn: () => T): T {
    if (!this.opts.prune) return fn();
    const stop = startFootprints(this.chooser.collector, this.opts.footprintClasses);
    try {
      return fn();
    } finally {
      stop();
    }
  }

  /** One execution following `stack`. */
  exec(stack: DfsNode[], probe = false): RunWithKernel {
    const ch = this.chooser;
    ch.start(stack);
    ch.probe = probe;
    return runSchedule(this.scenario, this.policy, ch, {
      maxSteps: this.opts.maxSteps,
      observe: (k, ledger) => {
        const obs = new RunObserver(k, { ledger });
        obs.afterStep = (t) => ch.afterStep(t);
        return obs;
      },
      started: () => ch.collector.clear(),
    });
  }

  /** Finds the root choice point and its alternatives. */
  root(): DfsRoot {
    const stack: DfsNode[] = [];
    this.exec(stack, true);
    const r = stack[0];
    if (r === undefined) return { node: null, alts: [] };
    const alts = r.enabled.filter((id) => cost(r, id) <= this.opts.bound);
    // DFS order: the default continuation first, then ascending ids.
    alts.sort((a, b) => (a === r.chosen ? -1 : b === r.chosen ? 1 : a - b));
    return { node: { enabled: r.enabled, last: r.last }, alts };
  }

  /** The root node for exploring alternative `alt`, with earlier alternatives marked done. */
  rootNode(root: DfsRoot, alt: number, earlier: ReadonlyMap<number, Footprint>): DfsNode {
    const n = root.node!;
    return {
      enabled: n.enabled,
      last: n.last,
      pre: 0,
      chosen: alt,
      fp: null,
      done: new Map(earlier),
      sleep: new Map(),
      skipped: new Set(),
    };
  }

  /** The footprint of root alternative `alt`'s first step. */
  probeAlt(root: DfsRoot, alt: number): Footprint {
    const node = this.rootNode(root, alt, new Map());
    this.exec([node], true);
    return node.fp ?? [];
  }

  /**
   * Moves `stack` to the next unexplored path (never backtracking into node 0, the unit's root);
   * false when the unit's subtree is exhausted.
   */
  backtrack(stack: DfsNode[]): boolean {
    const bound = this.opts.bound;
    while (stack.length > 1) {
      const b = stack[stack.length - 1]!;
      if (b.chosen >= 0) b.done.set(b.chosen, b.fp ?? []);
      let next = -1;
      for (const id of b.enabled) {
        if (b.done.has(id) || b.pre + cost(b, id) > bound) continue;
        if (b.sleep.has(id)) {
          if (!b.skipped.has(id)) {
            b.skipped.add(id);
            this.pruned++;
          }
          continue;
        }
        next = id;
        break;
      }
      if (next >= 0) {
        b.chosen = next;
        b.fp = null;
        return true;
      }
      stack.pop();
    }
    return false;
  }
}

export type { DfsNode };
