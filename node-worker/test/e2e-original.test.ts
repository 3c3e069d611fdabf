// End to end with the original Flight Control worker's protocol: a faithful re-implementation of
// its HTTP calls (fixtures/original-worker.ts) runs real goose runs against the control plane, alone
// and then beside a node-worker, a mixed fleet as teams have while they migrate.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOSE, ROOT, startStack, type RunView, type Stack, type WorkerProcess } from './fixtures/stack.ts';

let stack: Stack;
const MARK = 'v1-run-';

/** The original worker as its deployment would start it, with a worker key of its own. */
async function startOriginalWorker(): Promise<WorkerProcess> {
  const key = (await stack.api<{ key: string }>('POST', '/api-keys', { name: 'original worker', role: 'worker' })).key;
  const home = join(stack.tmp, 'original-home');
  mkdirSync(home, { recursive: true });
  const child = spawn(process.execPath, [join(ROOT, 'node-worker', 'test', 'fixtures', 'original-worker.ts')], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      ORCH_SERVER_URL: stack.base,
      ORCH_API_KEY: key,
      ORCH_WORKER_NAME: 'python-worker',
      ORCH_POLL_INTERVAL: '1',
      GOOSE_BIN: GOOSE,
      // As its container image sets goose up: no keyring, no session naming call.
      GOOSE_DISABLE_KEYRING: '1',
      GOOSE_DISABLE_SESSION_NAMING: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started: WorkerProcess = { name: 'python-worker', child, output: '', exited: new Promise((done) => child.once('exit', (code) => done(code))) };
  child.stdout?.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  stack.workers.push(started);
  await stack.waitFor('the original worker to register', () => started.output.includes('Registered as worker'));
  return started;
}

/** How many times goose really ran the run with this marker: its first model call, once per execution. */
function executions(marker: string): number {
  return stack.model.requests.filter((r) => {
    const messages = r.body.messages ?? [];
    return !messages.some((m) => m.role === 'tool') && JSON.stringify(messages).includes(marker);
  }).length;
}

async function createRuns(n: number, prefix: string): Promise<{ id: string; marker: string }[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const marker = `${MARK}${prefix}-${i}-${Date.now()}`;
      const run = await stack.createGooseRun(marker, { max_attempts: 3 });
      return { id: run.id, marker };
    }),
  );
}

beforeAll(async () => {
  stack = await startStack();
  // The agent follows the original's system prompt: it uploads its report with curl, where that is offered.
  stack.model.script = {
    command:
      'echo working && if [ -n "$FLIGHT_CONTROL_UPLOAD_URL" ]; then printf "agent report" > report.txt && curl -sf -X POST -H "Authorization: Bearer $FLIGHT_CONTROL_API_KEY" -F "file=@report.txt" "$FLIGHT_CONTROL_UPLOAD_URL" > /dev/null && echo uploaded; fi',
    finalText: 'Done.',
  };
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe('the original worker, unchanged', { timeout: 120_000 }, () => {
  it('completes goose runs through poll, token-less logs and complete?worker_id=, each run executed once', async () => {
    const original = await startOriginalWorker();
    const runs = await createRuns(3, 'alone');
    for (const { id, marker } of runs) {
      const { run } = await stack.followRun(id, 60_000);
      expect(run).toMatchObject({ status: 'completed', exit_code: 0, attempt: 1 });
      // Its first log batch moved the run to running (the original never said so itself).
      const times = await stack.api<{ started_at: string | null; completed_at: string }>('GET', `/runs/${id}`);
      expect(times.started_at).not.toBeNull();
      expect(times.started_at! <= times.completed_at).toBe(true);
      expect(executions(marker)).toBe(1);
      const workers = await stack.api<{ id: string; name: string }[]>('GET', '/system/workers');
      expect(workers.find((w) => w.id === run.worker_id)?.name).toBe('python-worker');
      // Its log arrived while it ran, events and all; its output file and the agent's own upload are artifacts.
      const logs = await stack.runLogs(id);
      expect(logs.some((l) => l.stream === 'event' && l.line.includes('"type":"tool_call"'))).toBe(true);
      expect(logs.some((l) => l.line.includes('uploaded'))).toBe(true);
      const artifacts = await stack.api<{ filename: string }[]>('GET', `/runs/${id}/artifacts`);
      expect(artifacts.map((a) => a.filename).sort()).toEqual(['report.txt', 'run-output.log']);
    }
    expect(original.output).not.toMatch(/Error in main loop|Failed to send logs|failed with error/);
  });

  it('shares the queue with node-workers: every run completes once, whichever kind of worker takes it', async () => {
    await stack.startWorker('node-worker');
    const runs = await createRuns(6, 'mixed');
    const takers = new Set<string>();
    for (const { id, marker } of runs) {
      const { run } = await stack.followRun(id, 90_000);
      expect((run as RunView).status).toBe('completed');
      expect(run.attempt).toBe(1);
      expect(executions(marker)).toBe(1);
      takers.add(run.worker_id!);
    }
    expect(takers.size).toBe(2);
    // Nobody but the run's holder could have written to it: no 409s were needed, none were seen.
    // (As either worker reports a status: "Client error '409'" or "status":409; a port may contain 409.)
    expect(stack.workerOutput()).not.toMatch(/lease_lost|'409'|"status":409/);
  });
});
