import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { failureLine, resolvePolicies, runBench } from '../src/index';

const counts = { atomics: 0, percpu: 0, branches: 0, cachelines: 0, wakes: 0, pgmapLookups: 0 };

/** A stand-in dist: children that print fixed samples, and fail like Node does for one policy. */
function fakeDist(failing: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'daxref-dist-'));
  const raw = (op: string, ns: number, control = false) => ({
    op,
    params: {},
    samples: [ns, ns, ns],
    counts,
    control,
  });
  writeFileSync(
    join(dir, 'hotpath-child.js'),
    `const cfg = JSON.parse(process.argv[2]);
if (cfg.policy === ${JSON.stringify(failing)}) {
  process.stderr.write('file:///x/hotpath-child.js:12\\n  throw e;\\n  ^\\n\\nError: gup-fast under ' + cfg.policy + ' failed validation: refcount 0\\n    at main (file:///x.js:1:1)\\n\\nNode.js v20.20.2\\n');
  process.exit(1);
}
const own = cfg.policy === 'none' || cfg.policy === 'floor' ? [] : [${JSON.stringify(raw('get-put-normal', 30, true))}];
process.stdout.write(JSON.stringify([${JSON.stringify(raw('get-put-normal', 33))}, ...own]));`,
  );
  writeFileSync(
    join(dir, 'scale-child.js'),
    `process.stdout.write(JSON.stringify({ pages: 1, bytesPerPage: 20, instantiateMs: 0 }));`,
  );
  return dir;
}

describe('runBench', () => {
  it('before any build, names the missing dist and the fix instead of a child stack', async () => {
    const policies = await resolvePolicies(['0based']);
    const empty = mkdtempSync(join(tmpdir(), 'daxref-nodist-'));
    expect(() => runBench({ policies, quick: true, distDir: empty })).toThrow(
      /hotpath-child\.js is missing: run `pnpm build` first/,
    );
  });

  it('keeps every other policy when one fails, records why (its error line, not the Node banner)', async () => {
    const policies = await resolvePolicies(['0based@all']);
    const b = runBench({ policies, quick: true, distDir: fakeDist('0based@ralph-rfc'), ratios: false });
    expect(b.failed).toEqual([
      {
        policy: '0based@ralph-rfc',
        error: 'Error: gup-fast under 0based@ralph-rfc failed validation: refcount 0',
      },
    ]);
    const measured = new Set(b.cases.map((c) => c.policy));
    expect([...measured].sort()).toEqual(
      [
        '0based@dan-2022',
        '0based@dan-2022-pin-only',
        '0based@v6.15',
        '0based@v6.15-rc1',
        'floor',
        'none',
      ].sort(),
    );
    // Each ratio says what it divides by.
    expect(b.cases.find((c) => c.policy === 'none')!.ratioTo).toBe('baseline');
    const v615 = b.cases.find((c) => c.policy === '0based@v6.15')!;
    expect(v615.ratioTo).toBe('paired-control');
    expect(v615.baselineRatio).toBeCloseTo(33 / 30);
  });

  it('failureLine picks the error, not the closing Node.js banner', () => {
    expect(failureLine('x\n  ^\n\nTypeError: boom\n    at f (a.js:1:1)\n\nNode.js v20.20.2\n', 1)).toBe(
      'TypeError: boom',
    );
    expect(failureLine('', 3)).toBe('exit code 3');
  });
});
