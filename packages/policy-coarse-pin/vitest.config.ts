import { packageProject } from '../../vitest.shared';

export default packageProject('policy-coarse-pin');
