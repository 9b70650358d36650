import { DaxrefError } from './errors';
import type { Policy } from './policy';

/** The members of `Policy`, data and hooks: what `derivePolicy` copies or binds. */
const POLICY_KEYS = [
  'name',
  'variant',
  'title',
  'variants',
  'caps',
  'initialRefcount',
  'pagemapRange',
  'memunmapDropStatic',
  'daxAssociateEntry',
  'daxDisassociateEntry',
  'getDevicePage',
  'putDevmapManagedRefs',
  'freeZoneDeviceFolio',
  'layoutPageBusy',
  'layoutPageIdle',
  'layoutWaitKey',
  'fileMmap',
  'vmaOpen',
  'vmaClose',
  'unbindPrepare',
] as const satisfies readonly (keyof Policy)[];

/** What a derived design replaces: its identity (`name`, `variant`, …) and any hooks. */
export type PolicyOverrides = Partial<Policy> & Pick<Policy, 'name' | 'variant' | 'variants'>;

/**
 * A new design derived from an instance of a shipped one. The result is a plain object: each
 * hook of `overrides` replaces `base`'s, and every other hook is `base`'s own, bound to `base`
 * (so the shipped classes' private state keeps working). An override calls the shipped
 * behaviour as `base.hook(...)`. `name`, `variant` and `variants` are required, so the derived
 * design has its own id in the matrix; `title` defaults to the variant's description.
 *
 * Calls `base` makes to itself stay inside `base`: overriding `freeZoneDeviceFolio` does not
 * change what the shipped design's own puts call.
 *
 * @example
 * const base = createZeroBasedPolicy({ variant: 'v6.15' });
 * const mine = derivePolicy(base, {
 *   name: 'mine', variant: 'v1', variants: [{ id: 'v1', description: '…', source: '…', default: true }],
 *   layoutPageIdle: (k, head) => k.memmap.refcount(head) === 0,
 * });
 */
export function derivePolicy(base: Policy, overrides: PolicyOverrides): Policy {
  const out: Record<string, unknown> = {};
  for (const key of POLICY_KEYS) {
    if (overrides[key] !== undefined) out[key] = overrides[key];
    else {
      const v = base[key] as unknown;
      if (typeof v === 'function') out[key] = v.bind(base);
      else if (v !== undefined) out[key] = v;
    }
  }
  const variant = overrides.variants.find((v) => v.id === overrides.variant);
  if (variant === undefined)
    throw new DaxrefError(
      'BAD_ARGUMENT',
      'derivePolicy',
      `variant '${overrides.variant}' is not among variants: ${overrides.variants.map((v) => v.id).join(', ')}`,
    );
  if (overrides.title === undefined) out.title = variant.description;
  return out as unknown as Policy;
}
