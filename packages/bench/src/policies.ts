import type { Policy, PolicyVariant } from '@daxref/core';
import { BenchError } from './errors';

/** A design the registry knows: its factory and variants, loaded lazily. */
export interface PolicyModule {
  readonly name: string;
  readonly variants: readonly PolicyVariant[];
  create(variant: string): Policy;
}

// Registries are static maps from name to package, imported lazily (ARCHITECTURE §3.5).
const REGISTRY: Record<string, () => Promise<PolicyModule>> = {
  '1based': async () => {
    const m = await import('@daxref/policy-1based');
    return {
      name: '1based',
      variants: m.oneBasedVariants,
      create: (v) => m.createOneBasedPolicy({ variant: v as never }),
    };
  },
  '0based': async () => {
    const m = await import('@daxref/policy-0based');
    // DOMAIN §5: the lease is an opt-in feature, offered here under the merged design (v6.15),
    // so `lease-break` has a design to run against; it changes nothing else.
    return {
      name: '0based',
      variants: m.zeroBasedVariants,
      create: (v) => m.createZeroBasedPolicy({ variant: v as never, leases: v === 'v6.15' }),
    };
  },
  'coarse-pin': async () => {
    const m = await import('@daxref/policy-coarse-pin');
    return {
      name: 'coarse-pin',
      variants: m.coarsePinVariants,
      create: (v) => m.createCoarsePinPolicy({ variant: v as never }),
    };
  },
};

/** The design names the registry knows, in report order. */
export const POLICY_NAMES: readonly string[] = Object.keys(REGISTRY);

/** A policy id resolved to a design and variant, with a factory for fresh instances. */
export interface ResolvedPolicy {
  /** `name@variant`. */
  readonly id: string;
  readonly name: string;
  readonly variant: string;
  readonly title: string;
  readonly default: boolean;
  create(): Policy;
}

/** Loads a design by name. */
export async function loadPolicyModule(name: string): Promise<PolicyModule> {
  const load = REGISTRY[name];
  if (load === undefined) {
    throw new BenchError('UNKNOWN_POLICY', `unknown policy '${name}'; valid: ${POLICY_NAMES.join(', ')}`);
  }
  return load();
}

/**
 * Resolves `name` or `name@variant` (`1based@v5.19-rc1`). A bare name is the design's default
 * variant; `name@all` is every variant.
 */
export async function resolvePolicy(id: string): Promise<ResolvedPolicy[]> {
  const at = id.indexOf('@');
  const name = at < 0 ? id : id.slice(0, at);
  const want = at < 0 ? null : id.slice(at + 1);
  const mod = await loadPolicyModule(name);
  const pick =
    want === null
      ? mod.variants.filter((v) => v.default)
      : want === 'all'
        ? [...mod.variants]
        : mod.variants.filter((v) => v.id === want);
  if (pick.length === 0) {
    throw new BenchError(
      'UNKNOWN_VARIANT',
      `unknown variant '${want}' of ${name}; valid: ${mod.variants.map((v) => `${name}@${v.id}`).join(', ')}`,
    );
  }
  return pick.map((v) => ({
    id: `${name}@${v.id}`,
    name,
    variant: v.id,
    title: v.description,
    default: v.default === true,
    create: () => mod.create(v.id),
  }));
}

/** Every variant of every design, in registry order. */
export async function allPolicies(): Promise<ResolvedPolicy[]> {
  const out: ResolvedPolicy[] = [];
  for (const n of POLICY_NAMES) out.push(...(await resolvePolicy(`${n}@all`)));
  return out;
}

/** The default variant of every design. */
export async function defaultPolicies(): Promise<ResolvedPolicy[]> {
  const out: ResolvedPolicy[] = [];
  for (const n of POLICY_NAMES) out.push(...(await resolvePolicy(n)));
  return out;
}

/** Resolves a list of ids (duplicates dropped, order kept). */
export async function resolvePolicies(ids: readonly string[]): Promise<ResolvedPolicy[]> {
  const seen = new Set<string>();
  const out: ResolvedPolicy[] = [];
  for (const id of ids) {
    for (const p of await resolvePolicy(id)) {
      if (!seen.has(p.id)) {
        seen.add(p.id);
        out.push(p);
      }
    }
  }
  return out;
}
