import { describe, expect, it } from 'vitest';
import { caseId, POLICY_CASES, prepareOp, resolvePolicy, summarize } from '../src/index';

describe('policy registry', () => {
  it('resolves a design to its default variant, design@variant, and design@all', async () => {
    const [d] = await resolvePolicy('0based');
    expect(d?.id).toBe('0based@v6.15');
    expect((await resolvePolicy('1based@v5.19-rc1'))[0]?.variant).toBe('v5.19-rc1');
    expect((await resolvePolicy('coarse-pin@all')).map((p) => p.id)).toEqual([
      'coarse-pin@block',
      'coarse-pin@revoke',
    ]);
  });

  it('names the valid choices when an id is unknown', async () => {
    await expect(resolvePolicy('2based')).rejects.toThrow(
      /unknown policy '2based'; valid: 1based, 0based, coarse-pin/,
    );
    await expect(resolvePolicy('1based@v9')).rejects.toThrow(
      /unknown variant 'v9' of 1based; valid: 1based@v4.5, /,
    );
  });
});

describe('summary statistics', () => {
  it('median, p75, p99 and rme', () => {
    const s = summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(s.median).toBe(5.5);
    expect(s.p75).toBeCloseTo(7.75);
    expect(s.p99).toBeCloseTo(9.91);
    expect(s.rme).toBeGreaterThan(0);
    expect(summarize([4, 4, 4]).rme).toBe(0);
  });
});

describe('hot-path ops', () => {
  it('every op leaves the model as it found it under every default design, and counts are deterministic', async () => {
    for (const id of ['1based', '0based', 'coarse-pin']) {
      const [p] = await resolvePolicy(id);
      for (const c of POLICY_CASES) {
        const op = prepareOp(() => p!.create(), c, 3);
        op.run();
        expect(op.validate(), caseId(p!.id, c)).toBeNull();
        expect(op.counts(), caseId(p!.id, c)).toEqual(op.counts());
      }
    }
  });

  it('the counts tell the designs apart where DOMAIN §7 says they differ', async () => {
    const counts = async (id: string, op: string, params: Record<string, string | number> = {}) => {
      const [p] = await resolvePolicy(id);
      return prepareOp(() => p!.create(), { op, params }).counts();
    };
    // gup-fast per page: 1-based does a pgmap lookup per page; 0-based and coarse-pin none.
    expect((await counts('1based', 'gup-fast', { pages: 123, mapping: 'pte' })).pgmapLookups).toBe(123);
    expect((await counts('0based', 'gup-fast', { pages: 123, mapping: 'pte' })).pgmapLookups).toBe(0);
    expect((await counts('coarse-pin', 'gup-fast', { pages: 123, mapping: 'pte' })).pgmapLookups).toBe(0);
    // a PMD pin of 512 pages under 0-based: one ref add and one _pincount add, and back
    expect((await counts('0based', 'gup-fast', { pages: 512, mapping: 'pmd' })).atomics).toBe(4);
    // the coarse pin pays a percpu op at mmap and at munmap
    expect((await counts('coarse-pin', 'mmap-munmap')).percpu).toBe(2);
    expect((await counts('0based', 'mmap-munmap')).percpu).toBe(0);
    // the 1-based put wakes at 1; the 0-based put of a mapped page does not reach 0
    expect((await counts('1based', 'get-put-device')).wakes).toBe(1);
    expect((await counts('0based', 'get-put-device')).wakes).toBe(0);
  });
});
