import { defineConfig } from 'vitest/config';

// Runs every package's tests in one process (`npx vitest run` at the root); `pnpm test` goes
// through turbo, which runs each package's own `vitest run`.
export default defineConfig({
  test: { projects: ['packages/*', 'apps/*'] },
});
