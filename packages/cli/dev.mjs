#!/usr/bin/env node
// `pnpm daxref …` in the workspace. When every package's dist is newer than its sources, the
// built CLI runs in this process (well under a second); otherwise the sources run through tsx
// (3–7 s a call) and, on a terminal, a note says that `pnpm build` makes it fast.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stalePackage } from './fresh.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const stale = stalePackage(join(here, '..'));
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
    { stdio: 'inherit', cwd: process.cwd() },
  );
  process.exitCode = r.status ?? 1;
}
