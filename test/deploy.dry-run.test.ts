// `wrangler deploy --dry-run`: the control plane bundles for Cloudflare as it is, with both Durable
// Objects exported and well within the Workers size limit.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

describe('wrangler deploy --dry-run', () => {
  it('bundles the Worker with its Durable Objects and bindings, under 3 MiB gzipped', () => {
    const out = mkdtempSync(join(tmpdir(), 'fc-bundle-'));
    try {
      const result = spawnSync(join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', out], {
        cwd: ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
        encoding: 'utf8',
      });
      expect(result.status, result.stderr + result.stdout).toBe(0);
      for (const binding of ['env.DISPATCHER (Dispatcher)', 'env.RUN_HUB (RunHub)', 'env.SCHEDULER (Scheduler)', 'env.WORKSPACE_FEED (WorkspaceFeed)', 'env.WEBHOOK_SENDER (WebhookSender)', 'env.DB', 'env.ARTIFACTS', 'env.ASSETS']) expect(result.stdout).toContain(binding);
      const bundle = readFileSync(join(out, 'index.js'));
      const exported = /export\s*\{([^}]*)\}\s*;?\s*(\/\/# sourceMappingURL=.*)?\s*$/.exec(bundle.toString('utf8'))?.[1] ?? '';
      expect(exported).toMatch(/\bDispatcher\b/);
      expect(exported).toMatch(/\bRunHub\b/);
      expect(exported).toMatch(/\bScheduler\b/);
      expect(exported).toMatch(/as default\b/);
      // The free plan's limit for a Worker, compressed.
      expect(gzipSync(bundle).length).toBeLessThan(3 * 1024 * 1024);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
