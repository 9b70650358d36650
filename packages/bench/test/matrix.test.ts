import { beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE, type MatrixFile, runMatrix, traceScenario, unexpected } from '../src/index';

const DEFAULTS = ['1based@v6.14', '0based@v6.15', 'coarse-pin@block'];

describe('the correctness matrix', () => {
  let m: MatrixFile;
  beforeAll(async () => {
    m = await runMatrix({}); // every scenario × every variant, explored with the default strategy
  }, 600_000);

  it('covers every scenario under every variant of every design', () => {
    expect(m.schema).toBe('daxref.matrix/2');
    expect(m.policies.length).toBe(12);
    expect(m.scenarios.length).toBe(CATALOGUE.length);
    expect(m.cells.length).toBe(12 * CATALOGUE.length);
    expect(m.cells.filter((c) => c.error !== undefined)).toEqual([]);
  });

  it('shows every cell DOMAIN §6 marks must with its expected verdict', () => {
    const must: string[] = [];
    for (const e of CATALOGUE) {
      for (const [policy, exp] of Object.entries(e.expected)) {
        if (!exp.must) continue;
        const cell = m.cells.find((c) => c.scenario === e.scenario.id && c.policy === policy);
        expect(cell, `${e.scenario.id} × ${policy}`).toBeDefined();
        must.push(`${e.scenario.id} × ${policy}`);
        const got = cell!.verdict === 'fail' ? cell!.violations.map((v) => v.kind) : [cell!.verdict];
        expect(
          unexpected(cell!),
          `${e.scenario.id} × ${policy}: expected ${exp.verdict}, got ${got.join('+')}`,
        ).toBe(false);
      }
    }
    expect(must.length).toBeGreaterThan(40);
  });

  it('every normal workload passes under every default variant', () => {
    for (const e of CATALOGUE.filter((x) => x.kind === 'workload')) {
      for (const p of DEFAULTS) {
        const cell = m.cells.find((c) => c.scenario === e.scenario.id && c.policy === p)!;
        expect(
          cell.verdict,
          `${e.scenario.id} × ${p}: ${cell.violations.map((v) => v.message).join('; ')}`,
        ).toBe('pass');
      }
    }
  });

  it('each failing cell carries a schedule token that trace replays to the same violation', async () => {
    const failing = m.cells.filter((c) => c.verdict === 'fail');
    expect(failing.length).toBeGreaterThan(20);
    for (const c of failing) {
      expect(c.schedule, `${c.scenario} × ${c.policy}`).toMatch(/^d1\./);
      const { result } = await traceScenario({
        scenario: c.scenario,
        policy: c.policy,
        schedule: c.schedule,
      });
      expect(
        result.violations.map((v) => v.kind),
        `${c.scenario} × ${c.policy}`,
      ).toEqual(c.violations.map((v) => v.kind));
    }
  });

  it('no cell is inconclusive: every schedule ended and no helper wait timed out unnoticed', () => {
    expect(
      m.cells.filter((c) => c.verdict === 'inconclusive').map((c) => `${c.scenario} × ${c.policy}`),
    ).toEqual([]);
  });

  it('the missed wake-ups a step budget used to hide are reported (issue 10)', () => {
    for (const id of ['get-holder-vs-pin-wait × 1based@v4.18', 'truncate-during-dma × 1based@v6.1']) {
      const c = m.cells.find((x) => `${x.scenario} × ${x.policy}` === id)!;
      expect(c.verdict, id).toBe('fail');
      expect(
        c.violations.map((v) => v.kind),
        id,
      ).toContain('missed-wakeup');
    }
  });

  it('6.15 wait_page_idle() is a hang, named with its holders, where the 1-based refault takes nothing', () => {
    for (const s of ['reflink-truncate-refault', 'truncate-refault-while-pinned']) {
      const c = m.cells.find((x) => x.scenario === s && x.policy === '0based@v6.15')!;
      const h = c.violations.find((v) => v.kind === 'hang' && v.hang?.fn === 'wait_page_idle');
      expect(h, s).toBeDefined();
      expect(h!.hang!.interruptible).toBe(true);
      expect(h!.hang!.predicate).toBe('dax_page_is_idle(): folio_ref_count == 0');
      expect(h!.hang!.holders.length, s).toBeGreaterThan(0);
      expect(h!.hang!.holders[0]!.fn).toMatch(/handle_mm_fault/);
      expect(c.violations.some((v) => v.kind === 'deadlock')).toBe(false);
      const one = m.cells.find((x) => x.scenario === s && x.policy === '1based@v6.14')!;
      expect(one.verdict, s).toBe('pass');
    }
  });

  it('n/a cells are computed from the design (reflink before v5.19, leases not offered)', () => {
    const na = m.cells.filter((c) => c.verdict === 'n/a').map((c) => `${c.scenario} × ${c.policy}`);
    expect(na).toContain('reflink-shared-block × 1based@v4.5');
    expect(na).toContain('lease-break × 1based@v6.14');
    expect(na).not.toContain('lease-break × 0based@v6.15');
  });
});

describe('determinism', () => {
  it('the same seed gives byte-identical cells (timings aside) with 1 and 2 workers', async () => {
    const opts = {
      policies: ['1based@all', 'coarse-pin'],
      scenarios: ['unpin-missed-wakeup', 'truncate-during-dma', 'unbind-while-mapped', 'fork-split-vma'],
      strategy: 'random' as const,
      seed: 7,
      budget: 60,
    };
    const strip = (x: MatrixFile) => JSON.stringify(x.cells.map(({ ms: _ms, ...rest }) => rest));
    const one = await runMatrix({ ...opts, workers: 1 });
    const two = await runMatrix({ ...opts, workers: 2 });
    expect(strip(two)).toBe(strip(one));
    expect(one.cells.some((c) => c.verdict === 'fail')).toBe(true);
  }, 600_000);
});

describe('runMatrix inputs', () => {
  it('takes a policy factory and a scenario object; refuses a Policy object with what to pass instead', async () => {
    const { createZeroBasedPolicy } = await import('@daxref/policy-0based');
    const truncateIdle = CATALOGUE.find((e) => e.scenario.id === 'truncate-idle')!.scenario;
    const m = await runMatrix({
      policies: [() => createZeroBasedPolicy({ variant: 'dan-2022' }), '0based'],
      scenarios: [{ ...truncateIdle, id: 'my-truncate-idle' }],
    });
    expect(m.cells.map((c) => `${c.scenario} ${c.policy} ${c.verdict}`)).toEqual([
      'my-truncate-idle 0based@dan-2022 pass',
      'my-truncate-idle 0based@v6.15 pass',
    ]);
    const policy = createZeroBasedPolicy({ variant: 'v6.15' });
    await expect(runMatrix({ policies: [policy as never], scenarios: ['truncate-idle'] })).rejects.toThrow(
      /a Policy object was given to runMatrix; pass a factory/,
    );
    await expect(
      runMatrix({ policies: [() => createZeroBasedPolicy()], scenarios: ['truncate-idle'], workers: 2 }),
    ).rejects.toThrow(/workers > 1 load policies and scenarios by module URL; pass a ModuleRef/);
  });
});

describe('inconclusive cells', () => {
  it('count as unexpected, with or without an expectation, and show as ?? with their reason', () => {
    const cell = {
      scenario: 'x',
      policy: 'p@v',
      verdict: 'inconclusive' as const,
      reason: 'step budget of 10 reached with spin#1 still runnable',
      violations: [],
      steps: 10,
      schedulesExplored: 1,
      ms: 0,
    };
    expect(unexpected(cell)).toBe(true);
    expect(unexpected({ ...cell, expected: 'pass' })).toBe(true);
  });
});
