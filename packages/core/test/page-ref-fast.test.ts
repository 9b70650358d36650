import { describe, expect, it } from 'vitest';
import { createKernel, getPage, PG_FREE, PG_TAIL, putPage, putRefs } from '../src/index';

// get_page()/put_page() take a fused fast path when nothing observes them; these tests pin down
// that it changes nothing a caller can see: counts, frees, reports, cost counts.
describe('get/put fast path', () => {
  it('moves the count as the full path does, and the final put still frees the page', () => {
    const k = createKernel();
    const t = k.spawn('t', function* () {});
    const pfn = k.ram.alloc();
    const before = k.ram.allocated;
    for (let i = 0; i < 5; i++) getPage(k, t, pfn);
    expect(k.memmap.refcount(pfn)).toBe(6);
    for (let i = 0; i < 5; i++) putPage(k, t, pfn);
    expect(k.memmap.refcount(pfn)).toBe(1);
    putPage(k, t, pfn); // the last reference: the full path frees it
    expect(k.memmap.refcount(pfn)).toBe(0);
    expect(k.ram.allocated).toBe(before - 1);
    expect(k.memmap.flags(pfn) & PG_FREE).toBe(PG_FREE);
    expect(k.violations).toHaveLength(0);
  });

  it('leaves a get on a zero count and a put below zero to the full path, which reports them', () => {
    const k = createKernel();
    const t = k.spawn('t', function* () {});
    const pfn = k.ram.alloc();
    putPage(k, t, pfn);
    getPage(k, t, pfn); // count was 0: VM_BUG_ON
    expect(k.violations.map((v) => v.kind)).toEqual(['vm-bug-on']);
    putRefs(k, t, pfn, 3, 'put_page'); // 1 - 3 < 0
    expect(k.violations.map((v) => v.kind)).toEqual(['vm-bug-on', 'vm-bug-on']);
  });

  it('counts the same cost with counters attached as a run without them moves the count', () => {
    const a = createKernel();
    const b = createKernel();
    const ta = a.spawn('t', function* () {});
    const tb = b.spawn('t', function* () {});
    const pa = a.ram.alloc();
    const pb = b.ram.alloc();
    const cost = b.enableCost();
    cost.reset();
    cost.begin();
    getPage(a, ta, pa);
    putPage(a, ta, pa);
    getPage(b, tb, pb);
    putPage(b, tb, pb);
    expect(cost.snapshot().atomics).toBe(2); // the counted path ran: one RMW per get and per put
    expect(a.memmap.refcount(pa)).toBe(b.memmap.refcount(pb));
  });

  it('takes and declines the fused path exactly where it may', () => {
    const k = createKernel();
    const pfn = k.ram.alloc();
    expect(k.memmap.flags(pfn) & PG_TAIL).toBe(0);
    expect(k.memmap.tryFastGet(pfn, 0)).toBe(true);
    expect(k.memmap.tryFastPut(pfn, 1, 0)).toBe(true);
    // a put that would reach zero is declined, unchanged
    expect(k.memmap.tryFastPut(pfn, 1, 0)).toBe(false);
    expect(k.memmap.refcount(pfn)).toBe(1);
  });
});
