// Hot-path ratios measured side by side in one process: the Int32Array floor, the policy-free
// get/put of a normal page, a design's get/put, and gup-fast at 1 and 512 pages (per-call
// overhead against the per-page marginal cost). Cases alternate round by round, so every ratio
// is taken between neighbours in time; the spread over rounds is reported with the median.
import { createKernel, getPage, type Kernel, type Policy, putPage, type Task } from '@daxref/core';
import type { ResolvedPolicy } from '../policies';
import { type OpCase, type PreparedOp, prepareOp } from './ops';
import { bindFsdax } from './world';

interface GetPutWorld {
  readonly k: Kernel;
  readonly t: Task;
  readonly pfn: number;
}

/** A kernel (with an fsdax namespace bound when there is a policy, as `get-put-normal` builds it) and one RAM page. */
function getPutWorld(policy: Policy | null): GetPutWorld {
  const k = policy === null ? createKernel() : bindFsdax(policy, 1024).k;
  const t = k.spawn('bench', function* () {});
  return { k, t, pfn: k.ram.alloc() };
}

/**
 * One ratio: `best`, the ratio of the two cases' fastest rounds (on a shared, loaded machine the
 * fastest of many short samples is the one least disturbed); `median`, the median of the
 * per-round ratios; and the lowest and highest round (the spread the load causes).
 */
export interface RatioFigure {
  readonly best: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** What `measureRatios` reports for one design (ns are medians over rounds of ns per op). */
export interface RatioFile {
  readonly policy: string;
  readonly rounds: number;
  /** Each case's fastest round, ns per op. */
  readonly bestNs: Record<string, number>;
  /** Each case's median round, ns per op. */
  readonly ns: Record<string, number>;
  /** `none/get-put-normal` over `floor/int32-inc`. */
  readonly getPutOverFloor: RatioFigure;
  /** The design's get/put of a normal page over the policy-free one, both run by one loop function. */
  readonly designOverNone: RatioFigure;
  /** gup-fast (pin + unpin, PTEs) of 1 page over the per-page marginal cost ((T512 − T1) / 511). */
  readonly gupOneOverMarginal: RatioFigure;
  /** From the fastest rounds: the marginal ns per page and the fixed ns per call (T1 − marginal). */
  readonly gupMarginalNs: number;
  readonly gupFixedNs: number;
}

interface Timed {
  readonly key: string;
  readonly op: PreparedOp;
}

/**
 * ns per op of one sample, wall-clock. (Process CPU time would ignore descheduling, but here it
 * advances in scheduler ticks, too coarse for millisecond samples; the fastest of many short
 * samples is used instead: on a loaded machine some of them run undisturbed.)
 */
function timeOnce(p: PreparedOp): number {
  const t0 = performance.now();
  p.run();
  return ((performance.now() - t0) * 1e6) / p.batch;
}

/** A batch size that takes about `targetMs`. */
function calibrate(make: (batch: number) => PreparedOp, targetMs: number): PreparedOp {
  let batch = 16;
  for (;;) {
    const p = make(batch);
    for (let i = 0; i < 3; i++) p.run();
    const ms = (timeOnce(p) * batch) / 1e6;
    if (ms >= targetMs / 4 || batch >= 1 << 22)
      return make(Math.max(1, Math.round((batch * targetMs) / Math.max(ms, 1e-3))));
    batch *= 4;
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function figure(best: number, xs: readonly number[]): RatioFigure {
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { best: r(best), median: r(median(xs)), min: r(Math.min(...xs)), max: r(Math.max(...xs)) };
}

const GET_PUT: OpCase = { op: 'get-put-normal', params: {} };
const gup = (pages: number): OpCase => ({ op: 'gup-fast', params: { pages, mapping: 'pte' } });

/**
 * Measures one design's ratios in this process (run one design per process: a process that
 * has run several designs' code has polymorphic call sites, and its figures are not any one
 * design's). Two phases of `rounds` rounds, each round timing every case of the phase once
 * (about `sampleMs`) in a rotated order: first the floor and the policy-free get/put, then the
 * design's cases. Each ratio is taken from the cases' fastest rounds, and per round for the
 * median and range. Every case is validated after timing (state restored, no violation).
 */
export function measureRatios(
  policy: ResolvedPolicy,
  opts: { rounds?: number; sampleMs?: number } = {},
): RatioFile {
  const rounds = opts.rounds ?? 61;
  const sampleMs = opts.sampleMs ?? 2;
  let cases: Timed[] = [];
  const samples = new Map<string, number[]>();
  const runRounds = () => {
    for (const c of cases) samples.set(c.key, []);
    for (let r = 0; r < rounds; r++) {
      for (let j = 0; j < cases.length; j++) {
        const c = cases[(j + r) % cases.length]!;
        samples.get(c.key)!.push(timeOnce(c.op));
      }
    }
    for (const c of cases) {
      const bad = c.op.validate();
      if (bad !== null) throw new Error(`${policy.id} ${c.key}: ${bad}`);
    }
  };
  const add = (key: string, make: () => Policy | null, c: OpCase) =>
    cases.push({ key, op: calibrate((b) => prepareOp(make, c, b), sampleMs) });
  // Phase 1: the floor and the policy-free get/put, before any design code has run in this
  // process (the policy-free core's own call sites, not ones shared with a design's worlds).
  add('floor', () => null, { op: 'int32-inc', params: {} });
  add('none', () => null, GET_PUT);
  runRounds();
  // Phase 2: the design.
  cases = [];
  add('gup1', () => policy.create(), gup(1));
  add('gup512', () => policy.create(), gup(512));
  // The design's get/put against the policy-free one: one loop function runs both worlds (as
  // one kernel binary runs one design), so both sides meet the same call sites in the same JIT
  // state and the ratio is the design's code alone.
  const worlds = [getPutWorld(null), getPutWorld(policy.create())];
  const loop = (w: GetPutWorld, n: number) => {
    for (let i = 0; i < n; i++) {
      getPage(w.k, w.t, w.pfn);
      putPage(w.k, w.t, w.pfn);
    }
  };
  for (const [key, w] of [
    ['pair-none', worlds[0]!],
    ['design', worlds[1]!],
  ] as const) {
    cases.push({
      key,
      op: calibrate(
        (batch) => ({
          batch,
          run: () => loop(w, batch),
          validate: () =>
            w.k.memmap.refcount(w.pfn) === 1 && w.k.violations.length === 0
              ? null
              : 'get/put left the page changed',
          counts: () => {
            throw new Error('not counted here');
          },
        }),
        sampleMs,
      ),
    });
  }
  runRounds();
  const s = (key: string, r: number) => samples.get(key)![r]!;
  const perRound = (f: (r: number) => number) => Array.from({ length: rounds }, (_, r) => f(r));
  const marginal = (r: number) => (s('gup512', r) - s('gup1', r)) / 511;
  const ns = (key: string) => Math.round(median(samples.get(key)!) * 100) / 100;
  const best = (key: string) => Math.min(...samples.get(key)!);
  const bestMarginal = (best('gup512') - best('gup1')) / 511;
  return {
    policy: policy.id,
    rounds,
    bestNs: {
      'floor/int32-inc': best('floor'),
      'none/get-put-normal': best('none'),
      'get-put-normal': best('design'),
      'none/get-put-normal (paired loop)': best('pair-none'),
      'gup-fast[pages=1,mapping=pte]': best('gup1'),
      'gup-fast[pages=512,mapping=pte]': best('gup512'),
    },
    ns: {
      'floor/int32-inc': ns('floor'),
      'none/get-put-normal': ns('none'),
      'get-put-normal': ns('design'),
      'none/get-put-normal (paired loop)': ns('pair-none'),
      'gup-fast[pages=1,mapping=pte]': ns('gup1'),
      'gup-fast[pages=512,mapping=pte]': ns('gup512'),
    },
    getPutOverFloor: figure(
      best('none') / best('floor'),
      perRound((r) => s('none', r) / s('floor', r)),
    ),
    designOverNone: figure(
      best('design') / best('pair-none'),
      perRound((r) => s('design', r) / s('pair-none', r)),
    ),
    gupOneOverMarginal: figure(
      best('gup1') / bestMarginal,
      perRound((r) => s('gup1', r) / marginal(r)),
    ),
    gupMarginalNs: Math.round(bestMarginal * 10) / 10,
    gupFixedNs: Math.round((best('gup1') - bestMarginal) * 10) / 10,
  };
}

/** Ratios of several designs (one process each) as text lines. */
export function formatRatios(files: readonly RatioFile[]): string {
  const fig = (x: RatioFigure) =>
    `${x.best.toFixed(2)}x (per-round median ${x.median.toFixed(2)}x, rounds ${x.min.toFixed(2)}-${x.max.toFixed(2)})`;
  const ns = (x: number) => x.toFixed(1);
  const out = ['hot-path ratios, side by side in one process per design (fastest rounds):'];
  for (const f of files) {
    const b = f.bestNs;
    out.push(`  ${f.policy}, ${f.rounds} rounds:`);
    out.push(
      `    policy-free get/put ${ns(b['none/get-put-normal']!)} ns vs Int32Array floor ${ns(b['floor/int32-inc']!)} ns: ${fig(f.getPutOverFloor)} (target <= 3x)`,
    );
    out.push(
      `    design get/put ${ns(b['get-put-normal']!)} ns vs policy-free ${ns(b['none/get-put-normal (paired loop)']!)} ns in one loop: ${fig(f.designOverNone)} (target <= 1.05x)`,
    );
    out.push(
      `    gup-fast pin+unpin 1 PTE ${ns(b['gup-fast[pages=1,mapping=pte]']!)} ns vs per-page marginal ${f.gupMarginalNs} ns: ${fig(f.gupOneOverMarginal)}; fixed ${f.gupFixedNs} ns per call (target <= 1.5x)`,
    );
  }
  return out.join('\n');
}
