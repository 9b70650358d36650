// @daxref/policy-0based: the public surface. Every export is named here.

export { type ZeroBasedVariantId, zeroBasedVariants } from './variants';
export { createZeroBasedPolicy, type ZeroBasedPolicyOptions } from './zero-based-policy';
