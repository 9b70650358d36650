import { describe, expect, it } from 'vitest';
import {
  bootCapMs,
  bootStatus,
  checkHostTools,
  GUEST_MODULES,
  initScript,
  moduleClosure,
  parseConsole,
} from '../src/index';

const DEP = [
  'kernel/drivers/md/dm-delay.ko.xz: kernel/drivers/md/dm-mod.ko.xz',
  'kernel/drivers/md/dm-mod.ko.xz:',
  'kernel/fs/xfs/xfs.ko.xz: kernel/lib/libcrc32c.ko.xz',
  'kernel/lib/libcrc32c.ko.xz:',
  'kernel/drivers/nvdimm/nd_pmem.ko.xz: kernel/drivers/nvdimm/nd_btt.ko.xz kernel/drivers/nvdimm/libnvdimm.ko.xz',
  'kernel/drivers/nvdimm/nd_btt.ko.xz: kernel/drivers/nvdimm/libnvdimm.ko.xz',
  'kernel/drivers/nvdimm/libnvdimm.ko.xz:',
  'kernel/drivers/acpi/nfit/nfit.ko.xz: kernel/drivers/nvdimm/libnvdimm.ko.xz',
  'kernel/drivers/block/brd.ko.xz:',
].join('\n');

describe('moduleClosure', () => {
  it('loads every dependency before its user, once, and skips built-in modules', () => {
    const order = moduleClosure(DEP, GUEST_MODULES).map((f) => f.split('/').pop());
    expect(new Set(order).size).toBe(order.length);
    const before = (a: string, b: string) => expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
    before('libnvdimm.ko.xz', 'nfit.ko.xz');
    before('nd_btt.ko.xz', 'nd_pmem.ko.xz');
    before('libcrc32c.ko.xz', 'xfs.ko.xz');
    before('dm-mod.ko.xz', 'dm-delay.ko.xz');
    expect(order).toContain('brd.ko.xz');
    expect(order).not.toContain('dax_pmem.ko.xz'); // not in this modules.dep: built in
  });
});

describe('initScript', () => {
  it('formats xfs with the plan rmapbt and runs each test under its watchdog in order', () => {
    const s = initScript(
      {
        name: 'x',
        rmapbt: true,
        tests: [
          { id: 'a', test: 'a', args: [], timeoutSec: 60 },
          { id: 'b+rmapbt0', test: 'b', args: ['iterations=5'], timeoutSec: 45 },
        ],
      },
      ['kernel/drivers/block/brd.ko.xz'],
    );
    expect(s).toContain('mkfs.xfs -f -q -m reflink=1,rmapbt=1 /dev/pmem0');
    expect(s).toContain('mount -t xfs -o dax=always /dev/pmem0 /mnt');
    expect(s).toContain('insmod /lib/modules/brd.ko rd_nr=1 rd_size=16384');
    expect(s).toContain('0 32768 delay /dev/ram0 0 5000');
    expect(s.indexOf("daxtest run 60 'a'")).toBeLessThan(
      s.indexOf("daxtest run 45 'b+rmapbt0' 'iterations=5'"),
    );
  });
});

describe('boot status and cap', () => {
  it('classifies a boot from its console and how it ended', () => {
    expect(bootStatus(parseConsole('DAXTEST SETUP-FAILED mkfs'), 'poweroff')).toBe('boot-failed');
    const ok = parseConsole('DAXTEST READY uptime=1\nDAXTEST ALL-DONE');
    expect(bootStatus(ok, 'poweroff')).toBe('ok');
    expect(bootStatus(ok, 'cap')).toBe('timeout');
    const oops = parseConsole('DAXTEST READY uptime=1\nDAXTEST BEGIN t\n[ 2.0] Oops: 0002 [#1] PREEMPT SMP');
    expect(bootStatus(oops, 'cap')).toBe('oops');
  });

  it('caps a boot above the sum of its watchdogs', () => {
    const plan = { name: 'p', rmapbt: false, tests: [{ id: 'a', test: 'a', args: [], timeoutSec: 60 }] };
    expect(bootCapMs(plan)).toBeGreaterThan(60_000);
  });
});

describe('host tools', () => {
  it('names the Debian package of a missing tool in one line', () => {
    expect(() =>
      checkHostTools([{ command: 'daxref-no-such-tool', pkg: 'daxref-pkg', use: 'testing' }]),
    ).toThrow(/^daxref-no-such-tool not found \(testing\); install the Debian package daxref-pkg/);
    expect(() => checkHostTools([{ command: 'sh', pkg: 'dash', use: 'shell' }])).not.toThrow();
  });
});
