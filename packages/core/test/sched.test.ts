import { describe, expect, it } from 'vitest';
import {
  BLOCK,
  Completion,
  GracePeriod,
  type KGen,
  NonPreemptive,
  PREEMPT,
  RandomChooser,
  RoundRobin,
  RwSem,
  Scheduler,
  type Task,
  VarWaits,
} from '../src/index';

function* steps(log: string[], name: string, n: number): KGen {
  for (let i = 0; i < n; i++) {
    log.push(`${name}${i}`);
    yield PREEMPT;
  }
}

describe('scheduler', () => {
  it('round-robin interleaves at every preemption point', () => {
    const s = new Scheduler({ chooser: new RoundRobin() });
    const log: string[] = [];
    s.spawn('a', () => steps(log, 'a', 3));
    s.spawn('b', () => steps(log, 'b', 2));
    expect(s.run().status).toBe('done');
    expect(log).toEqual(['a0', 'b0', 'a1', 'b1', 'a2']);
  });

  it('non-preemptive runs each task until it ends or blocks', () => {
    const s = new Scheduler({ chooser: new NonPreemptive() });
    const log: string[] = [];
    s.spawn('a', () => steps(log, 'a', 2));
    s.spawn('b', () => steps(log, 'b', 2));
    s.run();
    expect(log).toEqual(['a0', 'a1', 'b0', 'b1']);
  });

  it('a seeded random order is the same for the same seed and differs across seeds', () => {
    const order = (seed: number) => {
      const s = new Scheduler({ chooser: new RandomChooser(seed) });
      const log: string[] = [];
      for (const n of ['a', 'b', 'c']) s.spawn(n, () => steps(log, n, 6));
      s.run();
      return log.join(',');
    };
    expect(order(7)).toBe(order(7));
    const distinct = new Set([1, 2, 3, 4, 5, 6].map(order));
    expect(distinct.size).toBeGreaterThan(1);
  });

  it('reports stuck, budget, and a task that yields BLOCK without a waiter', () => {
    const s = new Scheduler({ maxSteps: 10 });
    s.spawn('forever', function* () {
      for (;;) yield PREEMPT;
    });
    expect(s.run().status).toBe('budget');
    const s2 = new Scheduler();
    s2.spawn('bad', function* () {
      yield BLOCK;
    });
    expect(() => s2.run()).toThrow(/without registering a waiter/);
  });

  it('timers wake a sleeper when nothing else can run; kill unwinds and runs exit hooks', () => {
    const s = new Scheduler();
    const log: string[] = [];
    const sleeper = s.spawn('sleeper', function* (t) {
      yield* s.sleep(t, 100);
      log.push(`woke at ${s.now}`);
    });
    expect(s.run().status).toBe('done');
    expect(sleeper.state).toBe('done');
    expect(log).toEqual(['woke at 100']);
    const victim = s.spawn('victim', function* (t) {
      try {
        yield* s.sleep(t, 1000);
      } finally {
        log.push('unwound');
      }
    });
    victim.exitHooks.push(function* () {
      log.push('exit hook');
    });
    s.stepTask(victim);
    expect(s.kill(victim)).toBe(true);
    // schedule_timeout() sleeps uninterruptibly: SIGKILL is pending, the task stays asleep.
    expect(victim.state).toBe('blocked');
    expect(victim.fatal).toBe(true);
    s.run();
    expect(victim.state).toBe('killed');
    expect(log.slice(1)).toEqual(['unwound', 'exit hook']);
  });
});

describe('waits and locks', () => {
  it('wake_up_var wakes only waiters on that exact key; they re-check the predicate', () => {
    const s = new Scheduler();
    const w = new VarWaits();
    let x = 0;
    const a = s.spawn('a', (t) => w.wait(t, 'A', () => x === 2, 'x==2'));
    const b = s.spawn('b', (t) => w.wait(t, 'B', () => x === 2, 'x==2'));
    s.runTask(a);
    s.runTask(b);
    x = 2;
    expect(w.wake('A')).toBe(1);
    expect(a.state).toBe('runnable');
    expect(b.state).toBe('blocked'); // predicate true, but never woken: a missed wakeup if nothing else comes
    expect(b.blocker?.ready()).toBe(true);
    x = 1;
    s.runTask(a);
    expect(a.state).toBe('blocked'); // woken, re-checked, went back to sleep
  });

  it('rwsem: readers share, a writer excludes, FIFO so a waiting writer blocks new readers', () => {
    const s = new Scheduler();
    const sem = new RwSem('sem');
    const r1 = s.spawn('r1', function* (t) {
      yield* sem.downRead(t);
      yield PREEMPT;
      sem.upRead(t);
    });
    const wr = s.spawn('w', function* (t) {
      yield* sem.downWrite(t);
      sem.upWrite(t);
    });
    const r2 = s.spawn('r2', function* (t) {
      yield* sem.downRead(t);
      sem.upRead(t);
    });
    s.stepTask(r1);
    s.stepTask(wr);
    expect(wr.state).toBe('blocked');
    s.stepTask(r2);
    expect(r2.state).toBe('blocked');
    expect(wr.blocker?.owners?.()).toEqual([r1]);
    expect(s.run().status).toBe('done');
  });

  it('completion and grace periods', () => {
    const s = new Scheduler();
    const c = new Completion('done');
    const waiter = s.spawn('w', (t) => c.wait(t, { teardown: true }));
    s.runTask(waiter);
    expect(waiter.blocker?.teardown).toBe(true);
    c.complete();
    expect(s.runTask(waiter)).toBe('done');
    const g = new GracePeriod('rcu', 'rcu', s);
    let reader: Task | null = null;
    reader = s.spawn('reader', function* (t) {
      g.enter(t);
      yield PREEMPT;
      g.exit(t);
    });
    s.stepTask(reader);
    const sync = s.spawn('sync', (t) => g.synchronize(t, 'synchronize_rcu'));
    s.runTask(sync);
    expect(sync.state).toBe('blocked');
    s.runTask(reader);
    expect(s.runTask(sync)).toBe('done');
  });
});
