// Worker-thread entry of `exploreParallel` (built as dist/explore-worker.js). A pooled worker takes
// jobs over postMessage and claims units from the job's shared queue until it is empty. It runs
// them with the built core entry the parent names, so scenarios importing '@daxref/core' share
// its classes; the queue helpers are plain data and bundled here.
import { parentPort } from 'node:worker_threads';
import type { WorkerJob, WorkerReply } from './parallel';
import type { PolicyFactory, Scenario } from './scenario';
import { claimUnit, finishUnit } from './units';

const post = (m: WorkerReply) => parentPort!.postMessage(m);

function errorOf(e: unknown): { error: string; code?: string } {
  const err = e as { message?: string; code?: string };
  return { error: err.message ?? String(e), code: err.code };
}

async function runJob(job: WorkerJob): Promise<void> {
  try {
    const core = (await import(job.core)) as typeof import('../index');
    const sm = (await import(job.scenarioRef.module)) as Record<string, unknown>;
    const pm = (await import(job.policyRef.module)) as Record<string, unknown>;
    const scenario = sm[job.scenarioRef.export] as Scenario | undefined;
    const make = pm[job.policyRef.export];
    if (scenario === undefined || typeof make !== 'function') {
      throw new Error(
        `cannot load ${job.scenarioRef.module}#${job.scenarioRef.export} / ${job.policyRef.module}#${job.policyRef.export}`,
      );
    }
    const args = job.policyRef.args ?? [];
    const policy = () => (make as (...a: readonly unknown[]) => ReturnType<PolicyFactory>)(...args);
    for (
      let c = claimUnit(job.queue, job.params.budget);
      c !== null;
      c = claimUnit(job.queue, job.params.budget)
    ) {
      const u = job.units[c.index]!;
      try {
        const r = core.runUnits(scenario, policy, { ...job.params, budget: c.left }, [u])[0];
        if (r === undefined) throw new Error(`unit ${c.index} does not fit strategy ${job.params.strategy}`);
        finishUnit(job.queue, c.index, r);
        post({ id: job.id, kind: 'unit', index: c.index, result: r });
      } catch (e) {
        finishUnit(job.queue, c.index, null);
        post({ id: job.id, kind: 'unit', index: c.index, ...errorOf(e) });
      }
    }
    post({ id: job.id, kind: 'done' });
  } catch (e) {
    post({ id: job.id, kind: 'fail', ...errorOf(e) });
  }
}

parentPort!.on('message', (job: WorkerJob) => void runJob(job));
