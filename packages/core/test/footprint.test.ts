// DFS pruning must never treat two dependent steps as independent.
import { describe, expect, it } from 'vitest';
import {
  createKernel,
  explore,
  FootprintCollector,
  independent,
  type Scenario,
  startFootprints,
  trackFootprintClasses,
} from '../src/index';

/** A shared object outside the core (as a hardware model's DMA engine or media would be). */
class Mailbox {
  readonly id = 1;
  private v = 0;
  put(v: number): void {
    this.v = v;
  }
  get(): number {
    return this.v;
  }
}
trackFootprintClasses([Mailbox]);

/** The same, not registered: steps that touch it look independent when they touch pages too. */
class Hidden {
  readonly id = 1;
  private v = 0;
  put(v: number): void {
    this.v = v;
  }
  get(): number {
    return this.v;
  }
}

function race(box: Mailbox | Hidden): Scenario<{ box: Mailbox | Hidden }> {
  return {
    id: 'mailbox-race',
    title: 'a reader that sees the write reports it (the default order runs the reader first)',
    source: 'issue 10',
    kernel: { ramPages: 512 },
    setup: () => ({ box }),
    tasks: [
      {
        name: 'reader',
        *body(k, _t, c) {
          k.memmap.refcount(k.zeroPfn + 1);
          if (c.box.get() === 1) k.report('warn', 'the reader saw the write');
        },
      },
      {
        name: 'writer',
        *body(k, _t, c) {
          k.memmap.refcount(k.zeroPfn + 2); // touches a page (a visible footprint) ...
          c.box.put(1); // ... and the shared object
        },
      },
    ],
  };
}

describe('DFS footprints', () => {
  it('a registered shared object makes two steps dependent: DFS explores both orders', () => {
    const r = explore({ scenario: race(new Mailbox()), policy: () => null, strategy: 'dfs' });
    expect(r.verdict).toBe('fail');
    expect(r.violations.map((v) => v.kind)).toEqual(['warn']);
  });

  it('two steps that share a registered object are dependent; an unregistered one is invisible', () => {
    const c = new FootprintCollector();
    const k = createKernel({ ramPages: 512 });
    const stop = startFootprints(c);
    try {
      const box = new Mailbox();
      k.memmap.refcount(k.zeroPfn + 1);
      box.put(1);
      const a = c.take();
      k.memmap.refcount(k.zeroPfn + 2);
      box.get();
      const b = c.take();
      expect(independent(a, b)).toBe(false);
      const hidden = new Hidden();
      k.memmap.refcount(k.zeroPfn + 1);
      hidden.put(1);
      const x = c.take();
      k.memmap.refcount(k.zeroPfn + 2);
      hidden.get();
      const y = c.take();
      expect(independent(x, y)).toBe(true); // what registering the class fixes
    } finally {
      stop();
    }
  });

  it('a SIGKILL and the steps of its target are dependent (the target reads its own pending signals)', () => {
    const c = new FootprintCollector();
    const k = createKernel({ ramPages: 512 });
    const victim = k.spawn('victim', function* () {});
    const killer = k.spawn('killer', function* () {});
    const stop = startFootprints(c);
    try {
      k.memmap.refcount(k.zeroPfn + 1);
      k.sched.kill(victim);
      const kill = c.take(killer);
      k.memmap.refcount(k.zeroPfn + 2);
      void victim.fatal; // __get_user_pages: fatal_signal_pending(current), a plain read
      const step = c.take(victim);
      expect(independent(kill, step)).toBe(false);
    } finally {
      stop();
    }
  });
});
