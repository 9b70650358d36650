import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, createWriteStream, ftruncateSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How a boot ended. */
export type BootEnd = 'poweroff' | 'cap' | 'stalled' | 'interrupted';

/** One boot's outcome: the console text and the wall time. */
export interface BootResult {
  console: string;
  ms: number;
  end: BootEnd;
}

/** The QEMU command line of KERNEL-ORACLE.md "Booting": TCG, 2 vCPUs, 2 GiB, one emulated NVDIMM. */
export function qemuArgs(bzImage: string, initrd: string, backing: string, append: string): string[] {
  return [
    '-machine',
    'pc,nvdimm=on',
    '-accel',
    'tcg,thread=multi',
    '-cpu',
    'max',
    '-smp',
    '2',
    '-m',
    '2G,slots=2,maxmem=8G',
    '-object',
    `memory-backend-file,id=mem1,share=on,mem-path=${backing},size=2G,align=2M`,
    '-device',
    'nvdimm,id=nv1,memdev=mem1',
    '-kernel',
    bzImage,
    '-initrd',
    initrd,
    '-append',
    append,
    '-display',
    'none',
    '-vga',
    'none',
    '-nodefaults',
    '-serial',
    'stdio',
    '-monitor',
    'none',
    '-no-reboot',
  ];
}

/** The kernel command line. */
// Under TCG on a loaded host the TSC calibration can be off by 17x (seen: "PIT calibration deviates
// from HPET: 149877 2593908"), which makes guest time run fast; HPET follows the host clock.
export const APPEND = 'console=ttyS0 rdinit=/init panic=-1 loglevel=5 nokaslr tsc=unstable clocksource=hpet';

const live = new Set<ChildProcess>();
const backings = new Set<string>();
let hooked = false;

/** Registers a temporary directory to delete on exit or on a signal (an initramfs work directory). */
export function trackTempDir(dir: string): void {
  backings.add(dir);
}

/** Deletes a temporary directory now and forgets it. */
export function releaseTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  backings.delete(dir);
}

/** Kills every QEMU this process started and deletes every backing file (used on exit and on a signal). */
export function cleanupAll(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const b of backings) rmSync(b, { recursive: true, force: true });
  backings.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      cleanupAll();
      process.stderr.write(`daxref: interrupted (${sig}); QEMU stopped, backing file removed\n`);
      process.exit(130);
    });
  }
}

/**
 * Boots a kernel under QEMU: streams the console line by line to `onLine`, kills QEMU at the wall
 * cap, when the console has been silent for `stallMs` after the guest said it is done, or when
 * `stop()` is called. The sparse 2 GiB backing file lives only for the boot.
 */
export function boot(opts: {
  qemu?: string;
  bzImage: string;
  initrd: string;
  capMs: number;
  logFile?: string;
  onLine?: (line: string) => void;
  /** Return true to stop the boot after this line (e.g. the guest printed its last marker). */
  doneAfter?: (line: string) => boolean;
}): Promise<BootResult> {
  hook();
  const dir = mkdtempSync(join(tmpdir(), 'daxref-oracle-'));
  backings.add(dir);
  const backing = join(dir, 'nvdimm.img');
  const fd = openSync(backing, 'w');
  ftruncateSync(fd, 2 << 30);
  closeSync(fd);
  const t0 = performance.now();
  const child = spawn(
    opts.qemu ?? 'qemu-system-x86_64',
    qemuArgs(opts.bzImage, opts.initrd, backing, APPEND),
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  live.add(child);
  const log = opts.logFile ? createWriteStream(opts.logFile) : null;
  const chunks: string[] = [];
  let partial = '';
  let end: BootEnd = 'poweroff';
  let doneTimer: NodeJS.Timeout | null = null;
  const kill = (why: BootEnd) => {
    if (child.exitCode === null && child.signalCode === null) {
      end = why;
      child.kill('SIGKILL');
    }
  };
  const cap = setTimeout(() => kill('cap'), opts.capMs);
  const feed = (text: string) => {
    chunks.push(text);
    log?.write(text);
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const raw of lines) {
      const line = raw.replace(/\r$/, '');
      opts.onLine?.(line);
      if (opts.doneAfter?.(line) && doneTimer === null) {
        // The guest is done; give poweroff a few seconds (a soft-locked CPU can block it).
        doneTimer = setTimeout(() => kill('stalled'), 8000);
      }
    }
  };
  child.stdout!.setEncoding('latin1').on('data', feed);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(cap);
      live.delete(child);
      rmSync(dir, { recursive: true, force: true });
      backings.delete(dir);
      reject(e);
    });
    child.on('close', () => {
      clearTimeout(cap);
      if (doneTimer) clearTimeout(doneTimer);
      live.delete(child);
      rmSync(dir, { recursive: true, force: true });
      backings.delete(dir);
      if (partial) feed('\n');
      log?.end();
      if (stderr.trim()) chunks.push(`\nQEMU stderr: ${stderr.trim()}\n`);
      resolve({ console: chunks.join(''), ms: Math.round(performance.now() - t0), end });
    });
  });
}
