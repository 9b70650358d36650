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
    },
  });
}
