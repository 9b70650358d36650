// Planted defects: each must get its own non-pass verdict; the checker cannot be fooled.
import { describe, expect, it } from 'vitest';
import {
  BLOCK,
  classifyHangs,
  createKernel,
  createMm,
  Errno,
  exitMmap,
  explore,
  FOLL_WRITE,
  type Inode,
  type Kernel,
  type KGen,
  type Mm,
  mmap,
  PREEMPT,
  pinUserPages,
  RwSem,
  type Scenario,
  type Task,
  unpinUserPages,
} from '../src/index';
import { legacyPolicy, mountFs, zeroBasedPolicy } from './explore-scenarios';
import { runAlone } from './helpers';

const base = { title: 'planted defect', source: 'issue 10', kernel: { ramPages: 512 } };

interface Flag {
  set: boolean;
}

/** A timed wait as a scenario helper writes it: gives up when the timer fires with `cond` false. */
function* timedWait(k: Kernel, t: Task, key: string, cond: () => boolean): KGen<boolean> {
  while (!cond()) {
    k.waits.prepare(t, key, cond, key, { fn: 'wait_event_timeout' });
    k.sched.armTimer(t, k.sched.now + 1);
    try {
      yield BLOCK;
    } finally {
      k.waits.finish(t, key);
    }
    if (!cond()) {
      k.markInconclusive(`wait_event_timeout on ${key} timed out`);
      return false;
    }
  }
  return true;
}

describe('planted defects: none may pass', () => {
  it('a task that spins forever is inconclusive (step budget), not pass', () => {
    const s: Scenario<null> = {
      ...base,
      id: 'spin',
      setup: () => null,
      tasks: [
        {
          name: 'spin',
          *body() {
            for (;;) yield PREEMPT;
          },
        },
        { name: 'other', *body() {} },
      ],
    };
    for (const strategy of ['random', 'dfs'] as const) {
      const r = explore({ scenario: s, policy: () => null, strategy, budget: 5, maxSteps: 200 });
      expect(r.verdict).toBe('inconclusive');
      expect(r.reason).toMatch(/step budget of 200 reached with spin#1/);
      expect(r.violations).toEqual([]);
    }
  });

  it('a wait whose wake is dropped is a missed-wakeup', () => {
    const s: Scenario<Flag> = {
      ...base,
      id: 'dropped-wake',
      setup: () => ({ set: false }),
      tasks: [
        { name: 'waiter', body: (k, t, c) => k.waits.wait(t, 'flag', () => c.set, 'flag') },
        {
          name: 'setter',
          *body(_k, _t, c) {
            yield PREEMPT;
            c.set = true; // planted: no wake_up_var('flag')
          },
        },
      ],
    };
    const r = explore({ scenario: s, policy: () => null, strategy: 'dfs' });
    expect(r.verdict).toBe('fail');
    expect(r.violations.map((v) => v.kind)).toEqual(['missed-wakeup']);
  });

  it('a scenario helper whose timed wait times out is inconclusive, with the reason', () => {
    const s: Scenario<Flag> = {
      ...base,
      id: 'timeout-helper',
      setup: () => ({ set: false }),
      tasks: [
        {
          name: 'helper',
          *body(k, t, c) {
            yield* timedWait(k, t, 'never-set', () => c.set);
          },
        },
        {
          name: 'other',
          *body() {
            yield PREEMPT;
          },
        },
      ],
    };
    const r = explore({ scenario: s, policy: () => null, strategy: 'dfs' });
    expect(r.verdict).toBe('inconclusive');
    expect(r.reason).toMatch(/helper#1: wait_event_timeout on never-set timed out/);
    // The same helper whose condition does come true passes.
    const ok: Scenario<Flag> = {
      ...s,
      tasks: [
        s.tasks[0]!,
        {
          name: 'setter',
          *body(k, _t, c) {
            c.set = true;
            k.waits.wake('never-set');
          },
        },
      ],
    };
    expect(explore({ scenario: ok, policy: () => null, strategy: 'dfs' }).verdict).toBe('pass');
  });

  it('a lock cycle is a deadlock', () => {
    const s: Scenario<{ a: RwSem; b: RwSem }> = {
      ...base,
      id: 'abba',
      setup: () => ({ a: new RwSem('A'), b: new RwSem('B') }),
      tasks: [
        {
          name: 'ab',
          *body(_k, t, c) {
            yield* c.a.downWrite(t);
            yield PREEMPT;
            yield* c.b.downWrite(t);
            c.b.upWrite(t);
            c.a.upWrite(t);
          },
        },
        {
          name: 'ba',
          *body(_k, t, c) {
            yield* c.b.downWrite(t);
            yield PREEMPT;
            yield* c.a.downWrite(t);
            c.a.upWrite(t);
            c.b.upWrite(t);
          },
        },
      ],
    };
    const r = explore({ scenario: s, policy: () => null, strategy: 'dfs' });
    expect(r.verdict).toBe('fail');
    expect(r.violations.map((v) => v.kind)).toEqual(['deadlock']);
  });

  it('an unbounded interruptible wait is a hang that says a signal would end it', () => {
    const s: Scenario<Flag> = {
      ...base,
      id: 'interruptible-forever',
      setup: () => ({ set: false }),
      tasks: [
        {
          name: 'sleeper',
          body: (k, t, c) =>
            k.waits.wait(t, 'idle', () => c.set, 'page 0x10 idle', {
              fn: 'wait_page_idle',
              state: 'interruptible',
              predicate: 'folio_ref_count == 0',
            }),
        },
      ],
    };
    const r = explore({ scenario: s, policy: () => null, strategy: 'dfs' });
    expect(r.verdict).toBe('fail');
    expect(r.violations.map((v) => v.kind)).toEqual(['hang']);
    expect(r.violations[0]!.hang).toEqual({
      waiter: 'sleeper#1',
      fn: 'wait_page_idle',
      key: 'page 0x10 idle',
      predicate: 'folio_ref_count == 0',
      interruptible: true,
      holders: [],
    });
    expect(r.violations[0]!.message).toMatch(/TASK_INTERRUPTIBLE.*hung-task detector stays silent/);
    // A signal ends it: the wait returns -ERESTARTSYS and nothing hangs.
    const signalled: Scenario<Flag> = {
      ...s,
      tasks: [
        {
          name: 'sleeper',
          *body(k, t, c) {
            const r = yield* k.waits.wait(t, 'idle', () => c.set, 'idle', { state: 'interruptible' });
            if (r !== -Errno.ERESTARTSYS) throw new Error(`expected -ERESTARTSYS, got ${r}`);
          },
        },
        {
          name: 'kill',
          *body(k) {
            k.sched.signal(k.sched.tasks[0]!, 'SIGUSR1');
          },
        },
      ],
    };
    expect(explore({ scenario: signalled, policy: () => null, strategy: 'dfs' }).verdict).toBe('pass');
  });
});

interface GupCtx {
  fs: ReturnType<typeof mountFs>['fs'];
  f: Inode;
  mm: Mm;
  addr: number;
}

/** A process pins two unfaulted pages (slow GUP, faulting each) while another task kills it. */
function gupKill(unpinPartial: boolean): Scenario<GupCtx> {
  return {
    ...base,
    id: unpinPartial ? 'gup-kill' : 'gup-kill-drops-partial',
    kernel: { ramPages: 1024 },
    setup(k) {
      const { fs } = mountFs(k);
      const f = fs.create('f', 2 * 4096);
      const mm = createMm(k);
      const boot = k.spawn('map', function* () {});
      const g = mmap(k, boot, mm, { file: f, length: 2 * 4096 });
      let addr = 0;
      for (let r = g.next(); ; r = g.next()) {
        if (r.done) {
          addr = r.value;
          break;
        }
      }
      k.sched.runTask(boot);
      return { fs, f, mm, addr };
    },
    tasks: [
      {
        name: 'pin',
        *body(k, t, c) {
          const r = yield* pinUserPages(k, t, c.mm, c.addr, 2, FOLL_WRITE);
          if (r.err < 0 && !unpinPartial) return; // planted: drops the pages GUP did pin
          unpinUserPages(k, t, r.pfns);
        },
      },
      {
        name: 'kill',
        *body(k) {
          k.sched.kill(k.sched.tasks.find((x) => x.name === 'pin')!);
        },
      },
    ],
    *teardown(k, t, c) {
      yield* exitMmap(k, t, c.mm);
      while (c.f.refs > 0) yield* c.fs.close(k, t, c.f);
      yield* c.fs.unmount(k, t);
    },
  };
}

describe('signals during GUP', () => {
  it('__get_user_pages stops at a fatal signal and returns the pages already pinned to its caller', () => {
    // Every schedule passes: wherever the SIGKILL lands, the caller gets what GUP pinned and
    // unpins it, and the task exits (do_exit) once its body is done.
    const r = explore({ scenario: gupKill(true), policy: () => legacyPolicy(), strategy: 'dfs' });
    expect(r.verdict).toBe('pass');
    expect(r.exhausted).toBe(true);
  });

  it('planted: a caller that drops the partial result on -EINTR leaks the pinned page', () => {
    const r = explore({ scenario: gupKill(false), policy: () => legacyPolicy(), strategy: 'dfs' });
    expect(r.verdict).toBe('fail');
    // The teardown's evict also WARNs on the still-pinned page (dax_disassociate_entry).
    const leak = r.violations.find((v) => v.kind === 'leak');
    expect(leak?.message).toMatch(/\+1024 by pin#\d+ in .*try_grab_folio/);
  });
});

describe('signal delivery', () => {
  function pinnedFile() {
    const k = createKernel({ policy: zeroBasedPolicy({ breakLayoutsOnEvict: true }), ramPages: 1024 });
    const { fs } = mountFs(k);
    const f = fs.create('f', 4096);
    const mm = createMm(k);
    let pfns: number[] = [];
    runAlone(k, 'setup', function* (t) {
      const addr = yield* mmap(k, t, mm, { file: f, length: 4096 });
      pfns = (yield* pinUserPages(k, t, mm, addr, 1, FOLL_WRITE)).pfns;
    });
    return { k, fs, f, mm, pfns };
  }

  it('SIGKILL wakes a truncate asleep in wait_page_idle (TASK_INTERRUPTIBLE); it exits on its way back to user space', () => {
    const { k, fs, f, pfns } = pinnedFile();
    let returned = false;
    const trunc = k.spawn('trunc', function* (t) {
      yield* fs.truncate(k, t, f, 0);
      returned = true; // user space never sees the return: the task dies first
    });
    const exitRan: string[] = [];
    trunc.exitHooks.push(function* (exit) {
      exitRan.push(exit.name);
    });
    k.run();
    expect(trunc.state).toBe('blocked');
    expect(trunc.blocker?.fn).toMatch(/^(wait_page_idle|xfs_break_dax_layouts)$/);
    expect(trunc.blocker?.interruptible).toBe('interruptible');
    expect(k.sched.kill(trunc)).toBe(true);
    expect(trunc.state).toBe('runnable');
    expect(k.run().status).toBe('done');
    expect(trunc.state).toBe('killed');
    expect(returned).toBe(false);
    expect(exitRan).toEqual(['trunc']); // do_exit runs in the dying task's own context
    expect(f.mmapLock.owners()).toEqual([]);
    expect(f.iolock.owners()).toEqual([]);
    expect(pfns).toHaveLength(1);
  });

  it('a non-fatal signal ends the interruptible wait: truncate returns -EINTR to user space', () => {
    const { k, fs, f } = pinnedFile();
    let rc = 0;
    const trunc = k.spawn('trunc', function* (t) {
      rc = yield* fs.truncate(k, t, f, 0);
    });
    k.run();
    k.sched.signal(trunc, 'SIGUSR1');
    expect(k.run().status).toBe('done');
    expect(trunc.state).toBe('done');
    expect(rc).toBe(-Errno.EINTR);
    expect(trunc.hasSignal('SIGUSR1')).toBe(true); // handed to the handler on the way out
  });

  it('SIGKILL does not end an uninterruptible wait (6.15 evict: wait_page_idle_uninterruptible)', () => {
    const { k, fs, f, mm } = pinnedFile();
    const closer = k.spawn('closer', function* (t) {
      yield* exitMmap(k, t, mm);
      yield* fs.unlink(k, t, f);
      while (f.refs > 0) yield* fs.close(k, t, f);
    });
    k.run();
    expect(closer.blocker?.fn).toBe('wait_page_idle_uninterruptible');
    k.sched.kill(closer);
    expect(closer.state).toBe('blocked');
    const r = k.run();
    expect(r.status).toBe('stuck');
    const hang = classifyHangs(k.sched.blocked(), 0);
    expect(hang.map((v) => v.kind)).toEqual(['hang']);
    expect(hang[0]!.hang?.interruptible).toBe(false);
    expect(hang[0]!.message).toMatch(/TASK_UNINTERRUPTIBLE/);
  });
});
