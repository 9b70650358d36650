// @daxref/policy-1based: the public surface. Every export is named here.

export { createOneBasedPolicy, type OneBasedPolicyOptions } from './one-based-policy';
export { type OneBasedVariantId, oneBasedVariants } from './variants';
