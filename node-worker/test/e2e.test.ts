// End to end: the control plane on workerd (wrangler, real D1 and Durable Objects), a real node-worker
// process, the real goose binary, and a scripted model that makes goose run a shell command or call
// the job's MCP server's tool.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE } from './fixtures/model-server.ts';
import { startHttpProbe } from './fixtures/mcp-probe.ts';
import { ADMIN_KEY, processesWith, SECRET, startStack, type LogEntry, type RunView, type Stack, type WorkerProcess } from './fixtures/stack.ts';

let stack: Stack;
let worker: WorkerProcess;

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
    const ws = new WebSocket(`${stack.base.replace('http', 'ws')}/api/v1/runs/${runId}/logs/stream?token=${ADMIN_KEY}&after=${after}`);
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

beforeAll(async () => {
  stack = await startStack();
  worker = await stack.startWorker('e2e-worker');
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe('node-worker with goose', { timeout: 60_000 }, () => {
  it('runs a goose job end to end: the tool really runs, the answer is the result, usage is recorded, secrets are masked', async () => {
    const marker = `marker-${Date.now()}`;
    const proof = join(stack.tmp, 'proof.txt');
    stack.model.script = {
      command: `echo ${marker} && printf written > ${proof} && mkdir -p "$FLIGHT_CONTROL_ARTIFACTS_DIR/out" && printf 'report for ${marker}' > "$FLIGHT_CONTROL_ARTIFACTS_DIR/out/report.txt" && echo "key=$OPENAI_API_KEY" && test "$OPENAI_API_KEY" = "${SECRET}" && echo "token=$DEPLOY_TOKEN"`,
      finalText: 'I ran the command; it printed the marker and wrote the proof file.',
      delayMs: 600,
    };
    const seenBefore = stack.model.requests.length;

    // A key kept in a plain env var rather than a credential is masked too, by its name.
    const envSecret = `dt-${Date.now()}-plain`;
    const created = await stack.createGooseRun(marker, { env_vars: { OPENAI_HOST: stack.model.url, DEPLOY_TOKEN: envSecret } });
    expect(created.status).toBe('queued');
    const { run, seen } = await stack.followRun(created.id);

    expect(seen).toContain('running');
    expect(run.status).toBe('completed');
    expect(run.result).toBe('I ran the command; it printed the marker and wrote the proof file.');
    expect(run.exit_code).toBe(0);
    // Two model calls (tool call, then the answer), each reporting USAGE.
    expect(run.input_tokens).toBe(2 * USAGE.prompt_tokens);
    expect(run.output_tokens).toBe(2 * USAGE.completion_tokens);
    expect(run.total_tokens).toBe(2 * USAGE.total_tokens);

    expect(readFileSync(proof, 'utf8')).toBe('written');
    const requests = stack.model.requests.slice(seenBefore);
    expect(requests.length).toBe(2);
    // The credential reached goose, and the job's MCP server was loaded as an extension.
    expect(requests[0]!.authorization).toBe(`Bearer ${SECRET}`);
    expect(requests[0]!.body.tools?.map((t) => t.function?.name)).toContain('probe__whisper');

    const logs = await stack.runLogs(run.id);
    const text = logs.map((l) => l.line).join('\n');
    expect(logs.some((l) => l.stream === 'stdout' && l.line === marker)).toBe(true);
    expect(logs.some((l) => l.stream === 'stdout' && l.line === 'key=***')).toBe(true);
    expect(logs.some((l) => l.stream === 'stdout' && l.line === 'token=***')).toBe(true);
    expect(JSON.stringify(logs)).not.toContain(envSecret);
    expect(logs.some((l) => l.stream === 'event' && l.event === 'tool_request' && l.line.startsWith('▸ shell'))).toBe(true);
    expect(text).toContain('I ran the command; it printed the marker and wrote the proof file.');
    expect(JSON.stringify(logs)).not.toContain(SECRET);
    // The structured events: the tool call with its arguments (the secret in them masked), the
    // output lines naming that call, the answer's lines naming their message, and the usage.
    const call = logs.find((l) => l.event === 'tool_request')!;
    expect(call.data).toMatchObject({ id: expect.any(String), name: 'shell' });
    expect(call.data!.arguments.command).toContain('test "$OPENAI_API_KEY" = "***"');
    const output = logs.filter((l) => l.event === 'tool_response');
    expect(output.map((l) => l.line)).toContain(marker);
    expect(output.every((l) => l.data?.id === call.data!.id && l.data?.status === 'success')).toBe(true);
    const answer = logs.filter((l) => l.event === 'message' && l.sequence > call.sequence);
    expect(answer.map((l) => l.line).join('\n')).toBe(run.result);
    expect(new Set(answer.map((l) => l.data?.id)).size).toBe(1);
    expect(logs.find((l) => l.event === 'complete')?.data).toMatchObject({ total_tokens: 2 * USAGE.total_tokens, input_tokens: 2 * USAGE.prompt_tokens });
    // What the agent left in its artifacts directory was uploaded before the directory went.
    const artifacts = await stack.api<{ id: string; filename: string; size_bytes: number }[]>('GET', `/runs/${run.id}/artifacts`);
    expect(artifacts.map((a) => a.filename)).toEqual(['out__report.txt']);
    const download = await fetch(`${stack.base}/api/v1/runs/${run.id}/artifacts/${artifacts[0]!.id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(await download.text()).toBe(`report for ${marker}`);
    expect(logs.some((l) => l.stream === 'system' && l.line === 'artifact uploaded: out/report.txt')).toBe(true);
    // The run's private directory (goose config, HOME, workdir) is gone.
    expect(readdirSync(join(stack.tmp, 'runs'))).toEqual([]);
  });

  it('tells goose where files to keep go: a run asked to save a report yields it as an artifact', async () => {
    const marker = `report-${Date.now()}`;
    // The model follows its system instructions: it writes the report into the directory they name.
    stack.model.script = {
      commandFrom: (system) => {
        const dir = /in the directory (\S+);/.exec(system)?.[1];
        return dir ? `printf '# Fleet report\\n${marker}\\n' > ${dir}/fleet-report.md` : 'echo no directory named in the system prompt; exit 3';
      },
      finalText: 'The report is saved.',
    };
    const created = await stack.createGooseRun(marker, { task_prompt: `Write a short report on the fleet (${marker}) and save it.` });
    const { run } = await stack.followRun(created.id);
    expect(run.status).toBe('completed');
    const artifacts = await stack.api<{ id: string; filename: string }[]>('GET', `/runs/${run.id}/artifacts`);
    expect(artifacts.map((a) => a.filename)).toEqual(['fleet-report.md']);
    const download = await fetch(`${stack.base}/api/v1/runs/${run.id}/artifacts/${artifacts[0]!.id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(await download.text()).toBe(`# Fleet report\n${marker}\n`);
    // The log's start line names the instruction but is one line: its text spans lines and stays out.
    const start = (await stack.runLogs(run.id)).find((l) => l.stream === 'system' && l.line.startsWith('attempt 1/'))!;
    expect(start.line).toContain('--system <instructions>');
    expect(start.line).not.toContain('\n');
  });

  it('fails a run whose provider key is missing with a message naming the provider, the variable and how to supply it', async () => {
    const seenBefore = stack.model.requests.length;
    const created = await stack.createGooseRun(`keyless-${Date.now()}`, { credential_ids: [], agent_config: { provider: 'openai', model: 'scripted-model', max_turns: 5 } });
    const { run } = await stack.followRun(created.id);
    expect(run.status).toBe('failed');
    expect(run.result).toMatch(/^provider 'openai' needs OPENAI_API_KEY, which this run does not have\. Store the key as a credential whose env_var is OPENAI_API_KEY/);
    expect(run.result).not.toMatch(/keychain|goose configure/);
    expect(stack.model.requests.length).toBe(seenBefore);
    const logs = await stack.runLogs(run.id);
    expect(logs.some((l) => l.stream === 'system' && l.line.includes("provider 'openai' needs OPENAI_API_KEY"))).toBe(true);
  });

  it('lets the model call the job\'s MCP server: its tool runs with the model\'s arguments and its answer reaches the model and the log', async () => {
    const marker = `mcp-${Date.now()}`;
    stack.model.script = { tool: { name: 'probe__whisper', arguments: { note: marker } }, finalText: 'The probe told me the word.' };
    const seenBefore = stack.model.requests.length;

    const created = await stack.createGooseRun(marker);
    const { run } = await stack.followRun(created.id);

    expect(run.status).toBe('completed');
    expect(run.result).toBe('The probe told me the word.');
    // Only the fixture knows the word (from its server env) and joins it with the model's note.
    const answer = `the word is banana (note: ${marker})`;
    const requests = stack.model.requests.slice(seenBefore);
    expect(requests).toHaveLength(2);
    const toolMessages = requests[1]!.body.messages?.filter((m) => m.role === 'tool') ?? [];
    expect(JSON.stringify(toolMessages)).toContain(answer);
    const logs = await stack.runLogs(run.id);
    expect(logs.some((l) => l.stream === 'event' && l.line.startsWith('▸ probe__whisper') && l.line.includes(marker))).toBe(true);
    expect(logs.some((l) => l.stream === 'stdout' && l.line === answer)).toBe(true);
  });

  it('lets the model call a streamable-HTTP MCP server of the job: goose loads it, sends its headers, and the answer comes back', async () => {
    const probe = await startHttpProbe('kiwi');
    try {
      const marker = `http-mcp-${Date.now()}`;
      stack.model.script = { tool: { name: 'webprobe__whisper', arguments: { note: marker } }, finalText: 'The web probe answered.' };
      const seenBefore = stack.model.requests.length;
      const created = await stack.createGooseRun(marker, {
        mcp_servers: [{ name: 'webprobe', type: 'streamable_http', uri: probe.url, headers: { 'X-Probe-Token': 'let-me-in' } }],
      });
      const { run } = await stack.followRun(created.id);

      expect(run.status).toBe('completed');
      expect(run.result).toBe('The web probe answered.');
      const requests = stack.model.requests.slice(seenBefore);
      expect(requests[0]!.body.tools?.map((t) => t.function?.name)).toContain('webprobe__whisper');
      expect(probe.calls.map((c) => c.note)).toEqual([marker]);
      expect(probe.calls[0]!.headers['x-probe-token']).toBe('let-me-in');
      const answer = `the word is kiwi (note: ${marker})`;
      expect(JSON.stringify(requests[1]!.body.messages?.filter((m) => m.role === 'tool'))).toContain(answer);
      expect((await stack.runLogs(run.id)).some((l) => l.event === 'tool_response' && l.line === answer)).toBe(true);
    } finally {
      await probe.close();
    }
  });

  it('fails a run whose model provider rejects the API key, with the provider\'s message in its result and log', async () => {
    const marker = `revoked-${Date.now()}`;
    const revokedKey = `sk-e2e-revoked-${Date.now()}`;
    const message = 'Incorrect API key provided. You can find your API key in your account settings.';
    stack.model.rejectedKeys.set(revokedKey, message);
    await stack.api('POST', '/credentials', { name: 'openai-revoked', env_var: 'OPENAI_API_KEY', value: revokedKey });
    stack.model.script = { command: `echo ${marker}`, finalText: 'never reached' };
    const seenBefore = stack.model.requests.length;

    const created = await stack.createGooseRun(marker, { credential_ids: ['openai-revoked'] });
    const { run } = await stack.followRun(created.id);

    expect(stack.model.requests.slice(seenBefore).map((r) => r.authorization)).toContain(`Bearer ${revokedKey}`);
    expect(run.status).toBe('failed');
    expect(run.result).toContain(message);
    expect(run.result).toContain('401');
    const logs = await stack.runLogs(run.id);
    const text = logs.map((l) => l.line).join('\n');
    expect(text).toContain(message);
    expect(text).not.toContain(marker);
    expect(text).not.toContain(revokedKey);
  });

  it('cancels a running run: the whole process group stops and the run ends cancelled', async () => {
    const marker = `cancelme-${Date.now()}`;
    const seconds = `300.${Date.now() % 100000}`;
    stack.model.script = { command: `echo ${marker} && sleep ${seconds}`, finalText: 'never reached' };

    const created = await stack.createGooseRun(marker);
    // goose (its prompt names the marker) and the shell tool's sleep are both running.
    await stack.waitFor('goose to be running', () => processesWith(marker).length > 0);
    await stack.waitFor('the shell tool to be running', () => processesWith(`sleep ${seconds}`).length > 0);

    const cancelledAt = Date.now();
    await stack.api('POST', `/runs/${created.id}/cancel`);
    const { run } = await stack.followRun(created.id, 20_000);

    expect(run.status).toBe('cancelled');
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
    await stack.waitFor('every process of the run to be gone', () => processesWith(marker).length === 0 && processesWith(`sleep ${seconds}`).length === 0, 5_000);
    const logs = await stack.runLogs(run.id);
    expect(logs.some((l) => l.stream === 'system' && /cancelled/.test(l.line))).toBe(true);
  });

  it('stops a run that exceeds its timeout and ends it as timeout', async () => {
    const marker = `slow-${Date.now()}`;
    const seconds = `301.${Date.now() % 100000}`;
    stack.model.script = { command: `sleep ${seconds}`, finalText: 'never reached' };

    const created = await stack.createGooseRun(marker, { timeout_seconds: 3 });
    const { run } = await stack.followRun(created.id, 20_000);

    expect(run.status).toBe('timeout');
    await stack.waitFor('the shell tool to be gone', () => processesWith(`sleep ${seconds}`).length === 0, 5_000);
  });

  it('keeps every live viewer\'s log complete and in order through viewer drops and a control-plane restart', async () => {
    const marker = `chatty-${Date.now()}`;
    stack.model.script = {
      command: `echo ${marker}; sleep 3; for i in $(seq 1 1500); do echo "chatty line $i"; done`,
      finalText: 'chatted',
      delayMs: 300,
    };
    const created = await stack.createGooseRun(marker);
    const viewers = Array.from({ length: 5 }, () => watchRun(created.id));
    await stack.waitFor('the run to be running', async () => (await stack.api<RunView>('GET', `/runs/${created.id}`)).status === 'running');

    // A viewer drops mid-run, then the control plane goes away for ten seconds while the tool runs and prints.
    viewers[0]!.drop();
    await stack.restartControl(10_000);

    const { run } = await stack.followRun(created.id);
    expect(run.status).toBe('completed');
    const stored = (await stack.api<LogEntry[]>('GET', `/runs/${created.id}/logs?limit=10000`)).map(({ sequence, stream, line }) => ({ sequence, stream, line }));
    expect(stored.filter((l) => l.line.startsWith('chatty line'))).toHaveLength(1500);
    expect(stored.map((l) => l.sequence)).toEqual(stored.map((_, i) => i + 1));

    for (const viewer of viewers) {
      await stack.waitFor('the viewer to catch up', () => viewer.lines.length >= stored.length, 10_000);
      viewer.stop();
      expect(viewer.lines).toEqual(stored);
      expect(viewer.statuses.at(-1)).toBe('completed');
      expect(viewer.reconnects()).toBeGreaterThanOrEqual(1);
    }

    // The SSE form carries the same log.
    const sse = await fetch(`${stack.base}/api/v1/runs/${created.id}/logs/stream?token=${ADMIN_KEY}`);
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

  it('gives goose the run\'s skills: it lists them to the model, and the model runs the skill\'s script', async () => {
    const marker = `skill-${Date.now()}`;
    const form = new FormData();
    const skillMd = '---\nname: fleet-report\ndescription: Writes the weekly fleet report in the house style. Use when asked for a fleet report.\n---\n\nRun scripts/report.sh with the week as its argument.\n';
    form.set('skill_md', new File([skillMd], 'SKILL.md'));
    form.append('files', new File(['#!/bin/sh\necho "FLEET-REPORT-V2 $1"\n'], 'scripts/report.sh'));
    const res = await fetch(`${stack.base}/api/v1/skills`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` }, body: form });
    expect(res.status).toBe(201);
    const skill = (await res.json()) as { checksum_sha256: string };
    // The model follows its system prompt: it sees the skill there and runs the skill's script.
    stack.model.script = {
      commandFrom: (system) =>
        system.includes('fleet-report - Writes the weekly fleet report in the house style') ? `.goose/skills/fleet-report/scripts/report.sh ${marker}` : 'echo the skill is not in the system prompt; exit 3',
      finalText: 'The fleet report is written.',
    };
    const created = await stack.createGooseRun(marker, { skill_ids: ['fleet-report'] });
    const { run } = await stack.followRun(created.id);
    expect(run.status).toBe('completed');
    const logs = await stack.runLogs(run.id);
    expect(logs.some((l) => l.event === 'tool_response' && l.line === `FLEET-REPORT-V2 ${marker}`)).toBe(true);
    expect(logs.some((l) => l.stream === 'system' && l.line === 'skills: fleet-report (2 files, 0 from the cache)')).toBe(true);
    expect((await stack.api<{ skills: unknown }>('GET', `/runs/${run.id}`)).skills).toEqual([{ name: 'fleet-report', checksum_sha256: skill.checksum_sha256 }]);

    // Another run of the same skill takes its files from the worker's cache.
    const again = await stack.createGooseRun(`${marker}-again`, { skill_ids: ['fleet-report'] });
    expect((await stack.followRun(again.id)).run.status).toBe('completed');
    expect((await stack.runLogs(again.id)).some((l) => l.line === 'skills: fleet-report (2 files, 2 from the cache)')).toBe(true);
  });

  it('drains on the first SIGTERM: claims nothing more, lets the running run finish, leaves the fleet, then exits 0', async () => {
    const marker = `drain-${Date.now()}`;
    stack.model.script = { command: `echo ${marker}`, finalText: 'finished while draining', delayMs: 1_500 };
    const created = await stack.createGooseRun(marker);
    await stack.waitFor('the run to be running', async () => (await stack.api<RunView>('GET', `/runs/${created.id}`)).status === 'running');

    worker.child.kill('SIGTERM');
    const { run } = await stack.followRun(created.id);
    expect(run.status).toBe('completed');
    expect(run.result).toBe('finished while draining');
    expect(await worker.exited).toBe(0);
    // It said goodbye: the fleet view shows it offline at once, not 90 s later.
    const fleet = await stack.api<{ name: string; status: string }[]>('GET', '/system/workers');
    expect(fleet.filter((w) => w.name === worker.name).map((w) => w.status)).toEqual(['offline']);

    // Nothing was claimed after the signal: a new run stays queued.
    const next = await stack.createGooseRun(`${marker}-after`);
    await new Promise((r) => setTimeout(r, 500));
    expect((await stack.api<RunView>('GET', `/runs/${next.id}`)).status).toBe('queued');
    await stack.api('POST', `/runs/${next.id}/cancel`);
  });

  it('cancels running runs on a second SIGTERM and exits', async () => {
    const second = await stack.startWorker('e2e-worker-2');
    const marker = `forced-${Date.now()}`;
    const seconds = `302.${Date.now() % 100000}`;
    stack.model.script = { command: `sleep ${seconds}`, finalText: 'never reached' };
    const created = await stack.createGooseRun(marker);
    await stack.waitFor('the shell tool to be running', () => processesWith(`sleep ${seconds}`).length > 0);

    second.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    // Draining alone lets the run go on.
    expect((await stack.api<RunView>('GET', `/runs/${created.id}`)).status).toBe('running');
    second.child.kill('SIGTERM');

    const { run } = await stack.followRun(created.id, 20_000);
    expect(run.status).toBe('cancelled');
    expect(run.failure_reason).toBe('cancelled_by_worker');
    expect(await second.exited).toBe(0);
    expect(processesWith(`sleep ${seconds}`)).toEqual([]);
  });
});
