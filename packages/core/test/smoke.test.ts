import { describe, expect, it } from 'vitest';
import { createMm, FOLL_WRITE, mmap, munmap, pinUserPages, unpinUserPage, userAccess } from '../src/index';
import { legacyPolicy, runAlone, setup, zeroBasedPolicy } from './helpers';

describe('smoke', () => {
  for (const [name, mk] of [
    ['1based', legacyPolicy],
    ['0based', zeroBasedPolicy],
  ] as const) {
    it(`${name}: map, pin, truncate waits, unpin`, () => {
      const { k, fs } = setup(mk());
      const f = fs.create('a', 4096 * 4);
      const mm = createMm(k);
      const addr = runAlone(k, 'map', (t) => mmap(k, t, mm, { file: f, length: 4096 * 4 }));
      const r = runAlone(k, 'touch', (t) => userAccess(k, t, mm, addr, true, new Uint8Array([1, 2, 3])));
      expect(r.ok).toBe(true);
      const pin = runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, addr, 1, FOLL_WRITE));
      expect(pin.err).toBe(0);
      const pfn = pin.pfns[0]!;
      const trunc = k.spawn('trunc', (t) => fs.truncate(k, t, f, 0));
      expect(k.sched.runTask(trunc)).toBe('blocked');
      const unpin = k.spawn('unpin', function* (t) {
        unpinUserPage(k, t, pfn);
      });
      k.sched.runTask(unpin);
      expect(trunc.state).toBe('runnable');
      expect(k.sched.runTask(trunc)).toBe('done');
      runAlone(k, 'unmap', (t) => munmap(k, t, mm, addr, 4096 * 4));
      expect(k.violations).toEqual([]);
      expect(k.memmap.refcount(pfn)).toBe(name === '1based' ? 1 : 0);
    });
  }
});
