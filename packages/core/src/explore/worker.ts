// Worker-thread entry of `exploreParallel` (built as dist/explore-worker.js). It loads the built
// core entry the parent names, so scenarios importing '@daxref/core' share its classes.
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerTask } from './parallel';

async function main(): Promise<void> {
  const task = workerData as WorkerTask;
  try {
    const core = (await import(task.core)) as typeof import('../index');
    const sm = (await import(task.scenarioRef.module)) as Record<string, unknown>;
    const pm = (await import(task.policyRef.module)) as Record<string, unknown>;
    const scenario = sm[task.scenarioRef.export];
    const make = pm[task.policyRef.export];
    if (scenario === undefined || typeof make !== 'function') {
      throw new Error(
        `cannot load ${task.scenarioRef.module}#${task.scenarioRef.export} / ${task.policyRef.module}#${task.policyRef.export}`,
      );
    }
    const args = task.policyRef.args ?? [];
    const policy = () =>
      (make as (...a: readonly unknown[]) => ReturnType<import('./scenario').PolicyFactory>)(...args);
    const units = core.runUnits(scenario as import('./scenario').Scenario, policy, task.params, task.units);
    parentPort!.postMessage({ ok: true, units });
  } catch (e) {
    const err = e as { message?: string; code?: string };
    parentPort!.postMessage({ ok: false, error: err.message ?? String(e), code: err.code });
  }
}

void main();
