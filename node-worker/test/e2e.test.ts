// End to end: the control plane on workerd (wrangler, real D1 and Durable Objects), a real node-worker
// process, the real goose binary, and a scripted model that makes goose run a shell command.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unstable_dev, type Unstable_DevWorker } from 'wrangler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, USAGE, type ModelServer } from './fixtures/model-server.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const GOOSE = join(ROOT, 'node_modules', '@aaif', 'goose-binary-linux-x64', 'bin', 'goose');
const MCP_FIXTURE = join(import.meta.dirname, 'fixtures', 'mcp-server.ts');
// A fixed key for tests only.
const MASTER_KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
const ADMIN_KEY = `admin-${process.pid}-e2e`;
const SECRET = 'sk-e2e-Secret/Value+42';
const TERMINAL = new Set(['completed', 'failed', 'timeout', 'cancelled']);

interface RunView {
  id: string;
  status: string;
  result: string | null;
  exit_code: number | null;
  failure_reason: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
}

let tmp: string;
let control: Unstable_DevWorker;
let base: string;
let model: ModelServer;
let workerKey: string;
let worker: WorkerProcess;
const workers: WorkerProcess[] = [];

interface WorkerProcess {
  child: ChildProcess;
  output: string;
  exited: Promise<number | null>;
}

/** Starts `node node-worker/src/main.ts` as a user would, and waits until it has registered. */
async function startWorker(name: string): Promise<WorkerProcess> {
  const workDir = join(tmp, 'runs');
  mkdirSync(workDir, { recursive: true });
  const child = spawn(process.execPath, [join(ROOT, 'node-worker', 'src', 'main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      ORCH_SERVER_URL: base,
      ORCH_API_KEY: workerKey,
      ORCH_WORKER_NAME: name,
      ORCH_WORK_DIR: workDir,
      ORCH_GOOSE_BIN: GOOSE,
      ORCH_DEFAULT_PROVIDER: 'anthropic',
      ORCH_DEFAULT_MODEL: 'not-used',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started: WorkerProcess = { child, output: '', exited: new Promise((done) => child.once('exit', (code) => done(code))) };
  child.stdout?.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  workers.push(started);
  await waitFor(`${name} to register`, () => started.output.includes('registered'));
  return started;
}

const workerOutput = () => workers.map((w) => w.output).join('\n');

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function createGooseRun(marker: string, extra: Record<string, unknown> = {}): Promise<RunView> {
  const job = await api<{ id: string }>('POST', '/jobs', {
    name: `e2e ${marker}`,
    task_prompt: `Run the shell command for ${marker}, then say what happened.`,
    agent_type: 'goose',
    agent_config: { provider: 'openai', model: 'scripted-model', max_turns: 5 },
    env_vars: { OPENAI_HOST: model.url },
    credential_ids: ['openai'],
    mcp_servers: [{ name: 'probe', type: 'stdio', command: process.execPath, args: [MCP_FIXTURE], env: { PROBE_WORD: 'banana' } }],
    timeout_seconds: 60,
    max_attempts: 1,
    ...extra,
  });
  return api<RunView>('POST', `/jobs/${job.id}/run`);
}

/** Polls the run until it ends, returning every status seen on the way. */
async function followRun(id: string, timeoutMs = 45_000): Promise<{ run: RunView; seen: string[] }> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const run = await api<RunView>('GET', `/runs/${id}`);
    if (seen[seen.length - 1] !== run.status) seen.push(run.status);
    if (TERMINAL.has(run.status)) return { run, seen };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${id} did not end; statuses ${seen.join(' → ')}\nworker output:\n${workerOutput()}`);
}

async function runLogs(id: string): Promise<{ stream: string; line: string }[]> {
  return api('GET', `/runs/${id}/logs?limit=10000`);
}

let state: string;

async function startControl(port: number): Promise<void> {
  control = await unstable_dev(join(ROOT, 'control', 'src', 'index.ts'), {
    config: join(ROOT, 'wrangler.toml'),
    ip: '127.0.0.1',
    port,
    persistTo: state,
    vars: { ORCH_MASTER_KEY: MASTER_KEY, ORCH_DEFAULT_ADMIN_KEY: ADMIN_KEY },
    logLevel: 'error',
    experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
  });
  base = `http://127.0.0.1:${control.port}`;
}

interface LogEntry {
  sequence: number;
  stream: string;
  line: string;
}

/**
 * A browser-like viewer of a run's live log: connects over WebSocket, and whenever the connection
 * drops (or `drop()` is called) reconnects with `after=<last sequence seen>`, as the dashboard does.
 */
function watchRun(runId: string) {
  const lines: LogEntry[] = [];
  const statuses: string[] = [];
  let socket: WebSocket | null = null;
  let closed = false;
  let reconnects = 0;
  const connect = () => {
    if (closed) return;
    const after = lines.at(-1)?.sequence ?? 0;
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/v1/runs/${runId}/logs/stream?token=${ADMIN_KEY}&after=${after}`);
    socket = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data));
      if (msg.type === 'status') statuses.push(msg.status);
      if (msg.type === 'log') for (const l of msg.lines) lines.push({ sequence: l.sequence, stream: l.stream, line: l.line });
    };
    ws.onclose = () => {
      if (socket !== ws || closed) return;
      reconnects++;
      setTimeout(connect, 200);
    };
  };
  connect();
  return {
    lines,
    statuses,
    reconnects: () => reconnects,
    drop: () => socket?.close(),
    stop: () => {
      closed = true;
      socket?.close();
    },
  };
}

/** Pids of live processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nworker output:\n${workerOutput()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  expect(existsSync(GOOSE), `the goose binary should be installed at ${GOOSE} (npm ci)`).toBe(true);
  tmp = mkdtempSync(join(tmpdir(), 'fc-e2e-'));
  state = join(tmp, 'state');
  const migrate = spawnSync(join(ROOT, 'node_modules', '.bin', 'wrangler'), ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
    encoding: 'utf8',
  });
  expect(migrate.status, migrate.stderr + migrate.stdout).toBe(0);

  await startControl(0);
  model = await startModelServer({ command: 'true', finalText: 'unused' });

  workerKey = (await api<{ key: string }>('POST', '/api-keys', { name: 'e2e worker', role: 'worker' })).key;
  await api('POST', '/credentials', { name: 'openai', env_var: 'OPENAI_API_KEY', value: SECRET });
  worker = await startWorker('e2e-worker');
}, 90_000);

afterAll(async () => {
  for (const w of workers) {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await w.exited;
  }
  await model?.close();
  await control?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 30_000);

describe('node-worker with goose', { timeout: 60_000 }, () => {
  it('runs a goose job end to end: the tool really runs, the answer is the result, usage is recorded, secrets are masked', async () => {
    const marker = `marker-${Date.now()}`;
    const proof = join(tmp, 'proof.txt');
    model.script = {
      command: `echo ${marker} && printf written > ${proof} && mkdir -p "$FLIGHT_CONTROL_ARTIFACTS_DIR/out" && printf 'report for ${marker}' > "$FLIGHT_CONTROL_ARTIFACTS_DIR/out/report.txt" && echo "key=$OPENAI_API_KEY"`,
      finalText: 'I ran the command; it printed the marker and wrote the proof file.',
      delayMs: 600,
    };
    const seenBefore = model.requests.length;

    const created = await createGooseRun(marker);
    expect(created.status).toBe('queued');
    const { run, seen } = await followRun(created.id);

    expect(seen).toContain('running');
    expect(run.status).toBe('completed');
    expect(run.result).toBe('I ran the command; it printed the marker and wrote the proof file.');
    expect(run.exit_code).toBe(0);
    // Two model calls (tool call, then the answer), each reporting USAGE.
    expect(run.input_tokens).toBe(2 * USAGE.prompt_tokens);
    expect(run.output_tokens).toBe(2 * USAGE.completion_tokens);
    expect(run.total_tokens).toBe(2 * USAGE.total_tokens);

    expect(readFileSync(proof, 'utf8')).toBe('written');
    const requests = model.requests.slice(seenBefore);
    expect(requests.length).toBe(2);
    // The credential reached goose, and the job's MCP server was loaded as an extension.
    expect(requests[0]!.authorization).toBe(`Bearer ${SECRET}`);
    expect(requests[0]!.body.tools?.map((t) => t.function?.name)).toContain('probe__whisper');

    const logs = await runLogs(run.id);
    const text = logs.map((l) => l.line).join('\n');
    expect(logs.some((l) => l.stream === 'stdout' && l.line === marker)).toBe(true);
    expect(logs.some((l) => l.stream === 'stdout' && l.line === 'key=***')).toBe(true);
    expect(logs.some((l) => l.stream === 'event' && l.line.startsWith('▸ shell'))).toBe(true);
    expect(text).toContain('I ran the command; it printed the marker and wrote the proof file.');
    expect(text).not.toContain(SECRET);
    // What the agent left in its artifacts directory was uploaded before the directory went.
    const artifacts = await api<{ id: string; filename: string; size_bytes: number }[]>('GET', `/runs/${run.id}/artifacts`);
    expect(artifacts.map((a) => a.filename)).toEqual(['out__report.txt']);
    const download = await fetch(`${base}/api/v1/runs/${run.id}/artifacts/${artifacts[0]!.id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(await download.text()).toBe(`report for ${marker}`);
    expect(logs.some((l) => l.stream === 'system' && l.line === 'artifact uploaded: out/report.txt')).toBe(true);
    // The run's private directory (goose config, HOME, workdir) is gone.
    expect(readdirSync(join(tmp, 'runs'))).toEqual([]);
  });

  it('cancels a running run: the whole process group stops and the run ends cancelled', async () => {
    const marker = `cancelme-${Date.now()}`;
    const seconds = `300.${Date.now() % 100000}`;
    model.script = { command: `echo ${marker} && sleep ${seconds}`, finalText: 'never reached' };

    const created = await createGooseRun(marker);
    // goose (its prompt names the marker) and the shell tool's sleep are both running.
    await waitFor('goose to be running', () => processesWith(marker).length > 0);
    await waitFor('the shell tool to be running', () => processesWith(`sleep ${seconds}`).length > 0);

    const cancelledAt = Date.now();
    await api('POST', `/runs/${created.id}/cancel`);
    const { run } = await followRun(created.id, 20_000);

    expect(run.status).toBe('cancelled');
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
    await waitFor('every process of the run to be gone', () => processesWith(marker).length === 0 && processesWith(`sleep ${seconds}`).length === 0, 5_000);
    const logs = await runLogs(run.id);
    expect(logs.some((l) => l.stream === 'system' && /cancelled/.test(l.line))).toBe(true);
  });

  it('stops a run that exceeds its timeout and ends it as timeout', async () => {
    const marker = `slow-${Date.now()}`;
    const seconds = `301.${Date.now() % 100000}`;
    model.script = { command: `sleep ${seconds}`, finalText: 'never reached' };

    const created = await createGooseRun(marker, { timeout_seconds: 3 });
    const { run } = await followRun(created.id, 20_000);

    expect(run.status).toBe('timeout');
    await waitFor('the shell tool to be gone', () => processesWith(`sleep ${seconds}`).length === 0, 5_000);
  });

  it('keeps every live viewer\'s log complete and in order through viewer drops and a control-plane restart', async () => {
    const marker = `chatty-${Date.now()}`;
    model.script = {
      command: `echo ${marker}; sleep 3; for i in $(seq 1 1500); do echo "chatty line $i"; done`,
      finalText: 'chatted',
      delayMs: 300,
    };
    const created = await createGooseRun(marker);
    const viewers = Array.from({ length: 5 }, () => watchRun(created.id));
    await waitFor('the run to be running', async () => (await api<RunView>('GET', `/runs/${created.id}`)).status === 'running');

    // A viewer drops mid-run, then the control plane goes away for two seconds while the tool runs.
    viewers[0]!.drop();
    const port = control.port;
    await control.stop();
    await new Promise((r) => setTimeout(r, 2_000));
    await startControl(port);

    const { run } = await followRun(created.id);
    expect(run.status).toBe('completed');
    const stored = (await api<LogEntry[]>('GET', `/runs/${created.id}/logs?limit=10000`)).map(({ sequence, stream, line }) => ({ sequence, stream, line }));
    expect(stored.filter((l) => l.line.startsWith('chatty line'))).toHaveLength(1500);
    expect(stored.map((l) => l.sequence)).toEqual(stored.map((_, i) => i + 1));

    for (const viewer of viewers) {
      await waitFor('the viewer to catch up', () => viewer.lines.length >= stored.length, 10_000);
      viewer.stop();
      expect(viewer.lines).toEqual(stored);
      expect(viewer.statuses.at(-1)).toBe('completed');
      expect(viewer.reconnects()).toBeGreaterThanOrEqual(1);
    }

    // The SSE form carries the same log.
    const sse = await fetch(`${base}/api/v1/runs/${created.id}/logs/stream?token=${ADMIN_KEY}`);
    const reader = sse.body!.getReader();
    let text = '';
    while (!text.includes(`"sequence":${stored.length}}`)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    const events = [...text.matchAll(/event: log\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!));
    expect(events).toEqual(stored.map(({ stream, line, sequence }) => ({ stream, line, sequence })));
  });

  it('drains on the first SIGTERM: claims nothing more, lets the running run finish, then exits 0', async () => {
    const marker = `drain-${Date.now()}`;
    model.script = { command: `echo ${marker}`, finalText: 'finished while draining', delayMs: 1_500 };
    const created = await createGooseRun(marker);
    await waitFor('the run to be running', async () => (await api<RunView>('GET', `/runs/${created.id}`)).status === 'running');

    worker.child.kill('SIGTERM');
    const { run } = await followRun(created.id);
    expect(run.status).toBe('completed');
    expect(run.result).toBe('finished while draining');
    expect(await worker.exited).toBe(0);

    // Nothing was claimed after the signal: a new run stays queued.
    const next = await createGooseRun(`${marker}-after`);
    await new Promise((r) => setTimeout(r, 500));
    expect((await api<RunView>('GET', `/runs/${next.id}`)).status).toBe('queued');
    await api('POST', `/runs/${next.id}/cancel`);
  });

  it('cancels running runs on a second SIGTERM and exits', async () => {
    const second = await startWorker('e2e-worker-2');
    const marker = `forced-${Date.now()}`;
    const seconds = `302.${Date.now() % 100000}`;
    model.script = { command: `sleep ${seconds}`, finalText: 'never reached' };
    const created = await createGooseRun(marker);
    await waitFor('the shell tool to be running', () => processesWith(`sleep ${seconds}`).length > 0);

    second.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    // Draining alone lets the run go on.
    expect((await api<RunView>('GET', `/runs/${created.id}`)).status).toBe('running');
    second.child.kill('SIGTERM');

    const { run } = await followRun(created.id, 20_000);
    expect(run.status).toBe('cancelled');
    expect(run.failure_reason).toBe('cancelled_by_worker');
    expect(await second.exited).toBe(0);
    expect(processesWith(`sleep ${seconds}`)).toEqual([]);
  });
});
