import { describeConformance } from '@daxref/policy-conformance';
import { describe, expect, it } from 'vitest';
import { createZeroBasedPolicy, zeroBasedVariants } from '../src/index';

for (const v of zeroBasedVariants) {
  describeConformance({ describe, it, expect }, (variant) => createZeroBasedPolicy({ variant }), v.id);
}
// Leases change nothing else: the suite passes with them on.
describeConformance(
  { describe, it, expect },
  (variant) => createZeroBasedPolicy({ variant, leases: true }),
  'v6.15',
);
