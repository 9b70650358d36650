import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A code block of a markdown file marked ```ts file=NAME. */
export interface DocBlock {
  readonly doc: string;
  readonly file: string;
  readonly code: string;
}

/** The ```ts file=NAME blocks of a markdown file. */
export function docBlocks(path: string): DocBlock[] {
  const text = readFileSync(path, 'utf8');
  const out: DocBlock[] = [];
  const re = /^```ts file=(\S+)\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text))
    out.push({ doc: path, file: m[1]!, code: m[2]! });
  return out;
}

/** Writes blocks into `dir` (with a tsconfig that type-checks them as a consumer would). */
export function writeBlocks(dir: string, blocks: readonly DocBlock[]): void {
  mkdirSync(dir, { recursive: true });
  for (const b of blocks) writeFileSync(join(dir, b.file), b.code);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    `${JSON.stringify({ extends: '../../../tsconfig.base.json', include: ['*.ts'] }, null, 2)}\n`,
  );
}
