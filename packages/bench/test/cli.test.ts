import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..');
function daxref(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=@daxref/source', join(root, 'packages/bench/src/cli.ts'), ...args],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// Each test spawns several CLI processes (tsx from source); on a 2-core machine shared with other
// work one start-up took up to 15 s, so these tests get a wide timeout (speed is not measured here).
describe('daxref CLI', () => {
  it('bad input is one line naming the valid choices, exit code 2, and no output file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'daxref-'));
    const json = join(dir, 'm.json');
    const cases: [string[], RegExp][] = [
      [
        ['check', '--policy', '2based', '--json', json],
        /unknown policy '2based'; valid: 1based, 0based, coarse-pin/,
      ],
      [
        ['check', '--policy', '1based@v9', '--json', json],
        /unknown variant 'v9' of 1based; valid: 1based@v4.5/,
      ],
      [
        ['check', '--scenario', 'nope', '--json', json],
        /unknown scenario 'nope'; valid: unpin-missed-wakeup/,
      ],
      [['check', '--strategy', 'bfs', '--json', json], /unknown strategy 'bfs'; valid: random, pct, dfs/],
      [['check', '--budget', '-3', '--json', json], /--budget must be an integer >= 1/],
      [
        ['trace', 'unpin-missed-wakeup', '--policy', '1based', '--schedule', 'xyz'],
        /invalid schedule token 'xyz'/,
      ],
      [
        ['check', '--scenario', 'truncate-idle', '--policy', '0based', '--json', '/proc/nope/m.json'],
        /cannot write \/proc\/nope\/m.json/,
      ],
    ];
    for (const [args, msg] of cases) {
      const r = daxref(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n').length, r.err).toBe(1);
      expect(r.err).toMatch(msg);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(json)).toBe(false);
  }, 180_000);

  it('check writes the matrix and prints it; trace replays a cell to its violation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'daxref-'));
    const json = join(dir, 'm.json');
    const r = daxref(
      'check',
      '--scenario',
      'unpin-missed-wakeup',
      '--policy',
      '1based@v5.19-rc1',
      '--policy',
      '1based@v6.14',
      '--json',
      json,
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/unpin-missed-wakeup\s+WAKE\s+ok/);
    const m = JSON.parse(readFileSync(json, 'utf8'));
    const cell = m.cells.find((c: { policy: string }) => c.policy === '1based@v5.19-rc1');
    const t = daxref(
      'trace',
      'unpin-missed-wakeup',
      '--policy',
      '1based@v5.19-rc1',
      '--schedule',
      cell.schedule,
    );
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/!!.*missed-wakeup/);
    const chrome = daxref(
      'trace',
      'unpin-missed-wakeup',
      '--policy',
      '1based@v5.19-rc1',
      '--schedule',
      cell.schedule,
      '--format',
      'chrome',
      '--out',
      join(dir, 't.json'),
    );
    expect(chrome.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')).traceEvents.length).toBeGreaterThan(5);
  }, 180_000);

  it('report turns a matrix written by check into a page with the counterexample timeline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'daxref-'));
    const json = join(dir, 'matrix.json');
    const r = daxref(
      'check',
      '--scenario',
      'unpin-missed-wakeup',
      '--policy',
      '1based@v5.19-rc1',
      '--policy',
      '1based@v6.14',
      '--json',
      json,
    );
    expect(r.code).toBe(0);
    const cell = JSON.parse(readFileSync(json, 'utf8')).cells.find(
      (c: { policy: string }) => c.policy === '1based@v5.19-rc1',
    );
    const out = join(dir, 'report', 'index.html');
    const rep = daxref('report', '--in', dir, '--out', out);
    expect(rep.code, rep.err).toBe(0);
    expect(rep.out).toContain(`report: ${out}`);
    expect(rep.out).toMatch(/matrix: 1 scenarios × 2 variants = 2 cells \(1 fail, 1 pass\)/);
    expect(rep.out).toMatch(/left out: bench\.json not found/);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('data-testid="timeline"');
    expect(html).toContain(`--schedule ${cell.schedule}`);
  }, 180_000);

  it('report: a missing or malformed matrix.json is one line, exit 2, nothing written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'daxref-'));
    const out = join(dir, 'r', 'index.html');
    const missing = daxref('report', '--in', dir, '--out', out);
    expect(missing.code).toBe(2);
    expect(missing.err.trim().split('\n')).toHaveLength(1);
    expect(missing.err).toMatch(/^daxref: report: .*matrix\.json not found/);
    writeFileSync(join(dir, 'matrix.json'), '{"schema":"daxref.matrix/9"}');
    const bad = daxref('report', '--in', dir, '--out', out);
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toMatch(/matrix\.json: schema is "daxref.matrix\/9"/);
    expect(existsSync(out)).toBe(false);
  }, 180_000);
});
