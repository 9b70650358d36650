import { packageConfig } from '../../tsup.config';

export default packageConfig({
  index: 'src/index.ts',
  'hotpath-child': 'src/hotpath/child.ts',
  'scale-child': 'src/hotpath/scale-child.ts',
  'matrix-worker': 'src/matrix-worker.ts',
});
