// Two test projects: the control plane inside workerd with real D1/R2/DO bindings, and Node-side tests.
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// A fixed key for tests only; `make run` generates a real one into .dev.vars.
const TEST_MASTER_KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                ORCH_MASTER_KEY: TEST_MASTER_KEY,
                ORCH_DEFAULT_ADMIN_KEY: 'admin',
                TEST_MIGRATIONS: await readD1Migrations('./migrations'),
              },
            },
          })),
        ],
        test: {
          name: 'control',
          include: ['control/test/**/*.test.ts'],
          setupFiles: ['./control/test/apply-migrations.ts'],
        },
      },
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts', 'node-worker/test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
    ],
  },
});
