import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BenchError, type PolicyInput, type ScenarioInput } from '@daxref/bench';

/** True when a `--policy` / `--scenario` argument names a module file rather than an id. */
export function isModulePath(arg: string): boolean {
  return arg.startsWith('.') || isAbsolute(arg) || arg.startsWith('file:') || /\.(m?js|cjs|m?ts)$/.test(arg);
}

function moduleUrl(arg: string, what: string): string {
  if (arg.startsWith('file:')) return arg;
  const abs = resolve(arg);
  if (!existsSync(abs)) throw new BenchError('BAD_MODULE', `${what} module ${arg} not found (${abs})`);
  return pathToFileURL(abs).href;
}

/**
 * A `--policy` argument as a matrix input: an id (`0based@all`), or a module file whose default
 * export (or `createPolicy`) is a policy factory, loaded by URL in this thread and in workers.
 */
export function policyArg(arg: string): PolicyInput {
  return isModulePath(arg) ? { module: moduleUrl(arg, 'policy'), export: '' } : arg;
}

/** A `--scenario` argument as a matrix input: a catalogue id, or a module file exporting a scenario. */
export function scenarioArg(arg: string): ScenarioInput {
  return isModulePath(arg) ? { module: moduleUrl(arg, 'scenario'), export: '' } : arg;
}
