import { describe, expect, it } from 'vitest';
import {
  checkDmaLanding,
  classifyHangs,
  createKernel,
  explore,
  FREE_OWNER,
  RefLedger,
  RwSem,
  replay,
  type Scenario,
} from '../src/index';
import {
  forgottenUnpin,
  legacyPolicy,
  lostWakeupPolicy,
  unpinTruncate,
  zeroBasedPolicy,
} from './explore-scenarios';
import { SparseMedia } from './helpers';

describe('reference ledger', () => {
  it('matches puts to gets and pins, and lists what is left with provenance', () => {
    const l = new RefLedger();
    l.change(10, 1, 1025, false, 'pin#1', 'try_grab_folio', 3);
    l.change(10, 1025, 1026, false, 'gup#2', 'try_grab_folio_fast', 4);
    l.change(10, 1026, 2, false, 'pin#1', 'unpin', 5);
    expect(l.outstanding()).toEqual([
      { pfn: 10, refs: 1, task: 'gup#2', fn: 'try_grab_folio_fast', step: 4 },
    ]);
    const leaks = l.leaks(9);
    expect(leaks).toHaveLength(1);
    expect(leaks[0]!.kind).toBe('leak');
    expect(leaks[0]!.message).toMatch(/\+1 by gup#2 in try_grab_folio_fast at step 4/);
    l.change(10, 2, 1, false, 'other#3', 'put_page', 6);
    expect(l.leaks(10)).toEqual([]);
    l.change(11, 0, 5, false, 'x#1', 'get', 1);
    l.change(11, 5, 0, true, 'x#1', 'init', 2); // a re-initialisation resets the page
    expect(l.outstanding()).toEqual([]);
  });

  it('a pin never released is a leak at full teardown, with its provenance', () => {
    const r = explore({ scenario: forgottenUnpin, policy: () => legacyPolicy(), strategy: 'dfs' });
    expect(r.verdict).toBe('fail');
    expect(r.violations.map((v) => v.kind)).toEqual(['leak']);
    expect(r.violations[0]!.message).toMatch(/\+1024 by pin#\d+ in try_grab_folio/);
  });

  it('map-time references of the 0-based design are dropped by the teardown munmap: no leak', () => {
    const r = explore({ scenario: unpinTruncate, policy: () => zeroBasedPolicy(), strategy: 'dfs' });
    expect(r.verdict).toBe('pass');
    const one = explore({
      scenario: unpinTruncate,
      policy: () => legacyPolicy(),
      strategy: 'random',
      budget: 50,
    });
    expect(one.verdict).toBe('pass');
  });
});

describe('hang classification', () => {
  it('tells a missed wakeup from a deadlock and an unbind hang', () => {
    const k = createKernel({ ramPages: 512 });
    const a = new RwSem('A');
    const b = new RwSem('B');
    let flag = 0;
    const t1 = k.spawn('t1', function* (t) {
      yield* a.downWrite(t);
      yield 0;
      yield* b.downWrite(t);
    });
    const t2 = k.spawn('t2', function* (t) {
      yield* b.downWrite(t);
      yield 0;
      yield* a.downWrite(t);
    });
    const t3 = k.spawn('t3', (t) => k.waits.wait(t, 'k', () => flag === 1, 'flag', { fn: 'wait_for_flag' }));
    const t4 = k.spawn('unbind', (t) =>
      k.waits.wait(t, 'gone', () => false, 'pgmap ref', { teardown: true }),
    );
    k.run();
    flag = 1; // the condition now holds, but nobody wakes t3
    const vs = classifyHangs(k.sched.blocked(), k.sched.steps);
    const kinds = vs.map((v) => `${v.kind}:${v.task}`).sort();
    expect(kinds).toEqual(['deadlock:t1', 'missed-wakeup:t3', 'unbind-hang:unbind']);
    expect([t1, t2, t3, t4].every((t) => t.state === 'blocked')).toBe(true);
  });

  it('a wait stuck behind a teardown hang is part of the unbind hang', () => {
    const k = createKernel({ ramPages: 512 });
    k.spawn('unbind', (t) => k.waits.wait(t, 'ref', () => false, 'pgmap ref zero', { teardown: true }));
    k.spawn('mapper', (t) => k.waits.wait(t, 'dev', () => false, 'device gone'));
    k.run();
    expect(classifyHangs(k.sched.blocked(), 0).map((v) => v.kind)).toEqual(['unbind-hang', 'unbind-hang']);
  });

  it('a wait no one can satisfy, with no teardown and no lock cycle, is a hang', () => {
    const s: Scenario<null> = {
      id: 'forever',
      title: 'waits forever',
      source: 'test',
      kernel: { ramPages: 512 },
      setup: () => null,
      tasks: [{ name: 'w', body: (k, t) => k.waits.wait(t, 'never', () => false, 'never') }],
    };
    const r = explore({ scenario: s, policy: () => null, strategy: 'random', budget: 3 });
    expect(r.violations.map((v) => v.kind)).toEqual(['hang']);
    expect(r.violations[0]!.hang).toMatchObject({ waiter: 'w#1', key: 'never', interruptible: false });
  });
});

describe('dma owner-tag check', () => {
  it('reports dma-corruption when the block changed owner, use-after-free when the device is gone', () => {
    const k = createKernel({ ramPages: 512 });
    const media = new SparseMedia('pmem0', 1 << 24, 512);
    const pfn = (1 << 24) + 3;
    media.setOwnerTag(pfn, { file: 7, gen: 1 });
    const xfer = { id: 1, pfn, owner: { file: 7, gen: 1 }, device: media, task: 'dma' };
    expect(checkDmaLanding(k, xfer)).toBe(true);
    media.setOwnerTag(pfn, FREE_OWNER);
    media.setOwnerTag(pfn, { file: 9, gen: 2 });
    expect(checkDmaLanding(k, xfer)).toBe(false);
    media.gone = true;
    expect(checkDmaLanding(k, xfer)).toBe(false);
    expect(k.violations.map((v) => v.kind)).toEqual(['dma-corruption', 'use-after-free']);
    expect(k.violations[0]!.message).toMatch(/inode 7 .*now belongs to inode 9/);
  });
});

describe('verdicts are computed on every run', () => {
  it('the same token gives fail under the buggy variant and pass under the fixed one', () => {
    const r = explore({ scenario: unpinTruncate, policy: lostWakeupPolicy, strategy: 'dfs' });
    expect(r.verdict).toBe('fail');
    const fixed = replay(unpinTruncate, () => legacyPolicy(), r.schedule!);
    expect(fixed.verdict).toBe('pass');
  });
});
