// The docs cannot rot: every ```ts file=NAME block of the guides and READMEs is extracted into
// .docs-run/, type-checked, and run; the guides' policy and scenario appear in matrix JSON beside
// the shipped designs.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type MatrixFile, runMatrix } from '@daxref/bench';
import { derivePolicy, type ExploreResult, PG_DAX_SHARED } from '@daxref/core';
import { createZeroBasedPolicy } from '@daxref/policy-0based';
import { describe, expect, it } from 'vitest';
import { docBlocks, writeBlocks } from './doc-blocks';

const root = join(__dirname, '..', '..', '..');
const dir = join(__dirname, '..', '.docs-run');
const docs = [
  'docs/writing-a-policy.md',
  'docs/writing-a-scenario.md',
  'README.md',
  'packages/core/README.md',
  'packages/bench/README.md',
  'packages/policy-conformance/README.md',
  'packages/cli/README.md',
];
const blocks = docs.flatMap((d) => docBlocks(join(root, d)));
rmSync(dir, { recursive: true, force: true });
writeBlocks(dir, blocks);
const load = (file: string) => import(pathToFileURL(join(dir, file)).href);

// The guide's conformance test file registers its suite here, as it would in a user's project.
await load('my-policy.test.ts');
await load('conformance-readme.test.ts');

describe('the docs', () => {
  it('have their examples, and they type-check as a consumer would compile them', () => {
    const names = blocks.map((b) => b.file);
    for (const f of [
      'entry-ref-policy.ts',
      'run-policy.ts',
      'my-policy.test.ts',
      'two-pinners.ts',
      'run-scenario.ts',
      'readme-explore.ts',
      'core-readme-scenario.ts',
    ])
      expect(names).toContain(f);
    const tsc = spawnSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json'), '--noEmit'],
      {
        encoding: 'utf8',
      },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 120_000);

  it('writing-a-policy: the entry-reference design runs through the matrix beside the shipped ones (worker threads load it by URL)', async () => {
    const m = (await load('run-policy.ts')).default as MatrixFile;
    expect(m.policies.map((p) => p.id)).toEqual([
      '0based@v6.15',
      '1based@v6.14',
      'entry-ref@v6.15-entry-ref',
    ]);
    const mine = m.cells.filter((c) => c.policy === 'entry-ref@v6.15-entry-ref');
    expect(mine.map((c) => c.scenario)).toEqual(m.scenarios.map((s) => s.id));
    expect(m.cells.filter((c) => c.error !== undefined)).toEqual([]);
    // The entry's reference is taken and dropped in step: the workloads pass and truncate waits
    // for the pin (no corruption), and its unpin wakes the truncate (no missed wakeup).
    for (const c of mine)
      expect(`${c.scenario}: ${c.verdict} ${c.violations.map((v) => v.kind)}`).toBe(`${c.scenario}: pass `);
  }, 120_000);

  it('writing-a-policy: a planted defect (the entry reference never dropped) is caught', async () => {
    const base = createZeroBasedPolicy({ variant: 'v6.15' });
    const broken = () =>
      derivePolicy(base, {
        name: 'entry-ref-leak',
        variant: 'v1',
        variants: [
          {
            id: 'v1',
            description: 'takes the entry reference and never drops it',
            source: 'test',
            default: true,
          },
        ],
        daxAssociateEntry(k, t, mapping, index, pfn, order, shared) {
          const first = k.memmap.mapping(pfn) === 0 && (k.memmap.flags(pfn) & PG_DAX_SHARED) === 0;
          const r = base.daxAssociateEntry(k, t, mapping, index, pfn, order, shared);
          if (r === 0 && first) k.memmap.refAdd(pfn, 1);
          return r;
        },
      });
    const m = await runMatrix({ policies: [broken], scenarios: ['truncate-idle'] });
    expect(m.cells[0]!.verdict).toBe('fail');
  }, 60_000);

  it('writing-a-scenario: two-pinners runs beside the catalogue, with the verdicts the guide explains', async () => {
    const m = (await load('run-scenario.ts')).default as MatrixFile;
    expect(m.scenarios.map((s) => s.id)).toEqual(['unpin-missed-wakeup', 'two-pinners']);
    expect(m.cells.filter((c) => c.error !== undefined)).toEqual([]);
    const cell = (p: string) => m.cells.find((c) => c.scenario === 'two-pinners' && c.policy === p)!;
    // v4.5 has no break_layouts: truncate frees the block under the DMA; v5.19-rc1 loses the
    // last unpin's wake (d8ddc099c6b3), as in the catalogue's unpin-missed-wakeup.
    expect(cell('1based@v4.5').violations.map((v) => v.kind)).toContain('use-after-free');
    expect(cell('1based@v5.19-rc1').violations.map((v) => v.kind)).toContain('missed-wakeup');
    for (const p of ['1based@v6.14', 'coarse-pin@block']) expect(cell(p).verdict, p).toBe('pass');
    // 6.15: the second pinner's GUP refaults the page while truncate sleeps in wait_page_idle(),
    // and the new mapping's reference keeps the count from reaching 0: a hang.
    expect(cell('0based@v6.15').verdict).toBe('fail');
    expect(
      cell('0based@v6.15')
        .violations.map((v) => v.kind)
        .join(),
    ).toMatch(/deadlock|hang/);
    // The failing cell's token is bound to it and replays through trace.
    expect(cell('1based@v4.5').schedule).toMatch(/^d1\..*~[0-9a-z]{7}$/);
  }, 120_000);

  it('the READMEs: the root example finds the v5.19-rc1 missed wakeup; the core one passes under 6.15; the bench one runs its matrix; the CLI one lists', async () => {
    const root = (await load('readme-explore.ts')).result as ExploreResult;
    expect(root.verdict).toBe('fail');
    expect(root.violations.map((v) => v.kind)).toContain('missed-wakeup');
    const core = (await load('core-readme-scenario.ts')).result as ExploreResult;
    expect(core.verdict).toBe('pass');
    expect(core.exhausted).toBe(true);
    expect((await load('cli-readme.ts')).code).toBe(0);
    const bench = (await load('bench-readme.ts')).matrix as MatrixFile;
    expect(bench.cells).toHaveLength(2 * 6); // two scenarios × (five 1-based variants + 0based@v6.15)
    expect(
      bench.cells.find((c) => c.policy === '1based@v5.19-rc1' && c.scenario === 'unpin-missed-wakeup')!
        .verdict,
    ).toBe('fail');
  }, 60_000);
});
