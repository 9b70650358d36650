// Worker bootstrap when fuzz runs from TypeScript sources (tests, `pnpm daxref`): a worker thread
// does not inherit the parent's tsx loader, so it registers tsx itself, then loads the worker.
// The built package uses dist/fuzz-worker.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
