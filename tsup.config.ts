import { defineConfig, type Options } from 'tsup';

/**
 * The one shared build configuration. Each package's `tsup.config.ts` calls this with its entry
 * points, so a later move to tsdown changes this file only.
 */
export function packageConfig(entry: Record<string, string>, extra: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    ...extra,
  });
}
