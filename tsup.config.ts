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
    // `pnpm start` only runs the CLI: DAXREF_NO_DTS=1 skips the declaration build, most of the
    // build's time (turbo keys the build cache on it, so a published build always has its .d.ts).
    dts: process.env.DAXREF_NO_DTS !== '1',
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    ...extra,
  });
}
