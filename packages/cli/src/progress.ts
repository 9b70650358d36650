import { SingleBar } from 'cli-progress';
import { interactive } from './io';

/** What cli-progress turns off on a terminal, turned back on: the cursor and line wrap. */
export const RESTORE_TERMINAL = '\u001b[?25h\u001b[?7h';

/** A progress bar: drawn on a TTY only (quiet when piped or in CI). */
export interface Progress {
  update(done: number, total: number, item: string): void;
  stop(): void;
}

/**
 * A progress bar on stderr when it is a terminal (and not CI), else a no-op. While it is drawn,
 * Ctrl-C stops it, restores the cursor and line wrap, and exits 130.
 */
export function progress(label: string): Progress {
  if (!interactive()) return { update() {}, stop() {} };
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} {item}`,
    hideCursor: true,
    clearOnComplete: true,
  });
  const onInterrupt = () => {
    bar.stop();
    process.stderr.write(`${RESTORE_TERMINAL}\ninterrupted\n`);
    process.exit(130);
  };
  // Installed before the bar hides the cursor, so no interrupt can find it hidden.
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  bar.start(1, 0, { item: '' });
  return {
    update(done, total, item) {
      bar.setTotal(total);
      bar.update(done, { item });
    },
    stop() {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
      bar.stop();
    },
  };
}
