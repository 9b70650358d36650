import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootStatus, kernelEvent, parseConsole, parseFields, realVerdict } from '../src/index';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'latin1');

describe('parseConsole on a recorded 6.12.95 boot', () => {
  const p = parseConsole(fixture('console-6.12-dma.log'));

  it('sees the setup finish and both tests run', () => {
    expect(p.ready).toBe(true);
    expect(p.readyUptime).toBeCloseTo(9.84);
    expect(p.allDone).toBe(true);
    expect(p.tests.map((t) => t.id)).toEqual(['truncate-during-dma', 'munmap-then-truncate-dma']);
  });

  it('reads each RESULT line', () => {
    const [a, b] = p.tests;
    expect(a!.verdict).toBe('pass');
    expect(a!.kinds).toEqual([]);
    expect(a!.fields.returned_after_dma_s).toBe('0.011');
    expect(b!.verdict).toBe('fail');
    expect(b!.kinds).toEqual(['dma-corruption']);
    expect(b!.fields.dma_bytes_in_new_owner).toBe('4096');
  });

  it('attributes the kernel WARN to the test that was running, not to the one before', () => {
    expect(p.tests[0]!.events).toEqual([]);
    expect(p.tests[1]!.events.map((e) => e.kind)).toEqual(['warn']);
    expect(p.tests[1]!.events[0]!.line).toContain('dax_disassociate_entry');
  });

  it('keeps the sleeping task stack as evidence', () => {
    expect(p.tests[0]!.evidence.some((l) => l.includes('xfs_break_dax_layouts'))).toBe(true);
  });

  it('maps to real verdicts: the WARN joins the guest kinds', () => {
    expect(realVerdict(p.tests[0], false)).toMatchObject({ verdict: 'pass', kinds: [] });
    expect(realVerdict(p.tests[1], false)).toMatchObject({
      verdict: 'fail',
      kinds: ['dma-corruption', 'warn'],
    });
  });
});

describe('parseConsole on synthetic consoles', () => {
  it('fails a guest pass when the kernel printed a WARN during the test', () => {
    const p = parseConsole(
      [
        'DAXTEST READY rmapbt=0 uptime=7.1',
        'DAXTEST BEGIN reflink-shared-block',
        '[   20.1] WARNING: CPU: 0 PID: 192 at fs/dax.c:380 dax_insert_entry+0x227/0x320',
        'DAXTEST RESULT reflink-shared-block verdict=pass kinds=- truncate_b_s=0.002',
        'DAXTEST END reflink-shared-block',
        'DAXTEST ALL-DONE',
      ].join('\r\n'),
    );
    expect(realVerdict(p.tests[0], false)).toMatchObject({ verdict: 'fail', kinds: ['warn'] });
  });

  it('reads a RESULT line that a kernel message interrupted mid-line', () => {
    const p = parseConsole(
      [
        'DAXTEST READY uptime=7',
        'DAXTEST BEGIN truncate-during-dma',
        '[ 9.0] random: crng init doneDAXTEST RESULT truncate-during-dma verdict=fail kinds=missed-wakeup blocked_after_dma_s=5',
      ].join('\n'),
    );
    expect(p.tests[0]!.verdict).toBe('fail');
    expect(p.tests[0]!.kinds).toEqual(['missed-wakeup']);
  });

  it('an oops with no result line is a fail, not a crash; an unreached test is inconclusive', () => {
    const p = parseConsole(
      [
        'DAXTEST READY uptime=7',
        'DAXTEST BEGIN unbind-while-mapped+rmapbt0',
        '[  30.2] BUG: unable to handle page fault for address: fffa4de944088388',
        '[  30.2] Oops: Oops: 0000 [#1] SMP NOPTI',
        '[  57.0] watchdog: BUG: soft lockup - CPU#0 stuck for 27s! [daxtest:664]',
      ].join('\n'),
    );
    const v = realVerdict(p.tests[0], true);
    expect(v.verdict).toBe('fail');
    expect(v.kinds).toEqual(['oops', 'livelock']);
    expect(realVerdict(undefined, true)).toMatchObject({ verdict: 'inconclusive' });
  });

  it('reports a setup failure and no readiness', () => {
    const p = parseConsole('DAXTEST STAGE namespace\nDAXTEST SETUP-FAILED ndctl\n');
    expect(p.ready).toBe(false);
    expect(p.setupFailed).toBe('ndctl');
  });
});

describe('small parsers', () => {
  it('classifies kernel lines', () => {
    expect(
      kernelEvent('[ 1.0] WARNING: CPU: 1 PID: 181 at fs/dax.c:398 dax_disassociate_entry+0x87/0xb0')?.kind,
    ).toBe('warn');
    expect(kernelEvent('[ 1.0] Oops: 0002 [#1] PREEMPT SMP NOPTI')?.kind).toBe('oops');
    expect(kernelEvent('[ 1.0] Kernel panic - not syncing: Fatal exception')?.kind).toBe('panic');
    expect(kernelEvent('[ 1.0] xfs: loading')).toBeNull();
    expect(kernelEvent('DAXTEST [ 1.0] T2: WARNING: CPU: 1 PID: 1 at x')).toBeNull();
  });

  it('parses key=value fields with quoted values', () => {
    expect(parseFields(' a=1 error="open x: No such file" b=yes')).toEqual({
      a: '1',
      error: 'open x: No such file',
      b: 'yes',
    });
  });
});

describe('recorded 6.1.176 consoles (audits/real-kernels.md †A and unbind-while-pinned)', () => {
  it('a missed wake-up: the guest verdict and the kprobe evidence (bio release, then no wake)', () => {
    const p = parseConsole(fixture('console-6.1-missed-wakeup.log'));
    const t = p.tests[0]!;
    expect(realVerdict(t, false)).toMatchObject({ verdict: 'fail', kinds: ['missed-wakeup'] });
    expect(t.evidence.some((l) => l.includes('found its wait condition already true'))).toBe(true);
    expect(t.evidence.some((l) => /ORACLE trace: .*biorelease: \(__bio_release_pages/.test(l))).toBe(true);
  });

  it('an oops in the middle of a test: fail with use-after-free, the WARN and the oops, the boot status is oops', () => {
    const p = parseConsole(fixture('console-6.1-unbind-while-pinned.log'));
    const t = p.tests[0]!;
    expect(t.ended).toBe(true);
    expect(realVerdict(t, false)).toMatchObject({
      verdict: 'fail',
      kinds: ['use-after-free', 'warn', 'oops'],
    });
    expect(t.evidence.some((l) => l.includes('BUG: unable to handle page fault'))).toBe(true);
    expect(bootStatus(p, 'poweroff')).toBe('oops');
  });
});

describe('a recorded 6.18.15 console: the reflink wait that only munmap(a) ends', () => {
  it('is a hang, with the sleeper in xfs_wait_dax_page and the release after munmap(a)', () => {
    const p = parseConsole(fixture('console-6.18-reflink-hang.log'));
    const t = p.tests[0]!;
    expect(t.id).toBe('reflink-truncate-getholder');
    expect(realVerdict(t, false)).toMatchObject({ verdict: 'fail', kinds: ['hang'] });
    expect(t.fields.released_by_munmap_of_a).toBe('yes');
    expect(t.evidence.some((l) => l.includes('wchan=xfs_wait_dax_page'))).toBe(true);
    expect(t.evidence.some((l) => /freedev: \(free_zone_device_folio/.test(l))).toBe(true);
  });
});
