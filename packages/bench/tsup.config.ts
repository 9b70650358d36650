import { packageConfig } from '../../tsup.config';

export default packageConfig({
  index: 'src/index.ts',
  'hotpath-child': 'src/hotpath/child.ts',
  'scale-child': 'src/hotpath/scale-child.ts',
  'ratios-child': 'src/hotpath/ratios-child.ts',
  'matrix-worker': 'src/matrix-worker.ts',
  'fuzz-worker': 'src/fuzz/worker.ts',
});
