// A fuzz worker thread: runs the jobs the main thread posts, one at a time.
import { parentPort } from 'node:worker_threads';
import { type FuzzJob, runJob } from './job';

parentPort?.on('message', (job: FuzzJob) => {
  runJob(job).then(
    (result) => parentPort?.postMessage({ result }),
    (e: unknown) => parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) }),
  );
});
