import { describe, expect, it } from 'vitest';
import { PercpuRef, PgmapRegistry } from '../src/index';

describe('percpu_ref', () => {
  it('counts per CPU, switches to atomic on kill, fails tryget_live once dying, releases at zero', () => {
    let released = 0;
    const r = new PercpuRef('r', 2, 1, () => released++);
    r.getMany(0, 5);
    r.putMany(1, 2); // per-CPU counters may go negative individually
    expect(r.pcpu[1]).toBe(-2);
    expect(r.count()).toBe(1 + 3);
    expect(r.tryGetLive(0)).toBe(true);
    r.kill(0);
    expect(r.atomicMode).toBe(true);
    expect(r.atomic).toBe(4); // 1 + 5 - 2 + 1 - the initial ref
    expect(r.tryGetLive(0)).toBe(false);
    expect(r.tryGet(0)).toBe(true); // not yet released
    r.putMany(0, 4);
    expect(released).toBe(0);
    r.putMany(1, 1);
    expect(released).toBe(1);
    expect(() => r.putMany(0, 1)).toThrow(/negative/);
  });
});

describe('get_dev_pagemap', () => {
  it('looks up, takes a live ref, reuses a covering cached pgmap, drops a non-covering one', () => {
    const reg = new PgmapRegistry();
    const a = reg.add('fsdax', 0, 1024, 2, 'a');
    const b = reg.add('fsdax', 1024, 1024, 2, 'b');
    expect(() => reg.add('fsdax', 512, 1024, 2, 'c')).toThrow(/overlaps/);
    const p = reg.getDevPagemap(10, null, 0);
    expect(p).toBe(a);
    expect(a.ref.count()).toBe(2);
    expect(reg.getDevPagemap(20, p, 0)).toBe(a);
    expect(a.ref.count()).toBe(2); // cached: no new reference
    const q = reg.getDevPagemap(1500, p, 0);
    expect(q).toBe(b);
    expect(a.ref.count()).toBe(1);
    expect(b.ref.count()).toBe(2);
    b.ref.kill(0);
    expect(reg.getDevPagemap(1500, null, 0)).toBeNull(); // dying: tryget_live fails
    expect(reg.getDevPagemap(5000, null, 0)).toBeNull();
  });
});

describe('pgmap registry', () => {
  it('forgets removed pgmaps and reuses their ids lowest first', () => {
    const reg = new PgmapRegistry();
    const a = reg.add('fsdax', 0, 1024, 2, 'a');
    const b = reg.add('fsdax', 1024, 1024, 2, 'b');
    reg.remove(a);
    expect(reg.lookup(10)).toBeNull();
    expect(reg.all()).toEqual([b]);
    const c = reg.add('fsdax', 0, 512, 2, 'c');
    expect(c.id).toBe(a.id);
    expect(reg.get(c.id)).toBe(c);
    expect(() => reg.remove(a)).toThrow(/not registered/);
  });
});
