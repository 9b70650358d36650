import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..');
function daxref(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=@daxref/source', join(root, 'packages/cli/src/cli.ts'), ...args],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

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
  }, 60_000);

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
  }, 60_000);
});
