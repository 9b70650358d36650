import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs helper of the workspace script, without types
import { stalePackage } from '../fresh.mjs';

function file(path: string, secondsAgo: number) {
  writeFileSync(path, 'x');
  const t = Date.now() / 1000 - secondsAgo;
  utimesSync(path, t, t);
}

describe('pnpm daxref runs the built CLI only when it is fresh', () => {
  it('finds a package whose dist is missing or older than its sources', () => {
    const root = mkdtempSync(join(tmpdir(), 'daxref-fresh-'));
    for (const p of ['a', 'b']) {
      mkdirSync(join(root, p, 'src', 'deep'), { recursive: true });
      mkdirSync(join(root, p, 'dist'));
      file(join(root, p, 'src', 'deep', 'x.ts'), 100);
      file(join(root, p, 'dist', 'index.js'), 50);
    }
    expect(stalePackage(root)).toBeNull();
    file(join(root, 'b', 'src', 'deep', 'x.ts'), 10); // edited after the build
    expect(stalePackage(root)).toBe('b');
    file(join(root, 'b', 'dist', 'index.js'), 0); // rebuilt
    expect(stalePackage(root)).toBeNull();
    mkdirSync(join(root, 'c', 'src'), { recursive: true }); // never built
    expect(stalePackage(root)).toBe('c');
  });
});
