import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // ORT sessions use native threads; forks keep each file's native state apart.
    pool: 'forks',
  },
});
