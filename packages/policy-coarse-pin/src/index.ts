// @daxref/policy-coarse-pin: the public surface. Every export is named here.

export { type CoarsePinPolicyOptions, createCoarsePinPolicy } from './coarse-pin-policy';
export { type CoarsePinVariantId, coarsePinVariants } from './variants';
