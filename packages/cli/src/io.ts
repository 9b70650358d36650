import { existsSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BenchError } from '@daxref/bench';

/** Writes `text` to `path` atomically (a temporary file, then rename): never a half-written file. */
export function writeAtomic(path: string, text: string): string {
  const abs = resolve(path);
  const tmp = `${abs}.tmp-${process.pid}`;
  try {
    makeDirs(dirname(abs));
    writeFileSync(tmp, text);
    renameSync(tmp, abs);
  } catch (e) {
    throw new BenchError(
      'IO',
      `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { cause: e },
    );
  }
  return abs;
}

/**
 * Checks before a long run that `path` can be written (its directories are created, a temporary
 * file is written and removed), so a bad `--json` fails at once instead of after the run.
 */
export function checkWritable(path: string): void {
  const abs = resolve(path);
  const tmp = `${abs}.tmp-${process.pid}`;
  try {
    makeDirs(dirname(abs));
    writeFileSync(tmp, '');
    unlinkSync(tmp);
  } catch (e) {
    throw new BenchError(
      'IO',
      `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { cause: e },
    );
  }
}

/** Creates missing directories one level at a time (a recursive mkdir can spin on procfs). */
function makeDirs(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeDirs(parent);
  mkdirSync(dir);
}

/** True when progress bars should be drawn: a terminal, and not CI. */
export function interactive(): boolean {
  return process.stderr.isTTY === true && !process.env.CI;
}
