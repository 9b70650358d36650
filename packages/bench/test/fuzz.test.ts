import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exploreWorkload } from '../src/fuzz/explore';
import {
  classify,
  comparableFuzz,
  DEFAULT_GENERATOR,
  decodeWorkload,
  encodeWorkload,
  type FuzzFile,
  fuzzScenario,
  generateWorkload,
  mergeFuzz,
  resolvePolicies,
  runFuzz,
  scenarioSource,
  shardIndices,
  traceScenario,
} from '../src/index';

const root = join(__dirname, '..', '..', '..');
function daxref(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=@daxref/source', join(root, 'packages/cli/src/cli.ts'), ...args],
    { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// Small and quick, but with findings (the v5.19-rc1 lost wake among them).
const SMALL = {
  policies: ['1based@v5.19-rc1', '0based@v6.15'],
  runs: 16,
  seed: 7,
  explore: { budget: 16, bound: 2 },
  shrinkTries: 20,
};
// One process's result, computed once and shared by the tests that compare against it.
let oneRun: Promise<FuzzFile> | null = null;
const one = () => {
  oneRun ??= runFuzz(SMALL);
  return oneRun;
};
// These explore hundreds of schedules; on a loaded shared machine that can take a while.
const SLOW = 180_000;

const same = (a: FuzzFile, b: FuzzFile) =>
  JSON.stringify(comparableFuzz(a)) === JSON.stringify(comparableFuzz(b));

describe('fuzz workload generator', () => {
  it('is a function of (settings, seed, index): same draw twice, different draws for other indices', () => {
    const a = Array.from({ length: 50 }, (_, i) =>
      encodeWorkload(generateWorkload(DEFAULT_GENERATOR, 3, i).value.value),
    );
    const b = Array.from({ length: 50 }, (_, i) =>
      encodeWorkload(generateWorkload(DEFAULT_GENERATOR, 3, i).value.value),
    );
    expect(a).toEqual(b);
    expect(new Set(a).size).toBeGreaterThan(40);
    const c = encodeWorkload(generateWorkload(DEFAULT_GENERATOR, 4, 0).value.value);
    expect(
      Array.from({ length: 5 }, (_, i) =>
        encodeWorkload(generateWorkload(DEFAULT_GENERATOR, 4, i).value.value),
      ),
    ).toContain(c);
  });

  it('encodes every workload as a fuzz:… id that decodes to the same workload', () => {
    for (let i = 0; i < 300; i++) {
      const w = generateWorkload(DEFAULT_GENERATOR, 11, i).value.value;
      expect(decodeWorkload(encodeWorkload(w))).toEqual(w);
    }
  });

  it('draws well-formed workloads: references balanced per task, none held over a file operation', () => {
    for (let i = 0; i < 300; i++) {
      const w = generateWorkload({ tasks: [1, 4], ops: 12, files: [1, 3] }, 5, i).value.value;
      expect(w.tasks.length).toBeLessThanOrEqual(4);
      let unbinds = 0;
      for (const ops of w.tasks) {
        let held = 0;
        for (const o of ops) {
          if (o.op === 'get' || o.op === 'pin') held++;
          if (o.op === 'put' || o.op === 'dma') expect(held).toBeGreaterThan(0);
          if (o.op === 'put') held--;
          if (['write', 'trunc', 'punch', 'reflink', 'unbind'].includes(o.op)) expect(held).toBe(0);
          if (o.op === 'unbind') unbinds++;
          if (o.f !== undefined) expect(o.f).toBeLessThan(w.files);
          if (o.op === 'reflink') expect(o.g).not.toBe(o.f);
        }
        expect(held).toBe(0);
      }
      expect(unbinds).toBeLessThanOrEqual(1);
    }
  });

  it('prints a pasteable scenario that builds the same workload', () => {
    for (let i = 0; i < 40; i++) {
      const w = generateWorkload(DEFAULT_GENERATOR, 2, i).value.value;
      const src = scenarioSource(w, 'mine');
      expect(src).toContain("import { fuzzScenario } from '@daxref/bench';");
      // evaluate the object literal passed to fuzzScenario
      const literal = src.slice(src.indexOf('fuzzScenario(') + 'fuzzScenario('.length, src.lastIndexOf(');'));
      const back = new Function(`return (${literal});`)() as typeof w;
      expect(fuzzScenario(back).id).toBe(encodeWorkload(w));
    }
  });

  it('rejects a malformed workload id with one line naming the form', () => {
    for (const bad of ['fuzz:', 'fuzz:0:dma', 'fuzz:1:pin3.0', 'fuzz:1:pin0.0,jump', 'fuzz:2:pin0.5']) {
      expect(() => decodeWorkload(bad)).toThrow(/malformed fuzz workload .*expected fuzz:<files>/);
    }
  });
});

describe('daxref fuzz', () => {
  it('finds the v5.19-rc1 lost wake, shrinks it to its mechanism, labels it, and trace replays it', {
    timeout: SLOW,
  }, async () => {
    const f = await one();
    expect(f.stats.workloads).toBe(16);
    const mw = f.findings.find((x) => x.kind === 'missed-wakeup');
    expect(mw?.policies).toEqual(['1based@v5.19-rc1']);
    expect(mw?.catalogue).toBe('unpin-missed-wakeup');
    // shrunk: a truncate and a pin with its release, and little else
    expect(mw!.ops.length).toBeLessThanOrEqual(4);
    expect(mw!.ops.some((o) => o.includes('trunc') || o.includes('punch'))).toBe(true);
    expect(mw!.ops.some((o) => o.includes('pin'))).toBe(true);
    for (const x of f.findings) {
      const policy = x.policies[0]!;
      const t = await traceScenario({ scenario: x.workload, policy, schedule: x.schedule });
      expect(t.result.violations.map((v) => v.kind as string).concat(t.result.verdict)).toContain(x.kind);
      expect(x.traceCommand).toContain(x.schedule);
    }
    // the other design passes that workload
    const [v615] = await resolvePolicies(['0based@v6.15']);
    expect(exploreWorkload(decodeWorkload(mw!.workload), v615!, SMALL.explore, 1).outcome).toBe('pass');
  });

  it('file operations on entries that outlived their device are use-after-free, not model errors', async () => {
    // found by the fuzzer: the busy scan, the layout wait and the disassociation read struct pages
    // that memunmap_pages() removed; 6.6+ shuts xfs down first, so truncate returns -EIO there
    const pre66 = await traceScenario({
      scenario: 'fuzz:1:fault0.0r,unbind,trunc0',
      policy: '1based@v5.19-rc1',
      schedule: 'd1.',
    });
    expect(pre66.result.verdict).toBe('fail');
    expect(pre66.result.violations.map((v) => v.kind as string)).toContain('use-after-free');
    expect(pre66.text).toMatch(/dax_disassociate_entry: struct page of pfn \d+ was removed/);
    const shutdown = await traceScenario({
      scenario: 'fuzz:1:unbind;pin0.0,put;trunc0',
      policy: '1based@v6.14',
      schedule: 'd1.AAMBBA',
    });
    expect(shutdown.result.verdict).not.toBe('error');
    for (const t of [pre66, shutdown]) expect(t.text).not.toMatch(/threw|outside every described range/);
  });

  it('shards partition the stream, and merging the shards gives exactly what one process writes', {
    timeout: SLOW,
  }, async () => {
    expect(shardIndices(10, { k: 2, n: 3 })).toEqual([1, 4, 7]);
    const whole = await one();
    expect(whole.findings.length).toBeGreaterThanOrEqual(2);
    const shards = await Promise.all([1, 2, 3].map((k) => runFuzz({ ...SMALL, shard: { k, n: 3 } })));
    expect(shards.map((s) => s.stats.workloads)).toEqual([6, 5, 5]);
    const merged = mergeFuzz([shards[2]!, shards[0]!, shards[1]!]);
    expect(merged.shard).toBeUndefined();
    expect(JSON.stringify(comparableFuzz(merged), null, 2)).toBe(
      JSON.stringify(comparableFuzz(whole), null, 2),
    );
    // a planted mismatch: one shard twice, or a shard of another seed
    expect(() => mergeFuzz([shards[0]!, shards[0]!, shards[1]!])).toThrow(/need shards 1..3 of 3 once each/);
    expect(() => mergeFuzz([{ ...shards[0]!, seed: 8 }, shards[1]!, shards[2]!])).toThrow(/'seed' differs/);
  });

  it('gives the same result with 1 and 2 worker threads', { timeout: SLOW }, async () => {
    const a = await one();
    const b = await runFuzz({ ...SMALL, workers: 2 });
    expect(b.stats.workers).toBe(2);
    expect(same(a, b)).toBe(true);
  });

  it('stops on the signal and keeps what it found, unshrunk', { timeout: SLOW }, async () => {
    const signal = { aborted: false };
    const f = await runFuzz({
      ...SMALL,
      signal,
      onProgress: (done) => {
        if (done === 5) signal.aborted = true;
      },
    });
    expect(f.interrupted).toBe(true);
    expect(f.stats.workloads).toBe(5);
    expect(f.findings.every((x) => !x.shrunk)).toBe(true);
    expect(() => mergeFuzz([f])).toThrow(/interrupted/);
  });
});

describe('fuzz classification', () => {
  it('labels a finding with the catalogue scenario whose mechanism it shows, and only then', () => {
    const w = decodeWorkload('fuzz:1:trunc0;pin0.0,put');
    expect(classify('missed-wakeup', ['1based@v5.19-rc1'], w)).toBe('unpin-missed-wakeup');
    expect(classify('missed-wakeup', ['1based@v4.18'], decodeWorkload('fuzz:1:trunc0;get0.0,put'))).toBe(
      'release-pages-put',
    );
    // the same kind without the truncate is not that mechanism
    expect(
      classify('missed-wakeup', ['1based@v5.19-rc1'], decodeWorkload('fuzz:1:write0.0;pin0.0,put')),
    ).toBeUndefined();
    // a hang with the refault shape is the 6.15 wait_page_idle() hang only under 6.15
    const h = decodeWorkload('fuzz:1:pin0.1,fault0.1r,put;trunc0');
    expect(classify('deadlock', ['0based@v6.15'], h)).toBe('reflink-truncate-refault');
    expect(classify('hang', ['0based@v6.15'], h)).toBe('reflink-truncate-refault');
    expect(classify('deadlock', ['1based@v6.14'], h)).toBeUndefined();
    expect(classify('some-new-kind', ['0based@v6.15'], h)).toBeUndefined();
  });
});

describe('daxref fuzz and merge CLI', () => {
  it('writes the fuzz file, merges shard files, and rejects bad input with one line and exit 2', {
    timeout: SLOW,
  }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'daxref-fuzz-'));
    const args = ['--policy', '1based@v5.19-rc1', '--runs', '4', '--budget', '10', '--shrink-tries', '5'];
    const s1 = daxref('fuzz', ...args, '--shard', '1/2', '--json', join(dir, 's1.json'));
    const s2 = daxref('fuzz', ...args, '--shard', '2/2', '--json', join(dir, 's2.json'));
    expect(s1.code).toBe(0);
    expect(s2.code).toBe(0);
    expect(s1.out).toMatch(/fuzz: 2 workloads \(shard 1\/2 of 4\)/);
    const m = daxref('merge', join(dir, 's1.json'), join(dir, 's2.json'), '--json', join(dir, 'm.json'));
    expect(m.code).toBe(0);
    const merged = JSON.parse(readFileSync(join(dir, 'm.json'), 'utf8')) as FuzzFile;
    expect(merged.schema).toBe('daxref.fuzz/1');
    expect(merged.stats.workloads).toBe(4);
    expect(merged.shard).toBeUndefined();
    writeFileSync(join(dir, 'junk.json'), '{"schema":"x"}');
    const cases: [string[], RegExp][] = [
      [
        ['fuzz', '--shard', '3/2', '--json', join(dir, 'x.json')],
        /--shard must be K\/N with 1 <= K <= N, got '3\/2'/,
      ],
      [['fuzz', '--tasks', '0-3', '--json', join(dir, 'x.json')], /--tasks must be N or LO-HI within 1-9/],
      [['fuzz', '--policy', 'nope', '--json', join(dir, 'x.json')], /unknown policy 'nope'/],
      [['merge', join(dir, 's1.json'), '--json', join(dir, 'x.json')], /need shards 1..2 of 2 once each/],
      [['merge', join(dir, 'junk.json'), '--json', join(dir, 'x.json')], /is not a daxref.fuzz\/1 file/],
      [
        ['merge', join(dir, 'missing.json'), '--json', join(dir, 'x.json')],
        /cannot read .*missing.json: ENOENT/,
      ],
      [['trace', 'fuzz:1:warp', '--policy', '0based'], /malformed fuzz workload 'fuzz:1:warp'/],
    ];
    for (const [argv, re] of cases) {
      const r = daxref(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(re);
    }
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
  });
});
