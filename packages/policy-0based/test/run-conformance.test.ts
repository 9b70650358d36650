import { derivePolicy, PG_DAX_SHARED, type Policy } from '@daxref/core';
import { type ConformanceApi, runConformance } from '@daxref/policy-conformance';
import { describe, expect, it } from 'vitest';
import { createZeroBasedPolicy } from '../src/index';

/** Runs the suite's tests at once and records which pass (a stand-in for Vitest's registry). */
function runNow(factory: () => Policy): Map<string, boolean> {
  const results = new Map<string, boolean>();
  const api = {
    describe: (_name: string, body: () => void) => body(),
    it: (name: string, body: () => void) => {
      try {
        body();
        results.set(name, true);
      } catch {
        results.set(name, false);
      }
    },
    expect,
  } as unknown as ConformanceApi;
  runConformance(factory, { api });
  return results;
}

const identity = {
  name: 'mine',
  variant: 'v1',
  variants: [{ id: 'v1', description: 'a variant of 6.15', source: 'test', default: true }],
};

describe('runConformance on a third party design', () => {
  it('a faithful copy of 6.15 under another name keeps every invariant', () => {
    const r = runNow(() => derivePolicy(createZeroBasedPolicy({ variant: 'v6.15' }), identity));
    expect([...r.keys()]).toEqual([
      'declares its name, variant, variants and capabilities',
      'invariant: FOLL_LONGTERM is refused on FSDAX (slow and fast, PTE and PMD)',
      'invariant: every reference is dropped by teardown (fork, split, mremap, GUP), then unbind completes',
    ]);
    expect([...r.values()]).toEqual([true, true, true]);
  });

  it('a planted defect (an entry reference taken and never dropped) fails the teardown invariant', () => {
    const r = runNow(() => {
      const base = createZeroBasedPolicy({ variant: 'v6.15' });
      return derivePolicy(base, {
        ...identity,
        daxAssociateEntry(k, t, mapping, index, pfn, order, shared) {
          const first = k.memmap.mapping(pfn) === 0 && (k.memmap.flags(pfn) & PG_DAX_SHARED) === 0;
          const ret = base.daxAssociateEntry(k, t, mapping, index, pfn, order, shared);
          if (ret === 0 && first) k.memmap.refAdd(pfn, 1);
          return ret;
        },
      });
    });
    expect(
      r.get(
        'invariant: every reference is dropped by teardown (fork, split, mremap, GUP), then unbind completes',
      ),
    ).toBe(false);
  });
});
