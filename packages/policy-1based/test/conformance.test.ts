import { describeConformance } from '@daxref/policy-conformance';
import { describe, expect, it } from 'vitest';
import { createOneBasedPolicy, oneBasedVariants } from '../src/index';

for (const v of oneBasedVariants) {
  describeConformance({ describe, it, expect }, (variant) => createOneBasedPolicy({ variant }), v.id);
}
