import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OracleError } from './errors';
import { whichCommand } from './host';
import type { KernelImage } from './kernels';

/** One test the guest runs in a boot: the daxtest subcommand, its arguments and its watchdog. */
export interface GuestTest {
  /** The result id (the scenario id, or a scenario id with a configuration suffix). */
  id: string;
  /** daxtest subcommand. */
  test: string;
  args: string[];
  /** In-guest watchdog, seconds. */
  timeoutSec: number;
}

/** One boot: the filesystem options and the tests, run in order. */
export interface BootPlan {
  name: string;
  rmapbt: boolean;
  tests: GuestTest[];
}

/** The modules a boot loads (with their dependencies), in this order; absent ones are built in. */
export const GUEST_MODULES: readonly string[] = [
  'crc32c_generic', // xfs's libcrc32c asks for "crc32c" (a separate module on <= 6.12)
  'libcrc32c',
  'nfit',
  'libnvdimm',
  'nd_btt',
  'nd_pmem',
  'dax_pmem',
  'xfs',
  'dm_mod',
  'dm_delay',
  'brd',
];

/** Module arguments. */
const MODULE_ARGS: Record<string, string> = { brd: 'rd_nr=1 rd_size=16384' };

/** Kprobes of KERNEL-ORACLE.md "Evidence"; a probe whose symbol a kernel lacks is skipped. */
export const KPROBES: readonly string[] = [
  'r:daxbusyret dax_layout_busy_page_range $retval',
  'p:biorelease __bio_release_pages',
  'r:pinret pin_user_pages $retval',
  'p:freedev free_zone_device_folio',
  'p:freedev free_zone_device_page',
  'p:putdevmap __put_devmap_managed_page_refs',
  'p:putdevmap __put_devmap_managed_folio_refs',
];

const norm = (n: string) => n.replace(/-/g, '_');

/** The module files to load, dependencies first, from a `modules.dep` text. Unknown names are skipped (built in). */
export function moduleClosure(depText: string, wanted: readonly string[]): string[] {
  const deps = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const line of depText.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const file = line.slice(0, i).trim();
    deps.set(
      file,
      line
        .slice(i + 1)
        .trim()
        .split(/\s+/)
        .filter(Boolean),
    );
    byName.set(norm(basename(file).replace(/\.ko(\.(xz|zst|gz))?$/, '')), file);
  }
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    // modules.dep lists a module's dependencies nearest first; load the farthest first.
    for (const d of [...(deps.get(file) ?? [])].reverse()) visit(d);
    out.push(file);
  };
  for (const w of wanted) {
    const f = byName.get(norm(w));
    if (f) visit(f);
  }
  return out;
}

/** The guest's /init: set up the NVDIMM namespace, xfs, dm-delay and kprobes, then run each test. */
export function initScript(plan: BootPlan, modules: readonly string[]): string {
  const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = [
    '#!/bin/busybox sh',
    '/bin/busybox --install -s /bin',
    'export PATH=/bin:/sbin:/usr/bin:/usr/sbin',
    'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev',
    'mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null',
    'fail() { echo "DAXTEST SETUP-FAILED $1"; dmesg | tail -20; poweroff -f; sleep 30; }',
    'echo "DAXTEST STAGE modules"',
    ...modules.map((m) => {
      const name = norm(basename(m).replace(/\.ko(\.(xz|zst|gz))?$/, ''));
      return `insmod /lib/modules/${basename(m).replace(/\.(xz|zst|gz)$/, '')} ${MODULE_ARGS[name] ?? ''} || echo "DAXTEST SETUP-WARN insmod ${name} failed"`;
    }),
    'echo 1 > /proc/sys/kernel/sysrq',
    'echo "DAXTEST STAGE namespace"',
    'i=0; while [ ! -e /sys/bus/nd/devices/namespace0.0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done',
    'ndctl create-namespace -f -e namespace0.0 -m fsdax -a 2M > /tmp/ns.json 2>&1 || { cat /tmp/ns.json; fail ndctl; }',
    'i=0; while [ ! -b /dev/pmem0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done',
    `mkfs.xfs -f -q -m reflink=1,rmapbt=${plan.rmapbt ? 1 : 0} /dev/pmem0 || fail mkfs`,
    'mkdir -p /mnt && mount -t xfs -o dax=always /dev/pmem0 /mnt || fail mount',
    'echo "DAXTEST STAGE dm-delay"',
    'daxtest fill /dev/ram0 0xd5 || fail fill',
    'dmsetup create daxdelay --table "0 32768 delay /dev/ram0 0 5000" || fail dmsetup',
    'dmsetup mknodes; [ -b /dev/mapper/daxdelay ] || fail dm-node',
    'T=/sys/kernel/tracing',
    ...KPROBES.map((k) => `echo ${sh(k)} >> $T/kprobe_events 2>/dev/null`),
    'for e in $T/events/kprobes/*/enable; do [ -e "$e" ] && echo 1 > "$e"; done',
    'echo 64 > $T/buffer_size_kb 2>/dev/null',
    'traces() { grep -v "^#" $T/trace 2>/dev/null | head -40 | sed "s/^/ORACLE trace: /"; echo > $T/trace; }',
    `echo "DAXTEST READY rmapbt=${plan.rmapbt ? 1 : 0} uptime=$(cut -d' ' -f1 /proc/uptime)"`,
    'echo > $T/trace',
    ...plan.tests.flatMap((t) => [
      `daxtest run ${t.timeoutSec} ${sh(t.id)} ${t.args.map(sh).join(' ')}`,
      'traces',
    ]),
    'echo "DAXTEST ALL-DONE"',
    'poweroff -f',
    'sleep 30',
    '',
  ];
  return lines.join('\n');
}

/** The guest program's source, shipped with the package. */
export function guestSource(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const cands = [join(here, '..', 'guest', 'daxtest.c'), join(here, 'guest', 'daxtest.c')];
  try {
    // When bundled into another package's dist, find the package itself.
    const pj = createRequire(import.meta.url).resolve('@daxref/kernel-oracle/package.json');
    cands.push(join(dirname(pj), 'guest', 'daxtest.c'));
  } catch {
    // not resolvable from here: the relative candidates are all there is
  }
  for (const p of cands) {
    if (existsSync(p)) return p;
  }
  throw new OracleError('BUILD', 'guest/daxtest.c not found beside the package');
}

function run(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer } = {}) {
  return spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, maxBuffer: 256 << 20 });
}

/** Builds the static guest program once per source version: `<cache>/guest/daxtest-<hash>`. */
export function buildGuest(cacheDir: string): string {
  const src = guestSource();
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12);
  const out = join(cacheDir, 'guest', `daxtest-${hash}`);
  if (existsSync(out)) return out;
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const r = run('gcc', ['-static', '-O2', '-pthread', '-o', tmp, src]);
  if (r.status !== 0) {
    const first =
      r.stderr
        .toString()
        .split('\n')
        .find((l) => /error/.test(l)) ?? r.stderr.toString().trim();
    throw new OracleError('BUILD', `gcc -static daxtest.c failed (install libc6-dev): ${first}`);
  }
  renameSync(tmp, out);
  return out;
}

/** The shared libraries (and the loader) a dynamic binary needs, from ldd. */
function sharedLibs(bin: string): string[] {
  const r = spawnSync('ldd', [bin], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  const libs: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

function copyWithPath(src: string, root: string): void {
  const dst = join(root, src);
  if (existsSync(dst)) return;
  mkdirSync(dirname(dst), { recursive: true });
  copyFileSync(src, dst);
}

/** Decompresses a module file into `dst` (busybox insmod takes plain .ko). */
function unpackModule(src: string, dst: string): void {
  if (src.endsWith('.ko')) {
    copyFileSync(src, dst);
    return;
  }
  const tool = src.endsWith('.xz') ? 'xz' : src.endsWith('.zst') ? 'zstd' : 'gzip';
  const r = spawnSync(tool, ['-d', '-c', src], { maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new OracleError('BUILD', `${tool} -d ${src} failed`);
  writeFileSync(dst, r.stdout);
}

/** Builds a gzip'd newc initramfs for one boot into `out`. */
export function buildInitramfs(opts: {
  kernel: KernelImage;
  plan: BootPlan;
  guest: string;
  workDir: string;
  out: string;
}): void {
  const root = join(opts.workDir, 'root');
  rmSync(root, { recursive: true, force: true });
  for (const d of ['bin', 'sbin', 'proc', 'sys', 'dev', 'mnt', 'tmp', 'lib/modules', 'etc', 'run']) {
    mkdirSync(join(root, d), { recursive: true });
  }
  const busybox = whichCommand('busybox');
  if (!busybox)
    throw new OracleError('MISSING_TOOL', 'busybox not found; install the Debian package busybox-static');
  copyFileSync(busybox, join(root, 'bin', 'busybox'));
  copyFileSync(opts.guest, join(root, 'bin', 'daxtest'));
  for (const tool of ['ndctl', 'mkfs.xfs', 'dmsetup']) {
    const p = whichCommand(tool);
    if (!p) throw new OracleError('MISSING_TOOL', `${tool} not found`);
    copyFileSync(p, join(root, 'bin', tool));
    for (const lib of sharedLibs(p)) copyWithPath(lib, root);
  }
  let modules: string[] = [];
  if (opts.kernel.modulesDir !== null) {
    const dep = readFileSync(join(opts.kernel.modulesDir, 'modules.dep'), 'utf8');
    modules = moduleClosure(dep, GUEST_MODULES);
    for (const m of modules) {
      unpackModule(
        join(opts.kernel.modulesDir, m),
        join(root, 'lib', 'modules', basename(m).replace(/\.(xz|zst|gz)$/, '')),
      );
    }
  }
  writeFileSync(join(root, 'init'), initScript(opts.plan, modules));
  chmodSync(join(root, 'init'), 0o755);
  symlinkSync('/proc/mounts', join(root, 'etc', 'mtab'));
  const list = run('sh', ['-c', 'find . | cpio -o -H newc --quiet | gzip -1'], { cwd: root });
  if (list.status !== 0) throw new OracleError('BUILD', `cpio failed: ${list.stderr.toString().trim()}`);
  writeFileSync(opts.out, list.stdout);
  rmSync(root, { recursive: true, force: true });
}
