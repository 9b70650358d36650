import {
  type CostSnapshot,
  createKernel,
  createMm,
  FOLL_WRITE,
  getPage,
  type Kernel,
  type Mm,
  madviseDontneed,
  mmap,
  munmap,
  type Policy,
  pinUserPagesFast,
  putPage,
  type Task,
  unpinUserPage,
  unpinUserPages,
  userAccess,
} from '@daxref/core';
import { BenchError } from '../errors';
import { drive } from './drive';
import { bindFsdax, type World } from './world';

/** A benchmark case: an op and its parameters. */
export interface OpCase {
  op: string;
  params: Record<string, string | number>;
}

/** Every op under a policy (ARCHITECTURE §4), with `gup-fast` swept as the kernel's gup_test does. */
export const POLICY_CASES: readonly OpCase[] = [
  { op: 'get-put-normal', params: {} },
  { op: 'get-put-device', params: {} },
  { op: 'pin-unpin-small', params: {} },
  { op: 'pin-unpin-pmd', params: {} },
  ...[1, 123, 512].flatMap((pages) =>
    (['pte', 'pmd'] as const).map((mapping) => ({ op: 'gup-fast', params: { pages, mapping } })),
  ),
  { op: 'fault-zap', params: { size: '4k' } },
  { op: 'fault-zap', params: { size: '2m' } },
  { op: 'truncate-mapped', params: {} },
  { op: 'mmap-munmap', params: {} },
  { op: 'unbind', params: {} },
];

/** The physical floor, measured in the same run under policy `floor`. */
export const FLOOR_CASES: readonly OpCase[] = [
  { op: 'int32-inc', params: {} },
  { op: 'atomics-add', params: {} },
];

/** The baseline: the core with no policy. */
export const BASELINE_CASE: OpCase = { op: 'get-put-normal', params: {} };

/** The case id used in `bench.json`: `op` plus its parameters. */
export function caseId(policy: string, c: OpCase): string {
  const p = Object.entries(c.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${policy}/${c.op}${p ? `[${p}]` : ''}`;
}

/** A case ready to time: `run` does the op `batch` times; `validate` says what is wrong, if anything. */
export interface PreparedOp {
  readonly batch: number;
  run(): void;
  /** Null when the op left the model as it found it and moved the counts it should; else why not. */
  validate(): string | null;
  /** The deterministic counts of one op, from an instrumented copy of the world. */
  counts(): CostSnapshot;
}

const SZ_2M = 2 * 1024 * 1024;

function build(policy: Policy | null, pages: number): World | null {
  return policy === null ? null : bindFsdax(policy, pages);
}

interface OpBody {
  /** One operation. */
  once(): void;
  /** The pages whose refcount and mapcount must be back where they were after an op. */
  watch: number[];
  k: Kernel;
}

function floorBody(op: string): OpBody {
  if (op === 'int32-inc') {
    const a = new Int32Array(16);
    return {
      once() {
        a[3]!++;
      },
      watch: [],
      k: createKernel(),
    };
  }
  const a = new Int32Array(new SharedArrayBuffer(64));
  return {
    once() {
      Atomics.add(a, 3, 1);
    },
    watch: [],
    k: createKernel(),
  };
}

/**
 * A file of `size` bytes mapped whole. `ptesOnly` maps it from file offset 4 KiB, so the VMA and
 * the file are never PMD-congruent and every fault installs a PTE (`thp_vma_suitable_order`).
 */
function mappedFile(w: World, size: number, ptesOnly = false): { mm: Mm; addr: number; t: Task } {
  const skip = ptesOnly ? 4096 : 0;
  const f = w.fs.create(`bench-${w.k.allocId()}`, size + skip);
  const mm = createMm(w.k);
  const addr = drive(mmap(w.k, w.t, mm, { file: f, length: size, offset: skip }), 'mmap');
  return { mm, addr, t: w.t };
}

function fault(w: World, mm: Mm, addr: number): number {
  const r = drive(userAccess(w.k, w.t, mm, addr, true, new Uint8Array([1])), 'fault');
  if (!r.ok)
    throw new BenchError('USAGE', `benchmark setup: fault at 0x${addr.toString(16)} failed with ${r.signal}`);
  return r.pfn;
}

function body(policy: Policy | null, c: OpCase): OpBody {
  const op = c.op;
  if (op === 'int32-inc' || op === 'atomics-add') return floorBody(op);
  if (op === 'get-put-normal') {
    const k = policy === null ? createKernel() : build(policy, 1024)!.k;
    const t = k.spawn('bench', function* () {});
    const pfn = k.ram.alloc();
    return {
      once() {
        getPage(k, t, pfn);
        putPage(k, t, pfn);
      },
      watch: [pfn],
      k,
    };
  }
  if (policy === null)
    throw new BenchError('USAGE', `op ${op} needs a policy (policy none runs get-put-normal only)`);
  const w = build(policy, 4096)!;
  const { k, t } = w;
  switch (op) {
    case 'get-put-device': {
      const { mm, addr } = mappedFile(w, 4096);
      const pfn = fault(w, mm, addr);
      return {
        once() {
          getPage(k, t, pfn);
          putPage(k, t, pfn);
        },
        watch: [pfn],
        k,
      };
    }
    case 'pin-unpin-small':
    case 'pin-unpin-pmd': {
      const size = op === 'pin-unpin-small' ? 4096 : SZ_2M;
      const { mm, addr } = mappedFile(w, size, op === 'pin-unpin-small');
      const pfn = fault(w, mm, addr);
      return {
        once() {
          const r = drive(pinUserPagesFast(k, t, mm, addr, 1, FOLL_WRITE), op);
          unpinUserPage(k, t, r.pfns[0]!);
        },
        watch: [k.memmap.compoundHead(pfn)],
        k,
      };
    }
    case 'gup-fast': {
      const pages = Number(c.params.pages);
      const pmd = c.params.mapping === 'pmd';
      const { mm, addr } = mappedFile(w, pmd ? SZ_2M : pages * 4096, !pmd);
      const watch: number[] = [];
      if (c.params.mapping === 'pmd') watch.push(k.memmap.compoundHead(fault(w, mm, addr)));
      else for (let i = 0; i < pages; i++) watch.push(fault(w, mm, addr + i * 4096));
      return {
        once() {
          const r = drive(pinUserPagesFast(k, t, mm, addr, pages, FOLL_WRITE), op);
          unpinUserPages(k, t, r.pfns);
        },
        watch,
        k,
      };
    }
    case 'fault-zap': {
      const size = c.params.size === '2m' ? SZ_2M : 4096;
      const { mm, addr } = mappedFile(w, size, size === 4096);
      const pfn = fault(w, mm, addr);
      drive(madviseDontneed(k, t, mm, addr, size), op);
      return {
        once() {
          fault(w, mm, addr);
          drive(madviseDontneed(k, t, mm, addr, size), op);
        },
        watch: [k.memmap.compoundHead(pfn)],
        k,
      };
    }
    case 'truncate-mapped': {
      const f = w.fs.create('trunc', 4096);
      const mm = createMm(k);
      const addr = drive(mmap(k, t, mm, { file: f, length: 4096 }), 'mmap');
      return {
        once() {
          fault(w, mm, addr);
          drive(w.fs.truncate(k, t, f, 0), op);
          drive(w.fs.truncate(k, t, f, 4096), op);
        },
        watch: [],
        k,
      };
    }
    case 'mmap-munmap': {
      const f = w.fs.create('map', SZ_2M);
      const mm = createMm(k);
      const at = 2 ** 41;
      return {
        once() {
          drive(mmap(k, t, mm, { file: f, length: SZ_2M, addr: at }), op);
          drive(munmap(k, t, mm, at, SZ_2M), op);
        },
        watch: [],
        k,
      };
    }
    case 'unbind': {
      return {
        once() {
          w.rebind();
        },
        watch: [],
        k,
      };
    }
    default:
      throw new BenchError(
        'USAGE',
        `unknown op '${op}'; valid: ${[...POLICY_CASES, ...FLOOR_CASES].map((x) => x.op).join(', ')}`,
      );
  }
}

function snapshot(k: Kernel, watch: readonly number[]): string {
  return JSON.stringify([
    watch.map((p) => [k.memmap.refcount(p), k.memmap.mapcount(p)]),
    k.violations.length,
  ]);
}

/** Prepares a case under a policy (null: the core alone) for timing. */
export function prepareOp(policy: () => Policy | null, c: OpCase, batch = 1): PreparedOp {
  const b = body(policy(), c);
  const before = snapshot(b.k, b.watch);
  return {
    batch,
    run() {
      for (let i = 0; i < batch; i++) b.once();
    },
    validate() {
      const after = snapshot(b.k, b.watch);
      if (after !== before) return `${c.op}: state changed across ops (${before} → ${after})`;
      if (b.k.violations.length > 0)
        return `${c.op}: the model reported ${b.k.violations[0]!.kind}: ${b.k.violations[0]!.message}`;
      return null;
    },
    counts() {
      const fresh = body(policy(), c);
      const cost = fresh.k.enableCost();
      fresh.once(); // warm: first-touch allocations are not the op's cost
      cost.reset();
      cost.begin();
      fresh.once();
      return cost.snapshot();
    },
  };
}
