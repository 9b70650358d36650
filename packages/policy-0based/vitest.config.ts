import { packageProject } from '../../vitest.shared';

export default packageProject('policy-0based');
