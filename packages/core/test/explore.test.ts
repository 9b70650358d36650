import { describe, expect, it } from 'vitest';
import { claimUnit, finishUnit, mergeReaches, unitQueue } from '../src/explore/units';
import {
  DaxrefError,
  decodeSchedule,
  encodeSchedule,
  explore,
  mergeUnits,
  planUnits,
  replay,
  runUnits,
  selfCheck,
  shardUnits,
  strategyParamsForTest,
} from './explore-api';
import {
  abba,
  flaky,
  legacyPolicy,
  lostWakeupPolicy,
  racyFlag,
  unpinTruncate,
  zeroBasedPolicy,
} from './explore-scenarios';

const strategies = ['random', 'pct', 'dfs'] as const;

describe('explore: strategies find planted bugs', () => {
  for (const strategy of strategies) {
    it(`${strategy} finds the lost wakeup of an unpin (planted v5.19-rc1 bug)`, () => {
      const r = explore({
        scenario: unpinTruncate,
        policy: lostWakeupPolicy,
        strategy,
        seed: 7,
        budget: 500,
      });
      expect(r.verdict).toBe('fail');
      expect(r.violations.map((v) => v.kind)).toContain('missed-wakeup');
      expect(r.schedule).toMatch(/^d1\./);
      expect(r.schedule!.length).toBeLessThan(40);
      // The token replays it exactly.
      const again = replay(unpinTruncate, lostWakeupPolicy, r.schedule!);
      expect(again.violations.map((v) => v.kind)).toEqual(r.violations.map((v) => v.kind));
      expect(again.schedule).toBe(r.schedule);
    });

    it(`${strategy} passes the fixed policy`, () => {
      const r = explore({
        scenario: unpinTruncate,
        policy: () => legacyPolicy(),
        strategy,
        seed: 7,
        budget: 200,
      });
      expect(r.verdict).toBe('pass');
      expect(r.violations).toEqual([]);
      expect(r.explored).toBeGreaterThan(0);
    });

    it(`${strategy} finds an ABBA deadlock and a racy lost wakeup`, () => {
      const d = explore({ scenario: abba, policy: () => null, strategy, seed: 3, budget: 500 });
      expect(d.verdict).toBe('fail');
      expect(d.violations[0]!.kind).toBe('deadlock');
      const w = explore({ scenario: racyFlag, policy: () => null, strategy, seed: 3, budget: 500 });
      expect(w.verdict).toBe('fail');
      expect(w.violations[0]!.kind).toBe('missed-wakeup');
    });
  }

  it('the 0-based design passes the same scenario exhaustively', () => {
    const r = explore({
      scenario: unpinTruncate,
      policy: () => zeroBasedPolicy(),
      strategy: 'dfs',
      budget: 10_000,
    });
    expect(r.verdict).toBe('pass');
    expect(r.exhausted).toBe(true);
  });
});

describe('explore: dfs', () => {
  it('exhausts the bounded space and prunes reorderings of independent steps', () => {
    const on = explore({
      scenario: racyFlag,
      policy: () => null,
      strategy: 'dfs',
      budget: 10_000,
      shrink: false,
    });
    expect(on.verdict).toBe('fail');
    const passOn = explore({ scenario: abba, policy: () => null, strategy: 'dfs', bound: 0, budget: 10_000 });
    expect(passOn.verdict).toBe('pass');
    expect(passOn.exhausted).toBe(true);
    const full = explore({
      scenario: unpinTruncate,
      policy: () => legacyPolicy(),
      strategy: 'dfs',
      budget: 10_000,
      prune: false,
    });
    const pruned = explore({
      scenario: unpinTruncate,
      policy: () => legacyPolicy(),
      strategy: 'dfs',
      budget: 10_000,
    });
    expect(full.exhausted).toBe(true);
    expect(pruned.exhausted).toBe(true);
    expect(pruned.explored).toBeLessThanOrEqual(full.explored);
    expect(pruned.explored + pruned.pruned).toBeGreaterThan(0);
  });

  it('a higher preemption bound explores more', () => {
    const b0 = explore({
      scenario: unpinTruncate,
      policy: () => legacyPolicy(),
      strategy: 'dfs',
      bound: 0,
      budget: 10_000,
    });
    const b2 = explore({
      scenario: unpinTruncate,
      policy: () => legacyPolicy(),
      strategy: 'dfs',
      bound: 2,
      budget: 10_000,
    });
    expect(b0.explored).toBeLessThan(b2.explored);
    // ABBA needs one preemption: bound 0 cannot reach the deadlock, bound 1 can.
    expect(explore({ scenario: abba, policy: () => null, strategy: 'dfs', bound: 0 }).verdict).toBe('pass');
    expect(explore({ scenario: abba, policy: () => null, strategy: 'dfs', bound: 1 }).verdict).toBe('fail');
  });
});

describe('schedules', () => {
  it('tokens round-trip', () => {
    for (const dev of [[], [0, 2], [3, 1, 4, 2, 300, 3], [100000, 7]]) {
      expect(decodeSchedule(encodeSchedule(dev))).toEqual(dev);
    }
    expect(() => decodeSchedule('x1.AAA')).toThrow(DaxrefError);
    expect(() => decodeSchedule('d1.!!')).toThrow(/base64url/);
  });

  it('shrinking keeps the violation kind and does not grow the schedule', () => {
    const r = explore({ scenario: racyFlag, policy: () => null, strategy: 'random', seed: 11, budget: 500 });
    expect(r.verdict).toBe('fail');
    const s = r.shrink!;
    expect(s.after.preemptions).toBeLessThanOrEqual(s.before.preemptions);
    expect(s.after.preemptions).toBe(1);
    const rp = replay(racyFlag, () => null, r.schedule!);
    expect(rp.violations[0]!.kind).toBe('missed-wakeup');
  });

  it('shrinking shortens a random counterexample', () => {
    let shortened = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = explore({
        scenario: unpinTruncate,
        policy: lostWakeupPolicy,
        strategy: 'random',
        seed,
        budget: 500,
      });
      const { before, after } = r.shrink!;
      expect(after.preemptions <= before.preemptions).toBe(true);
      if (
        after.preemptions < before.preemptions ||
        after.steps < before.steps ||
        after.switches < before.switches
      )
        shortened++;
    }
    expect(shortened).toBeGreaterThan(0);
  });

  it('a replay that leaves its recording is a NONDETERMINISM error', () => {
    // Pick task 9 (never exists) at choice point 0.
    expect(() => replay(unpinTruncate, lostWakeupPolicy, encodeSchedule([0, 9]))).toThrow(
      expect.objectContaining({ code: 'NONDETERMINISM' }),
    );
    expect(() => replay(unpinTruncate, lostWakeupPolicy, encodeSchedule([500, 1]))).toThrow(/diverged/);
  });

  it('the self-check catches a deliberately nondeterministic task', () => {
    let err: unknown;
    try {
      selfCheck(flaky, () => null, encodeSchedule([]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DaxrefError);
    expect((err as DaxrefError).code).toBe('NONDETERMINISM');
    expect((err as DaxrefError).message).toMatch(/twice gave different event logs/);
    // A deterministic scenario passes it with a stable hash.
    const tok = explore({ scenario: unpinTruncate, policy: lostWakeupPolicy, strategy: 'dfs' }).schedule!;
    const h1 = selfCheck(unpinTruncate, lostWakeupPolicy, tok);
    const h2 = selfCheck(unpinTruncate, lostWakeupPolicy, tok);
    expect(h1).toBe(h2);
  });
});

describe('sharding', () => {
  const cases = [
    { scenario: unpinTruncate, policy: lostWakeupPolicy, strategy: 'random', budget: 300 },
    { scenario: unpinTruncate, policy: () => legacyPolicy(), strategy: 'random', budget: 50 },
    { scenario: unpinTruncate, policy: () => legacyPolicy(), strategy: 'pct', budget: 50 },
    { scenario: unpinTruncate, policy: () => legacyPolicy(), strategy: 'dfs', budget: 10_000 },
    { scenario: unpinTruncate, policy: () => legacyPolicy(), strategy: 'dfs', budget: 7 },
    { scenario: unpinTruncate, policy: lostWakeupPolicy, strategy: 'dfs', budget: 10_000 },
    { scenario: racyFlag, policy: () => null, strategy: 'dfs', budget: 10_000 },
  ] as const;
  for (const c of cases) {
    it(`merged shards equal one worker: ${c.scenario.id} ${c.strategy} budget ${c.budget}`, () => {
      const o = {
        scenario: c.scenario as never,
        policy: c.policy,
        strategy: c.strategy,
        seed: 5,
        budget: c.budget,
      };
      const p = strategyParamsForTest(o);
      const one = mergeUnits(
        runUnits(o.scenario, o.policy, p, planUnits(o.scenario, o.policy, p, 1)),
        p.budget,
      );
      for (const n of [2, 3]) {
        const units = planUnits(o.scenario, o.policy, p, n);
        const shards = shardUnits(units, n);
        const aligned = shards.flatMap((u) => {
          const r = runUnits(o.scenario, o.policy, p, u);
          return u.map((_, j) => r[j]);
        });
        const merged = mergeUnits(aligned, p.budget);
        expect(merged).toEqual(one);
      }
    });
  }
});

describe('unit queue (dynamic load balancing)', () => {
  const cases = [
    { scenario: unpinTruncate, policy: lostWakeupPolicy, strategy: 'random', budget: 300 },
    { scenario: unpinTruncate, policy: () => legacyPolicy(), strategy: 'random', budget: 200 },
    { scenario: unpinTruncate, policy: () => legacyPolicy(), strategy: 'pct', budget: 120 },
    { scenario: unpinTruncate, policy: () => legacyPolicy(), strategy: 'dfs', budget: 10_000 },
    { scenario: unpinTruncate, policy: () => legacyPolicy(), strategy: 'dfs', budget: 7 },
    { scenario: unpinTruncate, policy: lostWakeupPolicy, strategy: 'dfs', budget: 10_000 },
    { scenario: racyFlag, policy: () => null, strategy: 'random', budget: 500 },
  ] as const;
  for (const c of cases) {
    it(`any claim order merges to one thread's result: ${c.scenario.id} ${c.strategy} budget ${c.budget}`, () => {
      const o = {
        scenario: c.scenario as never,
        policy: c.policy,
        strategy: c.strategy,
        seed: 5,
        budget: c.budget,
      };
      const p = strategyParamsForTest(o);
      const one = explore({ ...o, shrink: false, selfCheck: false });
      let rng = 12345;
      for (const parts of [4, 16, 64]) {
        for (const threads of [2, 3]) {
          const units = planUnits(o.scenario, o.policy, p, parts);
          const q = unitQueue(units.length);
          const results: (ReturnType<typeof runUnits>[number] | undefined)[] = units.map(() => undefined);
          // Threads claim in a pseudo-random interleaving and finish their units out of order.
          const running: { index: number; left: number }[][] = Array.from({ length: threads }, () => []);
          let live = threads;
          const done = new Set<number>();
          while (live > 0) {
            rng = (rng * 1103515245 + 12345) & 0x7fffffff;
            const t = rng % threads;
            if (done.has(t)) continue;
            const mine = running[t]!;
            if (mine.length > 0 && rng % 2 === 0) {
              const c = mine.shift()!;
              const r = runUnits(o.scenario, o.policy, { ...p, budget: c.left }, [units[c.index]!])[0]!;
              results[c.index] = r;
              finishUnit(q, c.index, r);
              continue;
            }
            const c = claimUnit(q, p.budget);
            if (c !== null) mine.push(c);
            else if (mine.length === 0) {
              done.add(t);
              live--;
            }
          }
          const m = mergeUnits(results, p.budget);
          expect({
            explored: m.explored,
            steps: m.steps,
            pruned: m.pruned,
            exhausted: p.strategy === 'dfs' && m.complete,
          }).toEqual({
            explored: one.explored,
            steps: one.steps,
            pruned: one.pruned,
            exhausted: one.exhausted,
          });
          expect(m.failure === null ? undefined : encodeSchedule(m.failure.deviations)).toBe(one.schedule);
          expect(m.failure === null).toBe(one.verdict === 'pass');
        }
      }
    });
  }

  it('stops handing out units after a failing unit and past the budget', () => {
    const q = unitQueue(5);
    const ok = {
      explored: 10,
      pruned: 0,
      steps: 100,
      exhausted: true,
      cumSteps: [],
      cumPruned: [],
      failure: null,
    };
    expect(claimUnit(q, 25)).toEqual({ index: 0, left: 25 });
    finishUnit(q, 0, ok);
    expect(claimUnit(q, 25)).toEqual({ index: 1, left: 15 });
    finishUnit(q, 1, { ...ok, exhausted: false, explored: 3 }); // cut: later units cannot count
    expect(claimUnit(q, 25)).toBeNull();
    const b = unitQueue(4);
    finishUnit(b, 0, ok);
    finishUnit(b, 1, ok);
    b[0] = 2;
    expect(claimUnit(b, 20)).toBeNull(); // 20 schedules already explored before unit 2
    expect(mergeReaches([ok, ok], 2, 20)).toBe(false);
    expect(mergeReaches([ok, ok], 2, 21)).toBe(true);
    expect(mergeReaches([ok, undefined], 2, 100)).toBe(false);
  });

  it('dfs: a budget spent exactly by the first subtree does not claim exhaustion', () => {
    const o = {
      scenario: unpinTruncate as never,
      policy: () => legacyPolicy(),
      strategy: 'dfs',
      budget: 10_000,
    } as const;
    const p = strategyParamsForTest(o);
    const units = planUnits(o.scenario, o.policy, p, 1);
    expect(units.length).toBeGreaterThan(1);
    const first = runUnits(o.scenario, o.policy, p, [units[0]!])[0]!;
    expect(first.exhausted).toBe(true);
    const r = explore({ ...o, budget: first.explored });
    expect(r.explored).toBe(first.explored);
    expect(r.exhausted).toBe(false);
    expect(explore(o).exhausted).toBe(true);
  });
});
