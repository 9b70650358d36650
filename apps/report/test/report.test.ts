import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInputs, type MatrixInput, ReportError, renderReport, writeReport } from '../src/index';

const fixtures = join(__dirname, 'fixtures');

/** A results directory with the given fixture files (and optional overrides). */
function resultsDir(files: string[], extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'daxref-report-'));
  for (const f of files) copyFileSync(join(fixtures, f), join(dir, f));
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  return dir;
}

function fixtureMatrix(): MatrixInput {
  return JSON.parse(readFileSync(join(fixtures, 'matrix.json'), 'utf8')) as MatrixInput;
}

function reportError(fn: () => unknown): ReportError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ReportError);
    return e as ReportError;
  }
  throw new Error('expected a ReportError');
}

describe('inputs', () => {
  it('a missing or malformed matrix.json is one line naming the file and the problem, and nothing is written', () => {
    const cases: [Record<string, string> | null, RegExp][] = [
      [null, /matrix\.json not found \(write it with `daxref check`\)/],
      [{ 'matrix.json': '{"schema": "daxref.matrix/1",' }, /matrix\.json: not valid JSON/],
      [
        { 'matrix.json': '{"schema": "daxref.bench/1"}' },
        /matrix\.json: schema is "daxref.bench\/1", expected "daxref.matrix\/1" or "daxref.matrix\/2"/,
      ],
      [
        {
          'matrix.json': JSON.stringify({
            ...fixtureMatrix(),
            cells: fixtureMatrix().cells.map((c, i) => (i === 3 ? { ...c, verdict: 7 } : c)),
          }),
        },
        /matrix\.json: cells\[3\]\.verdict is missing or not a string/,
      ],
      [
        { 'matrix.json': JSON.stringify({ ...fixtureMatrix(), policies: 'all' }) },
        /policies is not an array/,
      ],
    ];
    for (const [files, msg] of cases) {
      const dir = resultsDir([], files ?? {});
      const out = join(dir, 'out', 'index.html');
      const e = reportError(() => writeReport({ inDir: dir, outFile: out }));
      expect(e.message).toMatch(msg);
      expect(e.message.split('\n')).toHaveLength(1);
      expect(e.message).toContain(join(dir, 'matrix.json'));
      expect(existsSync(out)).toBe(false);
    }
  });

  it('missing optional inputs leave their sections out with a note; a malformed one is skipped with its problem', () => {
    const dir = resultsDir(['matrix.json'], {
      'bench.json': '{"schema":"daxref.bench/1","cases":[{"op":"x"}]}',
    });
    const inputs = loadInputs(dir);
    expect(inputs.bench).toBeNull();
    expect(inputs.notes.map((n) => n.section).sort()).toEqual(['bench', 'fuzz', 'oracle']);
    expect(inputs.notes.find((n) => n.section === 'bench')!.message).toMatch(
      /bench\.json skipped: cases\[0\]\.policy is missing/,
    );
    const html = renderReport(inputs);
    expect(html).toContain('Section left out: bench.json skipped');
    expect(html).toContain('oracle.json not found');
    expect(html).not.toContain('id="fuzz"');
    expect(html).not.toContain('data-testid="chart-bench"');
  });

  it('accepts daxref.matrix/2: inconclusive verdicts with their reason, hang violations, unknown verdicts drawn generically', () => {
    const m = fixtureMatrix();
    m.schema = 'daxref.matrix/2';
    const pass = m.cells.find((c) => c.verdict === 'pass')!;
    Object.assign(pass, { verdict: 'inconclusive', reason: 'budget exhausted before the space was covered' });
    const fail = m.cells.find((c) => c.verdict === 'fail')!;
    fail.violations = [
      { kind: 'hang', message: 'waiter truncate#3 in wait_page_idle; holders: dio#2 (ref 1)', step: 4 },
    ];
    const na = m.cells.find((c) => c.verdict === 'n/a')!;
    na.verdict = 'timeout';
    const html = renderReport(loadInputs(resultsDir([], { 'matrix.json': JSON.stringify(m) })));
    expect(html).toContain('data-verdict-group="inconclusive"');
    expect(html).toContain('budget exhausted before the space was covered');
    expect(html).toContain('waiter truncate#3 in wait_page_idle; holders: dio#2 (ref 1)');
    expect(html).toMatch(/class="cell v-other[^"]*"[^>]*data-verdict-group="other"[^>]*>.*timeout/);
    // Every cell is still drawn.
    expect(html.match(/<td class="cell /g)).toHaveLength(m.scenarios.length * m.policies.length);
  });

  it('a malformed timeline costs its cell the drawing, not the report', () => {
    const m = fixtureMatrix();
    const fail = m.cells.find((c) => c.timeline !== undefined)!;
    (fail as unknown as { timeline: unknown }).timeline = { tasks: 'no' };
    const html = renderReport(loadInputs(resultsDir([], { 'matrix.json': JSON.stringify(m) })));
    expect(html).toContain('No timeline in matrix.json for this cell');
  });
});

describe('an explained real-kernel disagreement', () => {
  it("shows the catalogue's reason beside the disagreement, in the findings and in the table", () => {
    const o = JSON.parse(readFileSync(join(fixtures, 'oracle.json'), 'utf8'));
    const s = o.kernels[0].scenarios.find((x: { agree: boolean }) => !x.agree);
    s.explained = 'the one-shot WARN was already spent earlier in the same boot';
    const html = renderReport(loadInputs(resultsDir(['matrix.json'], { 'oracle.json': JSON.stringify(o) })));
    const findings = html.slice(html.indexOf('<h3>Findings</h3>'), html.indexOf('<h3>Per design'));
    expect(findings).toContain('Explained by the catalogue:</i> the one-shot WARN was already spent');
    expect(html).toContain('explained: the one-shot WARN was already spent');
  });
});

describe('the page', () => {
  const html = renderReport(
    loadInputs(resultsDir(['matrix.json', 'bench.json', 'oracle.json', 'fuzz.json'])),
  );
  const m = fixtureMatrix();

  it('is self-contained: no external resource of any kind', () => {
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\bsrc\s*=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/@import/i);
    expect(html).not.toMatch(/href="(?!#|data:)/);
    expect(html).toContain("default-src 'none'");
  });

  it('puts findings first: the real-kernel disagreement and the cell that differs from the catalogue', () => {
    const findings = html.slice(html.indexOf('<h3>Findings</h3>'), html.indexOf('<h3>Per design'));
    expect(findings).toMatch(
      /Real kernel 6\.12\.48 disagrees with the model<\/b> on <code>unbind-while-pinned/,
    );
    const odd = m.cells.filter((c) => c.expected === 'pass' && c.verdict !== 'pass');
    expect(odd.length).toBeGreaterThan(0);
    for (const c of odd)
      expect(findings).toContain(`<code>${c.scenario}</code> under <code>${c.policy}</code>`);
    expect(findings).toContain('The fuzzer found 2 distinct violations, 1 not in the catalogue');
  });

  it('draws one matrix cell per scenario × policy, with verdicts in words and the real kernel beside its variant', () => {
    expect(html.match(/<td class="cell /g)).toHaveLength(m.scenarios.length * m.policies.length);
    const cell = html.match(
      /<td class="cell [^>]*title="munmap-then-truncate-dma under 1based@v6\.14[\s\S]*?<\/td>/,
    )![0];
    expect(cell).toContain('>fail<');
    expect(cell).toContain('real 6.12.48: fail (warn) ✓');
    // One counterexample per failing cell, each with its exact replay command.
    const failing = m.cells.filter((c) => c.verdict === 'fail');
    expect(html.match(/<details class="cex"/g)).toHaveLength(failing.length);
    for (const c of failing)
      expect(html).toContain(`daxref trace ${c.scenario} --policy ${c.policy} --schedule ${c.schedule}`);
  });

  it('embeds each Chrome trace as a download that decodes to the trace', () => {
    const c = m.cells.find((x) => x.timeline?.chromeTrace !== undefined)!;
    const b64 = html.match(
      new RegExp(
        `download="${c.scenario}\\.${c.policy.replace(/[.@]/g, '\\$&')}\\.trace\\.json" href="data:application/json;base64,([^"]+)"`,
      ),
    )![1]!;
    const trace = JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as {
      traceEvents: { name: string }[];
    };
    expect(trace.traceEvents.some((e) => e.name.startsWith('VIOLATION'))).toBe(true);
  });

  it('names the control behind each ratio and the floor', () => {
    expect(html).toContain('paired control');
    expect(html).toContain('<code>atomics-add</code> under <code>floor</code>');
    expect(html).toContain('gup-fast: cost per page against pages per call');
  });

  it('escapes what it reads', () => {
    const mm = fixtureMatrix();
    mm.scenarios[0]!.title = '<script>alert(1)</script>';
    const out = renderReport(loadInputs(resultsDir([], { 'matrix.json': JSON.stringify(mm) })));
    expect(out).not.toContain('<script>alert(1)');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('writeReport', () => {
  it('writes atomically and leaves no temporary file when the target cannot be written', () => {
    const dir = resultsDir(['matrix.json']);
    const ok = writeReport({ inDir: dir, outFile: join(dir, 'r', 'index.html') });
    expect(readFileSync(ok.path, 'utf8')).toMatch(/^<!doctype html>/);
    expect(ok.summary[0]).toMatch(/matrix: 7 scenarios × 10 variants = 70 cells/);
    // A rewrite replaces the file whole and leaves no temporary file beside it.
    writeReport({ inDir: dir, outFile: ok.path });
    expect(readdirSync(join(dir, 'r'))).toEqual(['index.html']);
  });

  it('reports an unwritable path as one line', () => {
    const dir = resultsDir(['matrix.json']);
    const e = reportError(() => writeReport({ inDir: dir, outFile: '/proc/nope/index.html' }));
    expect(e.message).toMatch(/^daxref report: cannot write \/proc\/nope\/index\.html: /);
  });
});
