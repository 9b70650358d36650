// Test fixtures: the default variants of the two designs (from the policy packages, dev
// dependencies only) and a machine with one NVDIMM region.
import {
  createKernel,
  DaxFs,
  type Kernel,
  type KernelOptions,
  type KGen,
  type Policy,
  type Task,
} from '@daxref/core';
import { createZeroBasedPolicy, type ZeroBasedVariantId } from '@daxref/policy-0based';
import { createOneBasedPolicy, type OneBasedVariantId } from '@daxref/policy-1based';
import {
  bindNamespace,
  createNvdimmBus,
  type DevdaxBinding,
  type FsdaxBinding,
  type NamespaceOptions,
  type PersistenceDomain,
  SZ_1G,
} from '../src/index';

/** The 1-based design (`1based@v6.14` unless another variant is named). */
export function legacyPolicy(variant: OneBasedVariantId = 'v6.14'): Policy {
  return createOneBasedPolicy({ variant });
}

/** The 0-based design as merged (`0based@v6.15`). */
export function zeroBasedPolicy(variant: ZeroBasedVariantId = 'v6.15'): Policy {
  return createZeroBasedPolicy({ variant });
}

/** First physical address of the test NVDIMM region. */
export const REGION_BASE = 64 * SZ_1G;

/** A kernel and a bus with one region of `size` bytes. */
export function machine(
  policy: Policy,
  size = 16 * SZ_1G,
  domain: PersistenceDomain = 'adr',
  opts: KernelOptions = {},
) {
  const k = createKernel({ policy, ...opts });
  const bus = createNvdimmBus(k);
  const region = bus.addRegion({ base: REGION_BASE, size, persistenceDomain: domain });
  return { k, bus, region };
}

/** Runs a generator to completion as a task alone (a hand-scheduled step). */
export function runAlone<T>(k: Kernel, name: string, body: (t: Task) => KGen<T>): T {
  let out: T | undefined;
  const t = k.spawn(name, function* (task) {
    out = yield* body(task);
  });
  const st = k.sched.runTask(t, 1_000_000);
  if (st !== 'done') throw new Error(`${name} did not finish: ${st} on ${t.blocker?.what}`);
  return out as T;
}

/** Runs a plain function as a task (bind, which does not block). */
export function runSync<T>(k: Kernel, name: string, body: (t: Task) => T): T {
  return runAlone(k, name, function* (t) {
    return body(t);
  });
}

/** A bound fsdax namespace with a filesystem on it. */
export function fsdax(policy: Policy, ns: Partial<NamespaceOptions> = {}, size = 16 * SZ_1G) {
  const m = machine(policy, size);
  const n = m.region.createNamespace({ mode: 'fsdax', size: ns.size ?? 4 * SZ_1G, ...ns });
  const b = runSync(m.k, 'bind', (t) => bindNamespace(m.k, t, n)) as FsdaxBinding;
  const fs = new DaxFs(m.k, b.dax);
  return { ...m, ns: n, b, fs };
}

/** A bound devdax namespace. */
export function devdax(policy: Policy, ns: Partial<NamespaceOptions> = {}, size = 16 * SZ_1G) {
  const m = machine(policy, size);
  const n = m.region.createNamespace({ mode: 'devdax', size: ns.size ?? 4 * SZ_1G, ...ns });
  const b = runSync(m.k, 'bind', (t) => bindNamespace(m.k, t, n)) as DevdaxBinding;
  return { ...m, ns: n, b };
}

/** The two test policies, for tests run under both designs. */
export const POLICIES = [
  ['1based', legacyPolicy],
  ['0based', zeroBasedPolicy],
] as const;
