// Whether the workspace's built dist is fresh: `pnpm daxref` (dev.mjs) runs it only then.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * The first package under `packagesDir` whose `dist/index.js` is missing or older than a file of
 * its `src`, or null when every package's build is fresh.
 */
export function stalePackage(packagesDir) {
  for (const name of readdirSync(packagesDir).sort()) {
    const src = join(packagesDir, name, 'src');
    const built = join(packagesDir, name, 'dist', 'index.js');
    if (!existsSync(src)) continue;
    if (!existsSync(built) || statSync(built).mtimeMs < newest(src)) return name;
  }
  return null;
}
