// Cancel latency: `POST /runs/{id}/cancel` → the agent's process gone, on a real goose run whose
// shell tool is sleeping. Uses the scripted model server from the tests. Usage: node bench/cancel.ts [runs=10]
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startModelServer } from '../node-worker/test/fixtures/model-server.ts';
import { api, machine, percentile, startControlPlane } from './harness.ts';

const samples = Number(process.argv[2] ?? 10);
const ROOT = resolve(import.meta.dirname, '..');
const GOOSE = join(ROOT, 'node_modules/@aaif/goose-binary-linux-x64/bin/goose');

function alive(marker: string): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (/\) Z /.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker)) return true;
    } catch {
      // gone while we looked
    }
  }
  return false;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const cp = await startControlPlane();
const model = await startModelServer({ command: 'true', finalText: 'unused' });
await api(cp.base, '/credentials', { body: { name: 'openai', env_var: 'OPENAI_API_KEY', value: 'sk-bench' } });
const worker = spawn(process.execPath, [join(ROOT, 'node-worker/src/main.ts')], {
  env: { ...process.env, ORCH_SERVER_URL: cp.base, ORCH_API_KEY: 'admin', ORCH_WORKER_NAME: 'cancel-bench', ORCH_GOOSE_BIN: GOOSE },
  stdio: 'ignore',
});
try {
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const marker = `sleep 300.${process.pid}${i}`;
    model.script = { command: marker, finalText: 'never reached' };
    const run = await api(cp.base, '/runs', {
      body: {
        task_prompt: `bench cancel ${i}`,
        agent_config: { provider: 'openai', model: 'scripted', max_turns: 3 },
        env_vars: { OPENAI_HOST: model.url },
        credential_ids: ['openai'],
      },
    });
    await until(() => alive(marker), 30_000, 'the shell tool to run');
    const started = performance.now();
    await api(cp.base, `/runs/${run.id}/cancel`, { method: 'POST' });
    await until(() => !alive(marker), 15_000, 'the agent to stop');
    latencies.push(performance.now() - started);
    await until(async () => (await api(cp.base, `/runs/${run.id}`)).status === 'cancelled', 15_000, 'the run to end cancelled');
  }
  latencies.sort((a, b) => a - b);
  console.log(`machine: ${machine()}`);
  console.log(`cancel latency (API call → agent processes gone), n=${samples}: p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms`);
} finally {
  worker.kill('SIGKILL');
  await model.close();
  await cp.stop();
}
