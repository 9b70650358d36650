// A matrix worker thread: runs the cells the main thread posts, one at a time.
import { parentPort } from 'node:worker_threads';
import { type CellJob, runCell } from './matrix';

parentPort?.on('message', (job: CellJob) => {
  runCell(job).then(
    (cell) => parentPort?.postMessage({ cell }),
    (e: unknown) =>
      parentPort?.postMessage({
        error: e instanceof Error ? e.message : String(e),
        code: (e as { code?: string }).code,
      }),
  );
});
