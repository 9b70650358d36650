import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CATALOGUE,
  KERNEL_VARIANTS,
  kernelVariantRow,
  REAL_KERNEL,
  REAL_KERNEL_RUN_IDS,
  resolvePolicies,
  scenarioOfRun,
} from '@daxref/bench';
import type { TestOutcome } from '@daxref/kernel-oracle';
import { afterAll, describe, expect, it } from 'vitest';
import {
  compare,
  formatOracle,
  modelOf,
  type OracleFile,
  planBoots,
  selectRuns,
} from '../src/commands/oracle';

const root = join(__dirname, '..', '..', '..');
const temps: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'daxref-oracle-test-'));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function daxref(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=@daxref/source', join(root, 'packages/cli/src/cli.ts'), ...args],
    { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('kernel version → model variant', () => {
  it('maps the kernels the oracle boots to the variants that describe them', () => {
    expect(kernelVariantRow('6.1.176')?.variant).toBe('1based@v6.1');
    expect(kernelVariantRow('6.12.95')?.variant).toBe('1based@v6.14');
    expect(kernelVariantRow('6.18.15')?.variant).toBe('0based@v6.15');
    expect(kernelVariantRow('7.3.4+deb13-amd64')?.variant).toBe('0based@v6.15');
    expect(kernelVariantRow('4.4.0')).toBeUndefined();
    expect(kernelVariantRow('banana')).toBeUndefined();
  });

  it('is cited, and names only variants that exist', async () => {
    for (const r of KERNEL_VARIANTS) expect(r.why.length).toBeGreaterThan(20);
    const ids = [...new Set(KERNEL_VARIANTS.map((r) => r.variant))];
    expect((await resolvePolicies(ids)).map((p) => p.id)).toEqual(ids);
  });
});

describe('real-kernel declarations', () => {
  const guest = readFileSync(join(root, 'packages/kernel-oracle/guest/daxtest.c'), 'utf8');

  it('every catalogue scenario declares its runs or why user space cannot drive it', () => {
    expect(Object.keys(REAL_KERNEL).sort()).toEqual(CATALOGUE.map((e) => e.scenario.id).sort());
    for (const [id, d] of Object.entries(REAL_KERNEL)) {
      if (d.runs.length === 0) expect(d.why, id).toBeTruthy();
    }
  });

  it('run ids are unique and each run is a daxtest subcommand', () => {
    expect(new Set(REAL_KERNEL_RUN_IDS).size).toBe(REAL_KERNEL_RUN_IDS.length);
    for (const d of Object.values(REAL_KERNEL)) {
      for (const r of d.runs) {
        expect(guest.includes(`"${r.test}"`), r.test).toBe(true);
        expect(scenarioOfRun(r.id)).not.toBeNull();
      }
    }
  });

  it('selects by scenario or run id, with one-line errors otherwise', () => {
    expect(selectRuns(['reflink-truncate-refault']).map((r) => r.id)).toEqual(['reflink-truncate-refault']);
    expect(selectRuns(['unbind-while-mapped-no-rmapbt']).map((r) => r.rmapbt)).toEqual([false]);
    expect(selectRuns(['unbind-while-mapped-rmapbt']).map((r) => r.rmapbt)).toEqual([true]);
    expect(() => selectRuns(['gup-on-zero-ref'])).toThrow(/does not run on a real kernel: needs a GUP/);
    expect(() => selectRuns(['nope'])).toThrow(
      /unknown real-kernel scenario 'nope'; valid: .*truncate-during-dma/,
    );
  });

  it('plans one shared boot (unbinding runs last) and a boot per run that needs its own', () => {
    const plans = planBoots(selectRuns([]));
    const main = plans[0]!;
    expect(main.name).toBe('main');
    expect(main.rmapbt).toBe(false);
    expect(main.tests.at(-1)!.id).toBe('fork-split-vma');
    const own = plans.slice(1);
    expect(own.map((p) => p.name).sort()).toEqual([
      'unbind-while-mapped-no-rmapbt',
      'unbind-while-mapped-rmapbt',
      'unbind-while-pinned',
    ]);
    expect(own.find((p) => p.name === 'unbind-while-mapped-rmapbt')!.rmapbt).toBe(true);
    expect(own.every((p) => p.tests.length === 1)).toBe(true);
  });
});

describe('result mapping', () => {
  const outcome = (verdict: TestOutcome['real']['verdict'], kinds: string[] = []): TestOutcome => ({
    id: 'truncate-during-dma',
    boot: 'main',
    real: { verdict, kinds, summary: '' },
    evidence: ['DAXTEST RESULT ...'],
    tries: 1,
    ms: 5000,
  });
  const cell = (verdict: 'pass' | 'fail', kinds: string[] = []) => ({
    scenario: 'truncate-during-dma',
    policy: '1based@v6.14',
    verdict,
    violations: kinds.map((kind) => ({ kind, message: '', step: 0 })),
    steps: 1,
    schedulesExplored: 1,
    ms: 1,
  });

  it('marks agreement and disagreement on pass/fail, and leaves inconclusive or n/a uncompared', () => {
    const m = modelOf(cell('pass') as never, '1based@v6.14');
    expect(compare(outcome('pass'), 'truncate-during-dma', m)).toMatchObject({
      agree: true,
      comparable: true,
    });
    const d = compare(outcome('fail', ['missed-wakeup']), 'truncate-during-dma', m);
    expect(d).toMatchObject({ agree: false, comparable: true, real: { kinds: ['missed-wakeup'] } });
    expect(compare(outcome('inconclusive'), 'truncate-during-dma', m)).toMatchObject({
      agree: false,
      comparable: false,
    });
    expect(compare(outcome('pass'), 'truncate-during-dma', modelOf(undefined, null))).toMatchObject({
      model: { verdict: 'n/a', policy: null },
      comparable: false,
    });
    const f = modelOf(cell('fail', ['dma-corruption', 'warn', 'warn']) as never, '1based@v6.14');
    expect(f.kinds).toEqual(['dma-corruption', 'warn']);
  });

  it("carries the catalogue's reason for a disagreement it explains, and only for a disagreement", () => {
    const m = modelOf(cell('pass') as never, '1based@v6.14');
    const why = 'the one-shot WARN was spent earlier in the same boot';
    expect(compare(outcome('fail', ['warn']), 'reflink-cow', m, why).explained).toBe(why);
    expect(compare(outcome('pass'), 'reflink-cow', m, why).explained).toBeUndefined();
    expect(compare(outcome('fail', ['warn']), 'reflink-cow', m).explained).toBeUndefined();
    const text = formatOracle({
      ...sampleOracle(),
      kernels: [
        {
          ...sampleOracle().kernels[0]!,
          scenarios: [compare(outcome('fail', ['warn']), 'reflink-cow', m, why)],
        },
      ],
    });
    expect(text).toContain(`explained by the catalogue: ${why}`);
    expect(text).toMatch(/1 disagree \(✘; 1 of them explained by the catalogue\)/);
  });
});

function sampleOracle(): OracleFile {
  return {
    schema: 'daxref.oracle/1',
    generatedAt: '2026-12-01T00:00:00.000Z',
    tool: { version: '0.1.0' },
    kernels: [
      {
        spec: '6.1',
        package: 'linux-image-6.1.0-50-amd64-unsigned',
        release: '6.1.0-50-amd64',
        version: '6.1.176',
        variant: '1based@v6.14',
        variantCite: 'x',
        bootMs: 70000,
        status: 'ok',
        boots: [{ name: 'main', rmapbt: false, ms: 70000, status: 'ok', end: 'poweroff', readyUptime: 7 }],
        scenarios: [
          {
            scenario: 'truncate-during-dma',
            catalogue: 'truncate-during-dma',
            real: { verdict: 'fail', kinds: ['missed-wakeup'], summary: '' },
            evidence: [],
            model: { policy: '1based@v6.14', verdict: 'pass', kinds: [] },
            agree: false,
            comparable: true,
            tries: 1,
            ms: 16000,
            boot: 'main',
          },
        ],
      },
    ],
  };
}

describe('daxref oracle and check --oracle', () => {
  it('formats real beside model and marks the disagreement', () => {
    const t = formatOracle(sampleOracle());
    expect(t).toMatch(/✘ truncate-during-dma\s+real missed-wakeup\s+model pass/);
    expect(t).toContain('main 70.0 s');
    expect(t).toContain('1 runs: 0 agree with the model, 1 disagree');
  });

  it('bad input is one line, exit 2, no output file', () => {
    const dir = tempDir();
    const json = join(dir, 'o.json');
    const cases: [string[], RegExp][] = [
      [['oracle', '--kernel', 'banana', '--json', json], /unknown kernel spec 'banana'; valid: a series/],
      [['oracle', '--kernel', join(dir, 'bzImage'), '--json', json], /bzImage '.*' does not exist/],
      [['oracle', '--scenario', 'tlb-gather-window', '--json', json], /does not run on a real kernel/],
      [['oracle', '--modules', dir, '--kernel', '6.1', '--json', json], /--modules goes with a bzImage/],
      [
        ['check', '--oracle', join(dir, 'missing.json'), '--json', json],
        /cannot read .*missing.json: ENOENT/,
      ],
    ];
    for (const [args, re] of cases) {
      const r = daxref(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(existsSync(json)).toBe(false);
    }
  });

  it('check --oracle shows the real verdict beside this matrix cell', () => {
    const dir = tempDir();
    const o = join(dir, 'oracle.json');
    writeFileSync(o, JSON.stringify(sampleOracle()));
    const r = daxref(
      'check',
      '--scenario',
      'truncate-during-dma',
      '--policy',
      '1based@v6.14',
      '--oracle',
      o,
      '--json',
      join(dir, 'm.json'),
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/6\.1\.0-50-amd64 → 1based@v6\.14/);
    expect(r.out).toMatch(/truncate-during-dma\s+real missed-wakeup\s+model pass ✘/);
  });
});
