import { type BenchFile, formatRatios, type MatrixFile, unexpected } from '@daxref/bench';

const MARK: Record<string, string> = {
  'dma-corruption': 'DMA',
  'use-after-free': 'UAF',
  'missed-wakeup': 'WAKE',
  'unbind-hang': 'HANG',
  deadlock: 'DEAD',
  hang: 'WAIT',
  'vm-bug-on': 'BUG',
  warn: 'WARN',
  leak: 'LEAK',
  'stale-read': 'STALE',
};

/** The compact terminal matrix: scenario × policy, `ok` / the violation kinds / `n/a`, `!` where a verdict differs from the catalogue. */
export function formatMatrix(m: MatrixFile): string {
  const ids = m.policies.map((p) => p.id);
  const short = (id: string) =>
    id.replace('1based@', '1b@').replace('0based@', '0b@').replace('coarse-pin@', 'cp@');
  const colW = Math.max(11, ...ids.map((id) => short(id).length)) + 1;
  const rowW = Math.max(...m.scenarios.map((s) => s.id.length)) + 2;
  const lines = [''.padEnd(rowW) + ids.map((id) => short(id).padEnd(colW)).join('')];
  for (const s of m.scenarios) {
    let row = s.id.padEnd(rowW);
    for (const id of ids) {
      const c = m.cells.find((x) => x.scenario === s.id && x.policy === id)!;
      let v =
        c.verdict === 'pass'
          ? 'ok'
          : c.verdict === 'n/a'
            ? 'n/a'
            : c.verdict === 'inconclusive'
              ? '??'
              : [...new Set(c.violations.map((x) => MARK[x.kind] ?? x.kind))].join('+') || 'ERR';
      if (c.error !== undefined) v = 'ERR';
      if (unexpected(c)) v += '!';
      row += v.padEnd(colW);
    }
    lines.push(row);
  }
  const bad = m.cells.filter(unexpected);
  const errs = m.cells.filter((c) => c.error !== undefined);
  lines.push('');
  lines.push(
    `${m.cells.length} cells: ${m.cells.filter((c) => c.verdict === 'pass').length} pass, ${m.cells.filter((c) => c.verdict === 'fail').length} fail, ${m.cells.filter((c) => c.verdict === 'n/a').length} n/a, ${m.cells.filter((c) => c.verdict === 'inconclusive').length} inconclusive (??); ${bad.length} differ from the catalogue (!)${errs.length ? `; ${errs.length} errored (ERR)` : ''}`,
  );
  lines.push(
    `legend: ${Object.entries(MARK)
      .map(([k, v]) => `${v}=${k}`)
      .join(' ')}`,
  );
  for (const c of bad)
    lines.push(
      `! ${c.scenario} under ${c.policy}: expected ${c.expected ?? 'a verdict'}, got ${c.verdict === 'fail' ? c.violations.map((v) => v.kind).join('+') : c.verdict}${c.reason ? ` [${c.reason}]` : ''}${c.schedule ? ` (daxref trace ${c.scenario} --policy ${c.policy} --schedule ${c.schedule})` : ''}`,
    );
  for (const c of errs) lines.push(`ERR ${c.scenario} under ${c.policy}: ${c.error}`);
  return lines.join('\n');
}

function fmtNs(ns: number): string {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(1)} ns`;
}

/** Relative margin of error (%) above which a case's figures are flagged as unreliable. */
export const RME_WARN = 10;

/** What a case's ratio divides by, as the table's `vs` column says it. */
function control(c: BenchFile['cases'][number]): string {
  if (c.ratioTo === 'paired-control') return 'paired';
  return 'none';
}

/**
 * The terminal summary of a benchmark run: each case's median, its ratio and what the ratio is
 * against (`paired`: the policy-free get/put measured in the policy's own processes; `none`: the
 * baseline process), its error, and a warning for cases whose error exceeds `RME_WARN`.
 */
export function formatBench(b: BenchFile): string {
  const lines: string[] = [];
  const w = Math.max(...b.cases.map((c) => c.id.length));
  lines.push(
    `${'case'.padEnd(w)}  ${'median'.padStart(11)}  ${'ratio'.padStart(9)}  ${'vs'.padEnd(6)}  ${'rme'.padStart(8)}  counts per op`,
  );
  for (const c of b.cases) {
    const k = c.counts;
    const rme = `±${c.ns.rme.toFixed(1)}%${c.ns.rme > RME_WARN ? '?' : ''}`;
    lines.push(
      `${c.id.padEnd(w)}  ${fmtNs(c.ns.median).padStart(11)}  ${`${c.baselineRatio.toFixed(2)}x`.padStart(9)}  ${control(c).padEnd(6)}  ${rme.padStart(8)}  atomics=${k.atomics} percpu=${k.percpu} branches=${k.branches} lines=${k.cachelines} wakes=${k.wakes} pgmap=${k.pgmapLookups}`,
    );
  }
  lines.push(
    'vs: paired = the policy-free get/put measured alternately in the same process; none = the baseline process (get-put-normal under policy none)',
  );
  const noisy = b.cases.filter((c) => c.ns.rme > RME_WARN);
  if (noisy.length > 0)
    lines.push(
      `warning: ${noisy.length} case${noisy.length > 1 ? 's have' : ' has'} an error above ±${RME_WARN}% (marked ?): their ratios are not reliable; rerun without --quick on a quiet machine: ${noisy.map((c) => c.id).join(', ')}`,
    );
  for (const f of b.failed ?? []) lines.push(`failed: ${f.policy}: ${f.error} (its cases are left out)`);
  lines.push(
    `memmap: ${b.scale.bytesPerPage.toFixed(2)} bytes/page at ${b.scale.pages.toLocaleString('en')} pages (described in ${b.scale.instantiateMs.toFixed(1)} ms)`,
  );
  if (b.explorer)
    lines.push(
      `explorer: ${Math.round(b.explorer.stepsPerSec).toLocaleString('en')} steps/s, ${Math.round(b.explorer.schedulesPerSec).toLocaleString('en')} schedules/s on one thread (${b.explorer.scenario})`,
    );
  if (b.ratios) lines.push(formatRatios(b.ratios));
  if (b.ratios) lines.push(formatRatios(b.ratios));
  return lines.join('\n');
}
