// Model-based property tests: random sequences of map / fault / GUP / put / zap / truncate,
// with the core's invariants checked after every step against a simple reference model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createMm,
  FOLL_WRITE,
  getUserPages,
  type Inode,
  type Kernel,
  type Mm,
  mmap,
  munmap,
  PMD_NR,
  type Policy,
  pinUserPagesFast,
  putPage,
  unpinUserPage,
  userAccess,
} from '../src/index';
import { legacyPolicy, PMEM_PFN, runAlone, setup, zeroBasedPolicy } from './helpers';

const PAGES = 8;

interface World {
  k: Kernel;
  fs: ReturnType<typeof setup>['fs'];
  file: Inode;
  mm: Mm;
  addr: number | null;
  /** References the test holds: kind and pfn. */
  held: { kind: 'get' | 'pin'; pfn: number }[];
  base: number;
  mapHoldsRef: boolean;
}

function check(w: World): void {
  const { k } = w;
  // Count mappings per pfn across the page table.
  const maps = new Map<number, number>();
  if (w.addr !== null) {
    for (const l of w.mm.pt.leaves(w.addr, w.addr + PAGES * 4096)) {
      const n = l.level === 'pte' ? 1 : PMD_NR;
      for (let i = 0; i < n; i++) if (l.level === 'pte') maps.set(l.pfn + i, (maps.get(l.pfn + i) ?? 0) + 1);
    }
  }
  const heldBy = new Map<number, number>();
  for (const h of w.held) heldBy.set(h.pfn, (heldBy.get(h.pfn) ?? 0) + (h.kind === 'pin' ? 1024 : 1));
  for (let b = 0; b < 64; b++) {
    const pfn = PMEM_PFN + b;
    const ref = k.memmap.refcount(pfn);
    const mc = k.memmap.mapcount(pfn);
    expect(ref).toBeGreaterThanOrEqual(0);
    expect(mc).toBeGreaterThanOrEqual(0);
    // mapcount ≤ mappings present (exactly equal where mappings are refcounted)
    expect(mc).toBeLessThanOrEqual(maps.get(pfn) ?? 0);
    if (w.mapHoldsRef) expect(mc).toBe(maps.get(pfn) ?? 0);
    // every reference accounted for
    const expected = w.base + (w.mapHoldsRef ? (maps.get(pfn) ?? 0) : 0) + (heldBy.get(pfn) ?? 0);
    expect(ref).toBe(expected);
  }
  expect(k.violations).toEqual([]);
}

type Cmd = fc.Command<World, World>;

class MapCmd implements Cmd {
  check = (w: Readonly<World>) => w.addr === null;
  run(_: World, w: World) {
    w.addr = runAlone(w.k, 'mmap', (t) => mmap(w.k, t, w.mm, { file: w.file, length: PAGES * 4096 }));
    check(w);
  }
  toString = () => 'map';
}

class FaultCmd implements Cmd {
  constructor(
    readonly page: number,
    readonly write: boolean,
  ) {}
  check = (w: Readonly<World>) => w.addr !== null && this.page * 4096 < w.file.size;
  run(_: World, w: World) {
    const r = runAlone(w.k, 'fault', (t) =>
      userAccess(
        w.k,
        t,
        w.mm,
        w.addr! + this.page * 4096,
        this.write,
        this.write ? new Uint8Array([1]) : undefined,
      ),
    );
    expect(r.ok).toBe(true);
    check(w);
  }
  toString = () => `fault(${this.page},${this.write ? 'w' : 'r'})`;
}

class GupCmd implements Cmd {
  constructor(
    readonly page: number,
    readonly pin: boolean,
  ) {}
  check = (w: Readonly<World>) => w.addr !== null && this.page * 4096 < w.file.size;
  run(_: World, w: World) {
    const a = w.addr! + this.page * 4096;
    const r = runAlone(w.k, 'gup', (t) =>
      this.pin
        ? pinUserPagesFast(w.k, t, w.mm, a, 1, FOLL_WRITE)
        : getUserPages(w.k, t, w.mm, a, 1, FOLL_WRITE),
    );
    expect(r.err).toBe(0);
    for (const pfn of r.pfns) w.held.push({ kind: this.pin ? 'pin' : 'get', pfn });
    check(w);
  }
  toString = () => `${this.pin ? 'pin' : 'get'}(${this.page})`;
}

class PutCmd implements Cmd {
  constructor(readonly which: number) {}
  check = (w: Readonly<World>) => w.held.length > 0;
  run(_: World, w: World) {
    const [h] = w.held.splice(this.which % w.held.length, 1);
    runAlone(w.k, 'put', function* (t) {
      if (h!.kind === 'pin') unpinUserPage(w.k, t, h!.pfn);
      else putPage(w.k, t, h!.pfn);
    });
    check(w);
  }
  toString = () => `put(${this.which})`;
}

class ZapCmd implements Cmd {
  check = (w: Readonly<World>) => w.addr !== null;
  run(_: World, w: World) {
    const a = w.addr!;
    runAlone(w.k, 'munmap', (t) => munmap(w.k, t, w.mm, a, PAGES * 4096));
    w.addr = null;
    check(w);
  }
  toString = () => 'zap';
}

class TruncateCmd implements Cmd {
  constructor(readonly pages: number) {}
  // A truncate waits (rightly) while any page of the file is held: xfs breaks the layouts of the
  // whole file, not only of the truncated range. Only truncate when nobody holds one.
  check = (w: Readonly<World>) =>
    w.held.every((h) => ![...w.file.blocks.values()].some((b) => PMEM_PFN + b === h.pfn));
  run(_: World, w: World) {
    runAlone(w.k, 'truncate', (t) => w.fs.truncate(w.k, t, w.file, this.pages * 4096));
    runAlone(w.k, 'extend', (t) => w.fs.truncate(w.k, t, w.file, PAGES * 4096));
    check(w);
  }
  toString = () => `truncate(${this.pages})`;
}

const commands = [
  fc.constant(new MapCmd()),
  fc.tuple(fc.integer({ min: 0, max: PAGES - 1 }), fc.boolean()).map(([p, wr]) => new FaultCmd(p, wr)),
  fc.tuple(fc.integer({ min: 0, max: PAGES - 1 }), fc.boolean()).map(([p, pin]) => new GupCmd(p, pin)),
  fc.nat(20).map((n) => new PutCmd(n)),
  fc.constant(new ZapCmd()),
  fc.integer({ min: 0, max: PAGES }).map((n) => new TruncateCmd(n)),
];

function property(mkPolicy: () => Policy, base: number) {
  return fc.property(fc.commands(commands, { maxCommands: 40 }), (cmds) => {
    const env = setup(mkPolicy(), 512);
    const file = env.fs.create('f', PAGES * 4096);
    const w: World = {
      k: env.k,
      fs: env.fs,
      file,
      mm: createMm(env.k),
      addr: null,
      held: [],
      base,
      mapHoldsRef: env.k.policy!.caps.mapHoldsRef,
    };
    fc.modelRun(() => ({ model: w, real: w }), cmds);
    // full teardown: drop what is held, unmap, truncate: every count is back at its base
    runAlone(w.k, 'teardown', function* (t) {
      for (const h of w.held.splice(0)) {
        if (h.kind === 'pin') unpinUserPage(w.k, t, h.pfn);
        else putPage(w.k, t, h.pfn);
      }
      if (w.addr !== null) yield* munmap(w.k, t, w.mm, w.addr, PAGES * 4096);
      w.addr = null;
      yield* w.fs.truncate(w.k, t, w.file, 0);
    });
    check(w);
    expect(w.file.mapping.entries.size).toBe(0);
  });
}

describe('core invariants under random operation sequences', () => {
  it('1-based rules', () => {
    fc.assert(property(legacyPolicy, 1), { numRuns: 150, seed: 1 });
  });
  it('0-based rules', () => {
    fc.assert(property(zeroBasedPolicy, 0), { numRuns: 150, seed: 2 });
  });
});
