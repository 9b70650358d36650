import { describe, expect, it } from 'vitest';
import { formatRatios, measureRatios, resolvePolicies } from '../src/index';

// The ratios are figures, never asserted against targets here: this checks that every case is
// measured, validated (state restored, no violation) and reported.
describe('side-by-side hot-path ratios', () => {
  it('measures every case of a design in one process and reports each ratio with its spread', async () => {
    const [p] = await resolvePolicies(['0based@v6.15']);
    const r = measureRatios(p!, { rounds: 3, sampleMs: 0.2 });
    expect(r.policy).toBe('0based@v6.15');
    expect(Object.keys(r.bestNs).sort()).toEqual(
      [
        'floor/int32-inc',
        'get-put-normal',
        'gup-fast[pages=1,mapping=pte]',
        'gup-fast[pages=512,mapping=pte]',
        'none/get-put-normal',
        'none/get-put-normal (paired loop)',
      ].sort(),
    );
    for (const f of [r.getPutOverFloor, r.designOverNone, r.gupOneOverMarginal]) {
      expect(Number.isFinite(f.best)).toBe(true);
      expect(f.min).toBeLessThanOrEqual(f.median);
      expect(f.median).toBeLessThanOrEqual(f.max);
    }
    // 512 pages cost more than 1: the marginal per page is positive
    expect(r.bestNs['gup-fast[pages=512,mapping=pte]']!).toBeGreaterThan(
      r.bestNs['gup-fast[pages=1,mapping=pte]']!,
    );
    expect(formatRatios([r])).toMatch(/0based@v6.15, 3 rounds/);
  });
});
