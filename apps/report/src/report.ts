import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CSS, SCRIPT } from './assets';
import { benchSection } from './bench-view';
import { counterexamplesSection, fuzzSection, oracleSection } from './cex-view';
import { ReportError } from './errors';
import { esc } from './html';
import { loadInputs, type ReportInputs } from './inputs';
import { isUnexpected, matrixSection } from './matrix-view';
import { disagreements, failureScenarios, summarySection, verdictCounts } from './summary-view';

function environmentSection(inputs: ReportInputs): string {
  const m = inputs.matrix;
  const env = inputs.bench?.env;
  const rows: [string, string][] = [
    ['daxref', m.tool?.version ?? '?'],
    [
      'matrix',
      `strategy ${m.strategy ?? '?'}, seed ${m.seed ?? '?'}, budget ${m.budget ?? '?'} schedules per cell; generated ${m.generatedAt ?? '?'}`,
    ],
  ];
  if (env) {
    rows.push(
      ['Node', env.node ?? '?'],
      ['V8', env.v8 ?? '?'],
      ['CPU', env.cpu ?? '?'],
      ['cores', String(env.cores ?? '?')],
      ['OS', env.os ?? '?'],
      ['benchmarks', `generated ${inputs.bench?.generatedAt ?? '?'}`],
    );
  }
  for (const k of inputs.oracle?.kernels ?? []) {
    rows.push([
      `kernel ${k.spec}`,
      [k.version, k.release, k.package, k.variant ? `model ${k.variant}` : ''].filter(Boolean).join(' · '),
    ]);
  }
  if (inputs.fuzz)
    rows.push([
      'fuzz',
      `seed ${inputs.fuzz.seed ?? '?'}, ${inputs.fuzz.runs ?? '?'} runs; generated ${inputs.fuzz.generatedAt ?? '?'}`,
    ]);
  return `<section id="environment"><h2>Environment</h2>
<table><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>
${env ? '' : '<p class="note">No bench.json: Node, V8 and CPU are recorded with the benchmarks.</p>'}</section>`;
}

function note(section: string, inputs: ReportInputs): string {
  const n = inputs.notes.find((x) => x.section === section);
  return n ? `<p class="note">Section left out: ${esc(n.message)}.</p>` : '';
}

/** Builds the whole report page from its inputs: one self-contained HTML document. */
export function renderReport(inputs: ReportInputs): string {
  const sections = [
    summarySection(inputs),
    matrixSection(inputs),
    counterexamplesSection(inputs),
    inputs.oracle ? oracleSection(inputs) : '',
    inputs.bench
      ? benchSection(inputs.bench)
      : `<section id="hotpath"><h2>Hot-path cost</h2>${note('bench', inputs)}</section>`,
    inputs.fuzz ? fuzzSection(inputs) : '',
    environmentSection(inputs),
  ];
  const links: [string, string][] = [
    ['summary', 'Summary'],
    ['matrix', 'Matrix'],
    ['counterexamples', 'Counterexamples'],
    ...(inputs.oracle ? [['oracle', 'Real kernels'] as [string, string]] : []),
    ['hotpath', 'Hot-path cost'],
    ...(inputs.fuzz ? [['fuzz', 'Fuzz findings'] as [string, string]] : []),
    ['environment', 'Environment'],
  ];
  const left = inputs.notes
    .filter((n) => n.section !== 'bench')
    .map((n) => `<p class="note">Section left out: ${esc(n.message)}.</p>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>daxref report</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>daxref: ZONE_DEVICE / FSDAX reference counting, checked</h1>
<p class="meta">daxref ${esc(inputs.matrix.tool?.version ?? '?')} · matrix generated ${esc(inputs.matrix.generatedAt ?? '?')} · ${inputs.matrix.policies.length} policy variants × ${inputs.matrix.scenarios.length} scenarios</p></header>
<nav class="toc" aria-label="Sections">${links.map(([id, t]) => `<a href="#${id}">${t}</a>`).join('')}</nav>
<main>
${sections.join('\n')}
${left.length ? `<section id="notes"><h2>Left out</h2>${left.join('')}</section>` : ''}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** Options of `writeReport`. */
export interface WriteReportOptions {
  /** The results directory (default `results`). */
  inDir?: string;
  /** The report file (default `report/index.html`). */
  outFile?: string;
}

/** What `writeReport` wrote, and a few lines to print about it. */
export interface WriteReportResult {
  path: string;
  bytes: number;
  summary: string[];
}

/** A short summary of the results for a terminal (a handful of lines). */
export function summaryLines(inputs: ReportInputs): string[] {
  const m = inputs.matrix;
  const counts = [...verdictCounts(m.cells)].map(([v, n]) => `${n} ${v}`).join(', ');
  const unexpected = m.cells.filter(isUnexpected);
  const lines = [
    `matrix: ${m.scenarios.length} scenarios × ${m.policies.length} variants = ${m.cells.length} cells (${counts}); ${failureScenarios(inputs).length} known-failure scenarios`,
    `differs from the catalogue: ${
      unexpected.length === 0
        ? 'none'
        : unexpected
            .map((c) => `${c.scenario} × ${c.policy}`)
            .slice(0, 4)
            .join('; ') + (unexpected.length > 4 ? `; +${unexpected.length - 4} more` : '')
    }`,
  ];
  const b = inputs.bench;
  if (b) {
    const gp = b.cases
      .filter((c) => c.op === 'get-put-normal' && c.policy !== 'none' && c.baselineRatio !== undefined)
      .map((c) => `${c.policy} ${c.baselineRatio!.toFixed(2)}x`);
    lines.push(`hot path: get-put-normal vs the policy-free core: ${gp.join(', ') || 'not measured'}`);
  }
  if (inputs.oracle) {
    const n = inputs.oracle.kernels.reduce((s, k) => s + k.scenarios.length, 0);
    lines.push(
      `real kernels: ${inputs.oracle.kernels.length}, ${n} results, ${disagreements(inputs).length} disagree with the model`,
    );
  }
  if (inputs.fuzz) lines.push(`fuzz: ${inputs.fuzz.findings.length} findings`);
  for (const n of inputs.notes) lines.push(`left out: ${n.message}`);
  return lines;
}

/** Creates missing directories one level at a time (a recursive mkdir can spin on procfs). */
function makeDirs(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeDirs(parent);
  mkdirSync(dir);
}

/**
 * Reads `inDir` and writes the report to `outFile` atomically (a temporary file, then rename).
 * A missing or malformed matrix.json throws a `ReportError` and writes nothing.
 */
export function writeReport(opts: WriteReportOptions = {}): WriteReportResult {
  const inputs = loadInputs(opts.inDir ?? 'results');
  const html = renderReport(inputs);
  const out = opts.outFile ?? 'report/index.html';
  const abs = resolve(out);
  const tmp = `${abs}.tmp-${process.pid}`;
  try {
    makeDirs(dirname(abs));
    writeFileSync(tmp, html);
    renameSync(tmp, abs);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ReportError(
      'IO',
      `cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  return { path: abs, bytes: Buffer.byteLength(html), summary: summaryLines(inputs) };
}
