/** A kernel console line that is evidence in itself, and the kind it maps to. */
export interface KernelEvent {
  kind: 'warn' | 'oops' | 'livelock' | 'panic';
  line: string;
}

/** What the guest reported for one test, with everything the console showed while it ran. */
export interface TestReport {
  id: string;
  /** The RESULT line's verdict, or null when the guest never printed one. */
  verdict: 'pass' | 'fail' | 'inconclusive' | null;
  kinds: string[];
  /** The RESULT line's key=value fields. */
  fields: Record<string, string>;
  resultLine: string | null;
  /** DAXTEST and ORACLE trace lines, and kernel event lines, in console order. */
  evidence: string[];
  events: KernelEvent[];
  ended: boolean;
}

/** A whole boot's console, parsed. */
export interface ParsedConsole {
  /** The guest reached its tests (namespace, xfs and dm-delay were set up). */
  ready: boolean;
  /** Guest uptime when the first test started, seconds. */
  readyUptime: number | null;
  setupFailed: string | null;
  allDone: boolean;
  tests: TestReport[];
  /** Kernel events outside any test (boot, setup). */
  bootEvents: KernelEvent[];
  setupWarnings: string[];
}

const EVENT_PATTERNS: readonly [RegExp, KernelEvent['kind']][] = [
  [/Kernel panic/, 'panic'],
  [/\bOops\b|BUG: unable to handle|general protection fault|kernel BUG at/, 'oops'],
  [
    /BUG: soft lockup|rcu_sched self-detected stall|rcu: INFO: .* stall|hung_task|blocked for more than/,
    'livelock',
  ],
  [/WARNING: CPU: \d+ PID: \d+ at /, 'warn'],
];

/** Classifies a kernel console line (null: not an event). */
export function kernelEvent(line: string): KernelEvent | null {
  if (line.includes('DAXTEST')) return null;
  for (const [re, kind] of EVENT_PATTERNS) if (re.test(line)) return { kind, line: line.trim() };
  return null;
}

/** Kernel lines kept as evidence beside the events: memory-failure kills, xfs shutdown, sysrq stacks' heads. */
const NOTABLE =
  /Memory failure:|XFS \(pmem|Device is about to be removed|RIP: |Call Trace|dax_|xfs_|wait_page_idle|follow_page|__get_user_pages|unbind_store|Oops|soft lockup/;

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');

const RESULT_RE = /DAXTEST RESULT (\S+) verdict=(\S+) kinds=(\S+)(.*)$/;

/** Parses key=value fields (a value may be "quoted"). */
export function parseFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/([a-z_]+)=("[^"]*"|\S+)/g)) out[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  return out;
}

/** The console of one boot → per-test reports. Interleaved kernel output is tolerated. */
export function parseConsole(text: string, maxEvidence = 80): ParsedConsole {
  const res: ParsedConsole = {
    ready: false,
    readyUptime: null,
    setupFailed: null,
    allDone: false,
    tests: [],
    bootEvents: [],
    setupWarnings: [],
  };
  let cur: TestReport | null = null;
  const add = (t: TestReport, line: string) => {
    if (t.evidence.length < maxEvidence) t.evidence.push(line.trim());
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').replace(ANSI, '');
    const m1 = /DAXTEST READY .*uptime=([\d.]+)/.exec(line);
    if (m1) {
      res.ready = true;
      res.readyUptime = Number(m1[1]);
      continue;
    }
    const m2 = /DAXTEST SETUP-FAILED (\S+)/.exec(line);
    if (m2) {
      res.setupFailed = m2[1]!;
      continue;
    }
    const m3 = /DAXTEST SETUP-WARN (.*)$/.exec(line);
    if (m3) {
      res.setupWarnings.push(m3[1]!.trim());
      continue;
    }
    if (line.includes('DAXTEST ALL-DONE')) {
      res.allDone = true;
      cur = null;
      continue;
    }
    const m4 = /DAXTEST BEGIN (\S+)/.exec(line);
    if (m4) {
      cur = {
        id: m4[1]!,
        verdict: null,
        kinds: [],
        fields: {},
        resultLine: null,
        evidence: [],
        events: [],
        ended: false,
      };
      res.tests.push(cur);
      continue;
    }
    const m5 = /DAXTEST END (\S+)/.exec(line);
    if (m5) {
      const t = res.tests.find((x) => x.id === m5[1] && !x.ended);
      if (t) t.ended = true;
      // Trace lines printed after END still belong to this test.
      continue;
    }
    const m6 = RESULT_RE.exec(line);
    if (m6) {
      const t = res.tests.find((x) => x.id === m6[1]) ?? cur;
      if (t && t.resultLine === null) {
        const v = m6[2]!;
        t.verdict = v === 'pass' || v === 'fail' || v === 'inconclusive' ? v : null;
        t.kinds = m6[3] === '-' ? [] : m6[3]!.split(',');
        t.fields = parseFields(m6[4]!);
        t.resultLine = line.slice(line.indexOf('DAXTEST RESULT')).trim();
        add(t, t.resultLine);
      }
      continue;
    }
    const target = cur ?? res.tests[res.tests.length - 1] ?? null;
    const ev = kernelEvent(line);
    if (ev) {
      if (target && !res.allDone) {
        target.events.push(ev);
        add(target, ev.line);
      } else res.bootEvents.push(ev);
      continue;
    }
    if (!target || res.allDone) continue;
    const d = line.indexOf('DAXTEST [');
    if (d >= 0) add(target, line.slice(d));
    else if (line.includes('ORACLE trace:'))
      add(target, line.slice(line.indexOf('ORACLE trace:')).replace(/\s+/g, ' '));
    else if (cur && NOTABLE.test(line)) add(target, line.trim());
  }
  return res;
}

/** The real verdict of one test: the guest's own, failed by any WARN / Oops / lockup the kernel printed during it. */
export interface RealVerdict {
  verdict: 'pass' | 'fail' | 'n/a' | 'inconclusive';
  kinds: string[];
  summary: string;
}

/** Maps a test report to its real verdict; `stopped` says the boot was cut (cap or stall) before the test ended. */
export function realVerdict(t: TestReport | undefined, stopped: boolean): RealVerdict {
  if (!t) {
    return {
      verdict: 'inconclusive',
      kinds: [],
      summary: stopped ? 'not reached: the boot was stopped before this test' : 'not run',
    };
  }
  const kinds = [...t.kinds];
  for (const e of t.events) if (!kinds.includes(e.kind)) kinds.push(e.kind);
  const fields = Object.entries(t.fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  if (t.verdict === null) {
    const bad = t.events.length > 0;
    return {
      verdict: bad ? 'fail' : 'inconclusive',
      kinds,
      summary: bad
        ? `no result line: the kernel printed ${t.events[0]!.line.slice(0, 120)}`
        : 'no result line (the guest stopped)',
    };
  }
  const verdict = t.verdict === 'pass' && t.events.length > 0 ? 'fail' : t.verdict;
  const evs = t.events.length ? `; console: ${[...new Set(t.events.map((e) => e.kind))].join(', ')}` : '';
  return {
    verdict,
    kinds,
    summary: `${t.verdict}${t.kinds.length ? ` (${t.kinds.join(', ')})` : ''}${fields ? ` ${fields}` : ''}${evs}`,
  };
}
