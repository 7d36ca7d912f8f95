import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits on real processes (a browser, Deno, the ticker): 1 s, vitest's default, is too short on a
    // loaded 2-core machine (CI, coverage). A bound, not a sleep: it returns as soon as the condition holds.
    expect: { poll: { timeout: 15_000 } },
    coverage: {
      provider: 'v8',
      include: ['supabase/functions/_shared/**/*.ts', 'src/**/*.ts'],
      reporter: ['text-summary', 'text'],
    },
  },
});
