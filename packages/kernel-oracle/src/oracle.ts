import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ParsedConsole, parseConsole, type RealVerdict, realVerdict, type TestReport } from './console';
import { type BootPlan, buildInitramfs } from './initramfs';
import type { KernelImage } from './kernels';
import { type BootEnd, boot, releaseTempDir, trackTempDir } from './qemu';

/** A boot's status in results/oracle.json. */
export type BootStatus = 'ok' | 'boot-failed' | 'timeout' | 'oops';

/** One boot of one kernel. */
export interface BootRecord {
  name: string;
  rmapbt: boolean;
  ms: number;
  status: BootStatus;
  end: BootEnd;
  readyUptime: number | null;
  /** Console log file, when kept. */
  log: string | null;
}

/** One test's outcome on one kernel. */
export interface TestOutcome {
  id: string;
  boot: string;
  real: RealVerdict;
  evidence: string[];
  /** Repetitions the test made (a race loop's iterations), else 1. */
  tries: number;
  ms: number;
}

/** One kernel's run: every boot and every test. */
export interface KernelRun {
  kernel: KernelImage;
  status: BootStatus;
  bootMs: number;
  boots: BootRecord[];
  tests: TestOutcome[];
}

/** The status of a boot from its end and its console. */
export function bootStatus(p: ParsedConsole, end: BootEnd): BootStatus {
  if (!p.ready) return 'boot-failed';
  const events = [...p.bootEvents, ...p.tests.flatMap((t) => t.events)];
  if (events.some((e) => e.kind === 'oops' || e.kind === 'panic')) return 'oops';
  if (end === 'cap') return 'timeout';
  return 'ok';
}

const RANK: Record<BootStatus, number> = { ok: 0, timeout: 1, oops: 2, 'boot-failed': 3 };

/** The wall cap of a boot: setup plus every test's watchdog, with slack for a slow shared machine. */
export function bootCapMs(plan: BootPlan): number {
  return (90 + plan.tests.reduce((s, t) => s + t.timeoutSec + 20, 0)) * 1000;
}

/** Runs every boot plan on one kernel, one boot at a time. */
export async function runKernel(opts: {
  kernel: KernelImage;
  plans: BootPlan[];
  guest: string;
  logDir?: string;
  onLine?: (line: string) => void;
  onBoot?: (plan: BootPlan, rec: BootRecord) => void;
}): Promise<KernelRun> {
  const boots: BootRecord[] = [];
  const tests: TestOutcome[] = [];
  for (const plan of opts.plans) {
    const work = mkdtempSync(join(tmpdir(), 'daxref-initramfs-'));
    trackTempDir(work);
    try {
      const initrd = join(work, 'initrd.gz');
      buildInitramfs({ kernel: opts.kernel, plan, guest: opts.guest, workDir: work, out: initrd });
      let log: string | null = null;
      if (opts.logDir) {
        mkdirSync(opts.logDir, { recursive: true });
        log = join(opts.logDir, `${opts.kernel.release}-${plan.name}.log`);
      }
      const begun = new Map<string, number>();
      const took = new Map<string, number>();
      const r = await boot({
        bzImage: opts.kernel.bzImage,
        initrd,
        capMs: bootCapMs(plan),
        logFile: log ?? undefined,
        onLine: (line) => {
          let m = /DAXTEST BEGIN (\S+)/.exec(line);
          if (m) begun.set(m[1]!, performance.now());
          m = /DAXTEST END (\S+)/.exec(line);
          if (m && begun.has(m[1]!)) took.set(m[1]!, performance.now() - begun.get(m[1]!)!);
          opts.onLine?.(line);
        },
        // After the last test's END only the kprobe dump and poweroff remain; a CPU soft-locked by
        // an oops can block both, so the boot is stopped a few seconds later.
        doneAfter: (line) =>
          line.includes('DAXTEST ALL-DONE') ||
          line.includes('DAXTEST SETUP-FAILED') ||
          line.includes(`DAXTEST END ${plan.tests.at(-1)?.id ?? ''}`),
      });
      const parsed = parseConsole(r.console);
      const status = bootStatus(parsed, r.end);
      const rec: BootRecord = {
        name: plan.name,
        rmapbt: plan.rmapbt,
        ms: r.ms,
        status,
        end: r.end,
        readyUptime: parsed.readyUptime,
        log,
      };
      boots.push(rec);
      opts.onBoot?.(plan, rec);
      const stopped = r.end !== 'poweroff' && !parsed.allDone;
      for (const t of plan.tests) {
        const rep: TestReport | undefined = parsed.tests.find((x) => x.id === t.id);
        const real = !parsed.ready
          ? {
              verdict: 'inconclusive' as const,
              kinds: [],
              summary: `boot failed before the tests (${parsed.setupFailed ?? r.end})`,
            }
          : realVerdict(rep, stopped);
        const started = begun.get(t.id);
        tests.push({
          id: t.id,
          boot: plan.name,
          real,
          evidence: rep?.evidence ?? [],
          tries: Number(rep?.fields.iterations ?? 1) || 1,
          ms: Math.round(took.get(t.id) ?? (started !== undefined ? performance.now() - started : 0)),
        });
      }
    } finally {
      releaseTempDir(work);
    }
  }
  const status = boots.reduce<BootStatus>((s, b) => (RANK[b.status] > RANK[s] ? b.status : s), 'ok');
  return { kernel: opts.kernel, status, bootMs: boots.reduce((s, b) => s + b.ms, 0), boots, tests };
}
