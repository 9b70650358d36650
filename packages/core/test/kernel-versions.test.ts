// The DAX-fs mechanisms that differ between kernel versions (audits/kernel-source-audit.md,
// audits/real-kernels.md): the busy scan past a locked entry, 6.15's delete after break_layout,
// the evict WARN of a filesystem without dax_break_layout_final, the pre-remove outcome, and the
// 6.2–6.14 GUP unshare loop.
import { describe, expect, it } from 'vitest';
import {
  createMm,
  DaxFs,
  exitMmap,
  FOLL_WRITE,
  mmap,
  pinUserPages,
  unpinUserPages,
  userAccess,
  xfsPreRemoveOutcome,
} from '../src/index';
import { legacyPolicy, runAlone, setup, zeroBasedPolicy } from './helpers';

function pinnedFile(caps: Parameters<typeof legacyPolicy>[0]) {
  const env = setup(legacyPolicy(caps));
  const { k, fs } = env;
  const a = fs.create('a', 4096);
  const mm = createMm(k);
  const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: a, length: 4096 }));
  runAlone(k, 'fault', (t) => userAccess(k, t, mm, addr, true, new Uint8Array([1])));
  const pfns = runAlone(k, 'pin', (t) => pinUserPages(k, t, mm, addr, 1, FOLL_WRITE)).pfns;
  return { ...env, a, mm, addr, pfns };
}

describe('busy scan and a locked entry (6be3e21d25ca)', () => {
  for (const skips of [true, false]) {
    it(`${skips ? '≤6.14 skips' : '6.15 re-tests'} the entry fsync had locked`, () => {
      const { k, fs, a, pfns } = pinnedFile({ busyScanSkipsLocked: skips });
      const sync = k.spawn('fsync', (t) => fs.fsync(k, t, a));
      k.sched.stepTask(sync); // dax_writeback_one holds the entry lock across the flush
      expect(a.mapping.lookup(0)!.locked).toBe(true);
      const trunc = k.spawn('truncate', (t) => fs.truncate(k, t, a, 0));
      for (let i = 0; i < 50 && trunc.state !== 'blocked'; i++) k.sched.stepTask(trunc);
      expect(trunc.blocker?.fn).toBe('get_unlocked_entry'); // waits for fsync's entry lock
      expect(k.sched.runTask(sync)).toBe('done');
      const st = k.sched.runTask(trunc);
      if (skips) {
        // the pinned page was never tested: the block is freed under the pin
        expect(st).toBe('done');
        expect(a.blocks.size).toBe(0);
        expect(k.violations.map((v) => v.kind)).toEqual(['warn']);
      } else {
        expect(st).toBe('blocked'); // waits for the pinned page
        runAlone(k, 'unpin', function* (t) {
          unpinUserPages(k, t, pfns);
        });
        expect(k.sched.runTask(trunc)).toBe('done');
        expect(k.violations).toEqual([]);
      }
    });
  }
});

describe('6.15 dax_break_layout() deletes the entries it broke', () => {
  for (const deletes of [true, false]) {
    it(`punching one page ${deletes ? 'deletes every entry of the file' : 'deletes only the hole'}`, () => {
      const { k, fs } = setup(zeroBasedPolicy({ breakLayoutDeletes: deletes }));
      const a = fs.create('a', 3 * 4096);
      const mm = createMm(k);
      const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: a, length: 3 * 4096, offset: 0 }));
      for (let i = 0; i < 3; i++)
        runAlone(k, 'fault', (t) => userAccess(k, t, mm, addr + i * 4096, true, new Uint8Array([i])));
      expect(a.mapping.entries.size).toBe(3);
      runAlone(k, 'punch', (t) => fs.punchHole(k, t, a, 4096, 4096));
      expect(a.mapping.entries.size).toBe(deletes ? 0 : 2);
      expect(k.violations).toEqual([]);
    });
  }
});

describe('evict on a filesystem whose ->evict_inode skips dax_break_layout_final (6.15.0 FUSE)', () => {
  for (const breaks of [true, false]) {
    it(`${breaks ? 'xfs: quiet' : 'virtiofs: WARN in truncate_folio_batch_exceptionals'}`, () => {
      const { k, dax } = setup(zeroBasedPolicy({ breakLayoutDeletes: true }));
      const fs = new DaxFs(k, dax, { evictBreaksLayouts: breaks });
      const a = fs.create('a', 4096);
      const mm = createMm(k);
      const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: a, length: 4096 }));
      runAlone(k, 'fault', (t) => userAccess(k, t, mm, addr, true, new Uint8Array([1])));
      runAlone(k, 'exit', (t) => exitMmap(k, t, mm));
      runAlone(k, 'unlink', (t) => fs.unlink(k, t, a));
      runAlone(k, 'close', (t) => fs.close(k, t, a)); // the last reference: evict
      expect(a.evicted).toBe(true);
      expect(k.violations.map((v) => v.rule)).toEqual(
        breaks
          ? []
          : ['truncate_folio_batch_exceptionals: WARN_ON_ONCE(1) (a DAX entry outlived ->evict_inode)'],
      );
    });
  }
});

describe('the pre-remove outcome (xfsPreRemoveOutcome)', () => {
  it('no rmapbt: unsupported; rmapbt: kill; rmapbt, more than one AG, 6.14+ xfs: livelock', () => {
    const { k, dax } = setup(zeroBasedPolicy({ xfsNotifyRangeWraps: true }));
    expect(xfsPreRemoveOutcome(k, new DaxFs(k, dax, { rmapbt: false }))).toBe('unsupported');
    expect(xfsPreRemoveOutcome(k, new DaxFs(k, dax, { rmapbt: true, agCount: 1 }))).toBe('kill');
    expect(xfsPreRemoveOutcome(k, new DaxFs(k, dax, { rmapbt: true, agCount: 4 }))).toBe('livelock');
    const old = setup(zeroBasedPolicy());
    expect(xfsPreRemoveOutcome(old.k, new DaxFs(old.k, old.dax, { rmapbt: true, agCount: 4 }))).toBe('kill');
    expect(() => new DaxFs(k, dax, { agCount: 0 })).toThrow(/agCount must be a positive integer/);
  });
});

describe('block-device death (6.6+ fs_bdev_mark_dead)', () => {
  it('evicts the unused inodes only, shuts the filesystem down, and a later fault gets SIGBUS', () => {
    const { k, fs } = setup(zeroBasedPolicy());
    const open = fs.create('open', 4096);
    const idle = fs.create('idle', 4096);
    runAlone(k, 'w', (t) => fs.pwrite(k, t, idle, 0, new Uint8Array([1])));
    runAlone(k, 'close idle', (t) => fs.close(k, t, idle)); // cached, unused
    const mm = createMm(k);
    const addr = runAlone(k, 'mmap', (t) => mmap(k, t, mm, { file: open, length: 4096 }));
    runAlone(k, 'mark dead', (t) => fs.bdevMarkDead(k, t));
    expect(idle.evicted).toBe(true);
    expect(open.evicted).toBe(false);
    expect(fs.shutdown).toBe(true);
    const r = runAlone(k, 'fault', (t) => userAccess(k, t, mm, addr, true, new Uint8Array([2])));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.signal).toBe('SIGBUS');
  });
});
