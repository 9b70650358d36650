import { spawnSync } from 'node:child_process';
import { OracleError } from './errors';

/** A host tool the oracle runs, and the Debian package that provides it. */
export interface HostTool {
  command: string;
  pkg: string;
  /** What it is for, for the error message. */
  use: string;
}

/** Every host tool a run needs (KERNEL-ORACLE.md "Sizes"): about 94 MB installed. */
export const HOST_TOOLS: readonly HostTool[] = [
  { command: 'qemu-system-x86_64', pkg: 'qemu-system-x86', use: 'boots the kernel' },
  { command: 'busybox', pkg: 'busybox-static', use: 'the initramfs shell' },
  { command: 'mkfs.xfs', pkg: 'xfsprogs', use: 'formats the fsdax namespace' },
  { command: 'ndctl', pkg: 'ndctl', use: 'creates the fsdax namespace' },
  { command: 'dmsetup', pkg: 'dmsetup', use: 'builds the dm-delay "DMA" device' },
  { command: 'cpio', pkg: 'cpio', use: 'packs the initramfs' },
  { command: 'depmod', pkg: 'kmod', use: "indexes a kernel package's modules" },
  { command: 'xz', pkg: 'xz-utils', use: 'unpacks .ko.xz modules' },
  { command: 'zstd', pkg: 'zstd', use: 'unpacks .ko.zst modules' },
  { command: 'gcc', pkg: 'gcc', use: 'builds the static guest program' },
  { command: 'apt-get', pkg: 'apt', use: 'downloads kernel packages' },
  { command: 'dpkg-deb', pkg: 'dpkg', use: 'unpacks kernel packages' },
];

/** Packages beyond the commands' own: headers and the static libc the guest program links against. */
export const EXTRA_PACKAGES: readonly string[] = ['libc6-dev', 'linux-libc-dev'];

/** True when `command` is on PATH (or in /usr/sbin, /sbin, where Debian keeps depmod and mkfs). */
export function hasCommand(command: string): boolean {
  return whichCommand(command) !== null;
}

/** The path of `command`, searching PATH plus /usr/sbin and /sbin. */
export function whichCommand(command: string): string | null {
  const path = `${process.env.PATH ?? ''}:/usr/sbin:/sbin:/usr/bin:/bin`;
  const r = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', command], {
    encoding: 'utf8',
    env: { ...process.env, PATH: path },
  });
  const out = r.stdout.trim();
  return r.status === 0 && out !== '' ? out : null;
}

/** The tools that are missing. */
export function missingTools(tools: readonly HostTool[] = HOST_TOOLS): HostTool[] {
  return tools.filter((t) => !hasCommand(t.command));
}

/** Throws a one-line MISSING_TOOL error naming the first missing tool's package (and all of them). */
export function checkHostTools(tools: readonly HostTool[] = HOST_TOOLS): void {
  const missing = missingTools(tools);
  if (missing.length === 0) return;
  const first = missing[0]!;
  const pkgs = [...new Set(missing.map((t) => t.pkg))].join(' ');
  throw new OracleError(
    'MISSING_TOOL',
    `${first.command} not found (${first.use}); install the Debian package ${first.pkg} (all missing: ${pkgs}), or rerun with --install-deps`,
  );
}

/** `apt-get install` of every missing tool's package plus the guest program's headers (needs root). */
export function installHostTools(log: (line: string) => void = () => {}): void {
  const pkgs = [...new Set([...missingTools().map((t) => t.pkg), ...EXTRA_PACKAGES])];
  log(`installing: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const upd = spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', env });
  const r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    env,
  });
  if (upd.error || r.status !== 0) {
    const why = r.stderr?.trim().split('\n').pop() ?? upd.error?.message ?? 'failed';
    throw new OracleError('MISSING_TOOL', `apt-get install ${pkgs.join(' ')} failed: ${why}`);
  }
}
