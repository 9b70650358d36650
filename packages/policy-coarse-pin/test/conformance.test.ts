import { describeConformance } from '@daxref/policy-conformance';
import { describe, expect, it } from 'vitest';
import { coarsePinVariants, createCoarsePinPolicy } from '../src/index';

for (const v of coarsePinVariants) {
  describeConformance({ describe, it, expect }, (variant) => createCoarsePinPolicy({ variant }), v.id);
}
