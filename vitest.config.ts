// Test projects: the control plane inside workerd with real D1/R2/DO bindings (twice: as configured,
// and with short time settings), the dashboard (in happy-dom, and in a real browser), and Node-side tests.
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// A fixed key for tests only; `make run` generates a real one into .dev.vars.
const TEST_MASTER_KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';

/** A project of tests inside workerd, with wrangler.toml's real bindings and these extra variables. */
function workerdProject(name: string, files: { include: string[]; exclude?: string[] }, vars: Record<string, string> = {}, testTimeout?: number) {
  return {
    plugins: [
      cloudflareTest(async () => ({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: { ORCH_MASTER_KEY: TEST_MASTER_KEY, ORCH_DEFAULT_ADMIN_KEY: 'admin', ...vars, TEST_MIGRATIONS: await readD1Migrations('./migrations') },
        },
      })),
    ],
    test: { name, ...files, setupFiles: ['./control/test/apply-migrations.ts'], ...(testTimeout ? { testTimeout } : {}) },
  };
}

export default defineConfig({
  test: {
    projects: [
      workerdProject('control', { include: ['control/test/**/*.test.ts'], exclude: ['control/test/time/**'] }),
      // The queue's time rules with real time passing: the same Worker with short lease, offline,
      // backstop and retention settings, so its real alarms do their work within seconds.
      workerdProject(
        'control-time',
        { include: ['control/test/time/**/*.test.ts'] },
        { ORCH_LEASE_SECONDS: '5', ORCH_WORKER_HEARTBEAT_TIMEOUT: '4', ORCH_BACKSTOP_GRACE_SECONDS: '3', ORCH_LOG_RETENTION_DAYS: '0.00004' },
        90_000,
      ),
      // The dashboard's components and logic, rendered into happy-dom.
      {
        oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
        test: { name: 'ui', include: ['ui/src/**/*.test.{ts,tsx}'], environment: 'happy-dom' },
      },
      // The dashboard in a real browser (Debian's chromium through playwright-core) against a real
      // control plane, workers and goose. A page on a busy machine may take seconds to catch up, so a
      // polled expectation waits as long as a locator does (harness.ts), not one second.
      {
        test: { name: 'browser', include: ['ui/test/**/*.test.ts'], environment: 'node', testTimeout: 120_000, hookTimeout: 180_000, expect: { poll: { timeout: 15_000 } } },
      },
      // Node-side tests, among them the worker's and the command line's against a real stack.
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts', 'node-worker/test/**/*.test.ts', 'cli/test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
    ],
  },
});
