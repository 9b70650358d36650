import type { ModuleRef, Policy, Scenario } from '@daxref/core';
import { BenchError } from './errors';
import type { CatalogueEntry } from './scenarios/entry';

const POLICY_METHODS = [
  'initialRefcount',
  'pagemapRange',
  'memunmapDropStatic',
  'daxAssociateEntry',
  'daxDisassociateEntry',
  'putDevmapManagedRefs',
  'layoutPageBusy',
  'layoutPageIdle',
  'layoutWaitKey',
] as const;

/** Why `value` is not a `Policy`, or null when it has the shape (name, variant, caps, the required hooks). */
export function policyShapeError(value: unknown): string | null {
  if (typeof value !== 'object' || value === null)
    return `it returned ${describe(value)}, not a Policy object`;
  const p = value as Record<string, unknown>;
  for (const key of ['name', 'variant', 'title'] as const)
    if (typeof p[key] !== 'string' || p[key] === '') return `its policy has no string '${key}'`;
  if (!Array.isArray(p.variants)) return `its policy has no 'variants' array`;
  if (typeof p.caps !== 'object' || p.caps === null) return `its policy has no 'caps' object`;
  const missing = POLICY_METHODS.filter((m) => typeof p[m] !== 'function');
  if (missing.length > 0)
    return `its policy lacks the method${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
  return null;
}

/** Why `value` is not a `Scenario`, or null when it has the shape (id, title, source, setup, tasks). */
export function scenarioShapeError(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return `it is ${describe(value)}, not a Scenario object`;
  const s = value as Record<string, unknown>;
  for (const key of ['id', 'title', 'source'] as const)
    if (typeof s[key] !== 'string' || s[key] === '') return `its scenario has no string '${key}'`;
  if (typeof s.setup !== 'function') return `its scenario has no setup(k) function`;
  if (!Array.isArray(s.tasks) || s.tasks.length === 0) return `its scenario has no 'tasks' array`;
  for (const t of s.tasks as unknown[]) {
    const task = t as { name?: unknown; body?: unknown } | null;
    if (typeof task?.name !== 'string' || typeof task.body !== 'function')
      return `a task of its scenario lacks a string 'name' or a generator 'body'`;
  }
  return null;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

async function importRef(ref: ModuleRef): Promise<Record<string, unknown>> {
  try {
    return (await import(ref.module)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ERR_MODULE_NOT_FOUND' ? 'not found' : (e as Error).message.split('\n')[0];
    throw new BenchError('BAD_MODULE', `cannot load ${ref.module}: ${why}`, { cause: e });
  }
}

function names(mod: Record<string, unknown>): string {
  const keys = Object.keys(mod).sort();
  return keys.length > 0 ? keys.join(', ') : 'nothing';
}

/** Export names a policy module may use, in the order they are tried. */
export const POLICY_EXPORTS: readonly string[] = ['default', 'createPolicy'];
/** Export names a scenario module may use, in the order they are tried. */
export const SCENARIO_EXPORTS: readonly string[] = ['default', 'scenario'];

/**
 * Loads a policy factory from a module (`ref.module` is a `file:` URL or a package specifier).
 * The export (`ref.export`, else `default`, else `createPolicy`) must be a function returning a
 * `Policy`; it is called with `ref.args`. Anything else is a one-line `BAD_MODULE` error naming
 * what the module exports.
 */
export async function loadPolicyRef(ref: ModuleRef): Promise<{ ref: ModuleRef; create: () => Policy }> {
  const mod = await importRef(ref);
  const tried = ref.export ? [ref.export] : POLICY_EXPORTS;
  const name = tried.find((n) => typeof mod[n] === 'function');
  const label = ref.module.startsWith('file:') ? new URL(ref.module).pathname : ref.module;
  if (name === undefined) {
    throw new BenchError(
      'BAD_MODULE',
      `${label} does not export a policy factory: expected ${tried.map((n) => (n === 'default' ? 'a default export' : `'${n}'`)).join(' or ')} that is a function returning a Policy; it exports ${names(mod)}`,
    );
  }
  const fn = mod[name] as (...args: unknown[]) => unknown;
  const args = ref.args ?? [];
  const bound: ModuleRef = { module: ref.module, export: name, args };
  let probe: unknown;
  try {
    probe = fn(...args);
  } catch (e) {
    throw new BenchError('BAD_MODULE', `${label}: ${name}() threw: ${(e as Error).message}`, { cause: e });
  }
  const why = policyShapeError(probe);
  if (why !== null) throw new BenchError('BAD_MODULE', `${label}: ${name}() does not make a Policy: ${why}`);
  return { ref: bound, create: () => fn(...args) as Policy };
}

/**
 * Loads a scenario from a module: the export (`ref.export`, else `default`, else `scenario`) is a
 * `Scenario` or a catalogue entry (`{ scenario, kind, expected }`).
 */
export async function loadScenarioRef(ref: ModuleRef): Promise<{ ref: ModuleRef; entry: CatalogueEntry }> {
  const mod = await importRef(ref);
  const tried = ref.export ? [ref.export] : SCENARIO_EXPORTS;
  const name = tried.find((n) => typeof mod[n] === 'object' && mod[n] !== null);
  const label = ref.module.startsWith('file:') ? new URL(ref.module).pathname : ref.module;
  if (name === undefined) {
    throw new BenchError(
      'BAD_MODULE',
      `${label} does not export a scenario: expected ${tried.map((n) => (n === 'default' ? 'a default export' : `'${n}'`)).join(' or ')} that is a Scenario object (id, title, source, setup, tasks); it exports ${names(mod)}`,
    );
  }
  const entry = toEntry(mod[name]);
  if (typeof entry === 'string')
    throw new BenchError('BAD_MODULE', `${label}: '${name}' is not a Scenario: ${entry}`);
  return { ref: { module: ref.module, export: name }, entry };
}

/** A scenario object or a catalogue entry as a catalogue entry; a string says why it is neither. */
export function toEntry(value: unknown): CatalogueEntry | string {
  const v = value as { scenario?: unknown } | null;
  if (typeof v === 'object' && v !== null && 'scenario' in v) {
    const why = scenarioShapeError(v.scenario);
    return why ?? (value as CatalogueEntry);
  }
  const why = scenarioShapeError(value);
  if (why !== null) return why;
  return { scenario: value as Scenario<unknown>, kind: 'failure', expected: {} };
}
