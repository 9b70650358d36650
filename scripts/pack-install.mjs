#!/usr/bin/env node
// The pack-and-install test (.ci/run, after the build): daxref as a user gets it from npm.
//  1. pack every public package (pnpm rewrites workspace: ranges), lint each tarball with
//     publint --strict and @arethetypeswrong/cli (ESM-only profile);
//  2. install the tarballs with plain npm into a fresh temporary project;
//  3. import each package under Node ESM;
//  4. type-check a consumer with moduleResolution nodenext;
//  5. run the docs' custom policy and scenario (extracted from docs/*.md, transpiled to plain
//     JavaScript) through runMatrix, with worker threads, and through the installed
//     `daxref check --policy ./file.js --scenario ./file.js`; run the installed `daxref list`.
// Exits non-zero with the failing step's output on any failure.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const keep = process.argv.includes('--keep');

function step(what, cmd, args, opts = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0) {
    process.stderr.write(
      `pack-install: ${what} failed (exit ${r.status})\n${r.stdout ?? ''}${r.stderr ?? ''}\n`,
    );
    process.exit(1);
  }
  console.log(`ok   ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return r.stdout;
}

function check(what, cond, detail) {
  if (!cond) {
    process.stderr.write(`pack-install: ${what} failed: ${detail}\n`);
    process.exit(1);
  }
  console.log(`ok   ${what}`);
}

const work = mkdtempSync(join(tmpdir(), 'daxref-pack-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
mkdirSync(project);

// 1. Pack and lint.
const publicPackages = ['packages', 'apps']
  .flatMap((top) => readdirSync(join(root, top)).map((d) => join(root, top, d)))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => p.pkg.private !== true);
step('pnpm -r pack', 'npx', ['-y', 'pnpm@10', '-r', 'pack', '--pack-destination', tarballs], { cwd: root });
const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz'));
check(
  `one tarball per public package (${publicPackages.length})`,
  files.length === publicPackages.length,
  files.join(', '),
);
for (const f of files) {
  const out = join(tarballs, f.replace(/\.tgz$/, ''));
  mkdirSync(out);
  execFileSync('tar', ['xzf', join(tarballs, f), '-C', out]);
  const pkg = JSON.parse(readFileSync(join(out, 'package', 'package.json'), 'utf8'));
  check(`${pkg.name}: no workspace: ranges`, !JSON.stringify(pkg).includes('workspace:'), 'found one');
  check(
    `${pkg.name}: sideEffects false, files, exports with types`,
    pkg.sideEffects === false && Array.isArray(pkg.files) && pkg.exports?.['.']?.types !== undefined,
    JSON.stringify(pkg.exports),
  );
  step(
    `publint --strict ${pkg.name}`,
    process.execPath,
    [join(root, 'node_modules', 'publint', 'src', 'cli.js'), '--pack', 'false', '--strict'],
    {
      cwd: join(out, 'package'),
    },
  );
  step(`attw ${pkg.name}`, bin('attw'), [join(tarballs, f), '--profile', 'esm-only', '--format', 'ascii'], {
    cwd: work,
  });
}

// 2. Install with plain npm.
writeFileSync(
  join(project, 'package.json'),
  `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`,
);
step(
  'npm install the tarballs',
  'npm',
  [
    'install',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    ...files.map((f) => join(tarballs, f)),
    '@types/node@20',
  ],
  { cwd: project },
);

// 3. Import each package under Node ESM.
const imports = {
  '@daxref/core': ['explore', 'derivePolicy', 'createKernel'],
  '@daxref/hw-pmem': ['bindNamespace', 'createNvdimmBus'],
  '@daxref/policy-1based': ['createOneBasedPolicy'],
  '@daxref/policy-0based': ['createZeroBasedPolicy'],
  '@daxref/policy-coarse-pin': ['createCoarsePinPolicy'],
  '@daxref/policy-conformance': ['runConformance'],
  '@daxref/bench': ['runMatrix', 'runCell', 'traceScenario', 'CATALOGUE', 'daxWorld', 'mapFile', 'runBench'],
  daxref: ['run', 'COMMANDS'],
};
writeFileSync(
  join(project, 'imports.mjs'),
  `const want = ${JSON.stringify(imports)};
for (const [name, names] of Object.entries(want)) {
  const m = await import(name);
  for (const n of names) if (m[n] === undefined) throw new Error(name + ' does not export ' + n);
}
for (const internal of ['@daxref/core/internal/x', '@daxref/bench/internal/x', '@daxref/bench/dist/index.js']) {
  let reached = true;
  try { await import(internal); } catch (e) { reached = e.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED' ? e : false; }
  if (reached !== false) throw new Error(internal + ' is reachable: ' + reached);
}
console.log('imported ' + Object.keys(want).length + ' packages');
`,
);
step('import every package under Node ESM; internals unreachable', process.execPath, ['imports.mjs'], {
  cwd: project,
});

// 4. The docs' policy and scenario, transpiled as a JavaScript user would write them; a typed consumer.
const ts = require('typescript');
const blocks = {};
for (const doc of ['docs/writing-a-policy.md', 'docs/writing-a-scenario.md']) {
  const text = readFileSync(join(root, doc), 'utf8');
  for (const m of text.matchAll(/^```ts file=(\S+)\n([\s\S]*?)^```$/gm)) blocks[m[1]] = m[2];
}
for (const name of ['entry-ref-policy.ts', 'two-pinners.ts']) {
  const js = ts.transpileModule(blocks[name], {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: false,
    },
  }).outputText;
  writeFileSync(join(project, name.replace(/\.ts$/, '.js')), js);
}
writeFileSync(
  join(project, 'consumer.ts'),
  `import { type MatrixFile, runMatrix, daxWorld, mapFile, fullTeardown, type DaxWorld, type Mapping } from '@daxref/bench';
import { derivePolicy, type Policy, type Scenario, FOLL_WRITE, pinUserPagesFast, unpinUserPages } from '@daxref/core';
import { createZeroBasedPolicy } from '@daxref/policy-0based';
import { runConformance } from '@daxref/policy-conformance';
import { run } from 'daxref';

const mine = (): Policy =>
  derivePolicy(createZeroBasedPolicy({ variant: 'v6.15' }), {
    name: 'mine', variant: 'v1', variants: [{ id: 'v1', description: 'a copy', source: 'consumer', default: true }],
  });
interface Ctx { w: DaxWorld; m: Mapping }
const scenario: Scenario<Ctx> = {
  id: 'mine', title: 'pin and truncate', source: 'consumer',
  setup(k) { const w = daxWorld(k); return { w, m: mapFile(w, 'f', 1) }; },
  tasks: [
    { name: 'pin', *body(k, t, c) { const r = yield* pinUserPagesFast(k, t, c.m.mm, c.m.addr, 1, FOLL_WRITE); if (r.err === 0) unpinUserPages(k, t, r.pfns); } },
    { name: 'truncate', body: (k, t, c) => c.w.fs.truncate(k, t, c.m.file, 0) },
  ],
  teardown: (k, t, c) => fullTeardown(k, t, c.w, [c.m.mm], [c.m.file]),
};
export const matrix: Promise<MatrixFile> = runMatrix({ policies: [mine, '0based'], scenarios: [scenario, 'truncate-idle'] });
export const conformance: typeof runConformance = runConformance;
export const code: Promise<number> = run(['node', 'daxref', 'list']);
`,
);
writeFileSync(
  join(project, 'tsconfig.json'),
  `${JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'], skipLibCheck: false }, files: ['consumer.ts'] }, null, 2)}\n`,
);
step(
  'type-check a consumer (moduleResolution nodenext, skipLibCheck false)',
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'],
  { cwd: project },
);

// 5. runMatrix with the user's modules, loaded by URL in worker threads.
writeFileSync(
  join(project, 'run-matrix.mjs'),
  `import { runMatrix } from '@daxref/bench';
const m = await runMatrix({
  policies: ['0based@v6.15', { module: new URL('./entry-ref-policy.js', import.meta.url).href, export: 'createEntryRefPolicy' }],
  scenarios: ['truncate-idle', { module: new URL('./two-pinners.js', import.meta.url).href, export: 'twoPinners' }],
  workers: 2,
});
const ids = m.cells.map((c) => c.scenario + ' x ' + c.policy + ' ' + c.verdict);
const want = ['truncate-idle x 0based@v6.15', 'truncate-idle x entry-ref@v6.15-entry-ref', 'two-pinners x 0based@v6.15', 'two-pinners x entry-ref@v6.15-entry-ref'];
for (const w of want) if (!ids.some((i) => i.startsWith(w + ' '))) throw new Error('missing cell ' + w + ' in ' + ids.join('; '));
const errs = m.cells.filter((c) => c.error !== undefined);
if (errs.length) throw new Error('cells errored: ' + JSON.stringify(errs));
console.log(ids.join('\\n'));
`,
);
console.log(
  step(
    'runMatrix: the docs policy and scenario beside the shipped ones (2 workers)',
    process.execPath,
    ['run-matrix.mjs'],
    { cwd: project },
  ).trim(),
);

const daxref = join(project, 'node_modules', '.bin', 'daxref');
step(
  'installed daxref check --policy ./entry-ref-policy.js --scenario ./two-pinners.js',
  daxref,
  [
    'check',
    '--policy',
    './entry-ref-policy.js',
    '--policy',
    '0based@v6.15',
    '--scenario',
    './two-pinners.js',
    '--scenario',
    'truncate-idle',
    '--workers',
    '2',
    '--json',
    'matrix.json',
  ],
  { cwd: project, env: { ...process.env, CI: 'true' } },
);
const m = JSON.parse(readFileSync(join(project, 'matrix.json'), 'utf8'));
check(
  'matrix.json has the user policy and scenario beside the shipped ones',
  m.policies.some((p) => p.id === 'entry-ref@v6.15-entry-ref') &&
    m.policies.some((p) => p.id === '0based@v6.15') &&
    m.scenarios.some((s) => s.id === 'two-pinners') &&
    m.cells.length === 4,
  JSON.stringify(m.cells.map((c) => [c.scenario, c.policy, c.verdict])),
);
const bad = spawnSync(daxref, ['check', '--policy', './two-pinners.js', '--scenario', 'truncate-idle'], {
  cwd: project,
  encoding: 'utf8',
  env: { ...process.env, CI: 'true' },
});
check(
  'installed daxref check refuses a module of the wrong shape in one line, exit 2',
  bad.status === 2 &&
    /does not export a policy factory/.test(bad.stderr) &&
    bad.stderr.trim().split('\n').length === 1,
  `${bad.status} ${bad.stderr}`,
);
const list = step('installed daxref list', daxref, ['list'], { cwd: project });
check(
  'daxref list shows the designs and the catalogue',
  /0based@v6\.15/.test(list) && /truncate-during-dma/.test(list),
  list,
);

if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
console.log('pack-and-install: all good');
