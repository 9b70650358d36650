#!/usr/bin/env node
// `pnpm daxref …` in the workspace. When every package's dist is newer than its sources, the
// built CLI runs in this process (well under a second); otherwise the sources run through tsx
// (3–7 s a call) and, on a terminal, a note says that `pnpm build` makes it fast.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const packages = join(here, '..');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** The first package whose dist is missing or older than its sources, or null. */
export function stalePackage() {
  for (const name of readdirSync(packages)) {
    const src = join(packages, name, 'src');
    const built = join(packages, name, 'dist', 'index.js');
    if (!existsSync(src)) continue;
    if (!existsSync(built) || statSync(built).mtimeMs < newest(src)) return name;
  }
  return null;
}

const stale = stalePackage();
if (stale === null) {
  const { run } = await import(pathToFileURL(join(here, 'dist', 'index.js')).href);
  process.exitCode = await run(process.argv);
} else {
  if (process.stderr.isTTY)
    process.stderr.write(
      `(packages/${stale} has changed since the last build: running from source; \`pnpm build\` makes this fast)\n`,
    );
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=@daxref/source', join(here, 'src', 'cli.ts'), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exitCode = r.status ?? 1;
}
