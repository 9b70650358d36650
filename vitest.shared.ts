import { defineProject } from 'vitest/config';

/** Shared per-package Vitest settings: resolve workspace packages to their sources. */
export function packageProject(name: string) {
  return defineProject({
    resolve: { conditions: ['@daxref/source', 'module', 'node', 'import', 'default'] },
    ssr: { resolve: { conditions: ['@daxref/source', 'module', 'node', 'import', 'default'] } },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      environment: 'node',
      // Model runs are CPU-bound and turbo runs packages side by side on small machines: a
      // generous timeout keeps a loaded CI from flaking (speed is measured in benchmarks).
      testTimeout: 60_000,
      hookTimeout: 120_000,
    },
  });
}
