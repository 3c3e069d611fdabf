// Runs one claimed run end to end: marks it started, runs its agent in a private directory, streams
// masked output to the control plane, enforces the timeout, stops on cancel, and reports the outcome.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClaimedRun, WorkerCompleteBody } from '../../control/src/contract/worker.ts';
import { AgentConfigError, type Agent, type AgentOutcome, type AgentOutput, type ParsedLine } from './agents/base.ts';
import type { ApiResult, ControlPlaneClient } from './client.ts';
import { ARTIFACTS_ENV, MAX_ARTIFACTS, uploadArtifacts } from './artifacts.ts';
import { LogStreamer } from './log-streamer.ts';
import { createMasker, secretsInEnv, type Masker } from './mask.ts';
import { spawnGroup, type GroupProcess } from './process.ts';
import { installSkills, SkillInstallError } from './skills.ts';
import { recordAgentGroup, recordWorker } from './sweep.ts';
import type { ExecuteRun, StopReason, WorkerLog } from './worker.ts';

export interface RunnerDeps {
  client: ControlPlaneClient;
  agents: Agent[];
  /** Each run gets a fresh directory under here, removed when the run ends. */
  workRoot: string;
  /** The worker's own environment minus its settings; the agent starts from it. */
  baseEnv: Record<string, string>;
  /** Values masked in every run besides its credentials, e.g. keys in the worker's own environment. */
  workerSecrets?: string[];
  log: WorkerLog;
  /** Grace per signal when stopping an agent (SIGINT → SIGTERM → SIGKILL). */
  stopGraceMs?: number;
}

type EndReason = StopReason | 'timeout';

const START_ATTEMPTS = 5;
/** Under the work root, beside the run directories: skill files by checksum, shared by every run. */
const SKILL_CACHE = 'skill-cache';
// While the control plane is away the run stays held (heartbeats resume when it is back), so the
// last lines and the outcome are sent for as long as it takes, until the lease is known to be lost.
const LOG_FLUSH_DEADLINE_MS = Number.POSITIVE_INFINITY;

export function createRunner(deps: RunnerDeps): ExecuteRun {
  const agents = new Map(deps.agents.map((a) => [a.type, a]));
  return (run, stop) => executeRun(deps, agents, run, stop);
}

async function executeRun(deps: RunnerDeps, agents: Map<string, Agent>, run: ClaimedRun, stop: AbortSignal): Promise<void> {
  const { client, log } = deps;
  // Credentials, and job env vars whose names say they hold a secret (a key put there instead of in a credential).
  const mask = createMasker([...Object.values(run.credentials), ...secretsInEnv(run.env_vars), ...(deps.workerSecrets ?? [])]);
  let ended: EndReason | null = null;
  let agentProcess: GroupProcess | null = null;
  const end = (reason: EndReason) => {
    if (ended) return;
    ended = reason;
    void agentProcess?.stop();
  };
  const streamer = new LogStreamer((lines) => client.logs(run.run_id, run.lease_token, lines), { onLeaseLost: () => end('lease_lost') });
  const emit = (line: ParsedLine) => streamer.add(line.stream, mask(line.text), line.event, line.data && maskData(line.data, mask));
  const onStop = () => end(stopReason(stop.reason));
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });

  const started = await startWithRetry(client, run, stop);
  if (!started.ok) {
    stop.removeEventListener('abort', onStop);
    log.warn('could not start run; leaving it to the lease', { run_id: run.run_id, status: started.status, error: started.error });
    return;
  }

  const agent = agents.get(run.agent_type);
  let runDir: string | null = null;
  let artifactsDir: string | null = null;
  let outcome: AgentOutcome;
  let exitCode: number | null = null;
  try {
    if (started.data.cancel_requested) end('cancelled');
    if (ended) {
      outcome = { status: 'failed', result: null, error: null, usage: null };
    } else if (!agent) {
      outcome = { status: 'failed', result: null, error: `this worker cannot run agent_type '${run.agent_type}'`, usage: null };
    } else {
      await mkdir(deps.workRoot, { recursive: true });
      runDir = await mkdtemp(join(deps.workRoot, `run-${run.run_id}-`));
      const dir = runDir;
      await recordWorker(dir);
      const workDir = join(runDir, 'work');
      artifactsDir = join(runDir, 'artifacts');
      await mkdir(workDir, { recursive: true });
      await mkdir(artifactsDir, { recursive: true });
      if (run.skills.length > 0) {
        const got = await installSkills(client, run.skills, workDir, join(deps.workRoot, SKILL_CACHE));
        emit({ stream: 'system', text: `skills: ${got.skills.join(', ')} (${got.files} files, ${got.cached} from the cache)` });
      }
      const launch = await agent.prepare({
        runId: run.run_id,
        prompt: run.task_prompt,
        agentConfig: run.agent_config,
        mcpServers: run.mcp_servers,
        env: { ...run.env_vars, ...run.credentials, [ARTIFACTS_ENV]: artifactsDir },
        homeDir: runDir,
        workDir,
        artifactsDir,
        baseEnv: deps.baseEnv,
      });
      emit({ stream: 'system', text: `attempt ${run.attempt}/${run.max_attempts}: starting ${agent.type} (${describeArgs(launch.args)})` });
      const result = await runAgent(launch.command, launch.args, launch.env, workDir, launch.output, emit, run.timeout_seconds, end, deps.stopGraceMs, (p) => {
        agentProcess = p;
        // If this worker dies outright, the next one to start on this work root stops the agent by it.
        try {
          recordAgentGroup(dir, p.pid);
        } catch (err) {
          log.warn('could not record the agent process group', { run_id: run.run_id, error: String(err) });
        }
        if (ended) void p.stop();
      });
      exitCode = result.exitCode;
      outcome = result.outcome;
    }
  } catch (err) {
    // A configuration error is the user's to fix and says how; anything else is this worker's trouble.
    const error =
      err instanceof AgentConfigError ? err.message : err instanceof SkillInstallError ? `could not install the run's skills: ${err.message}` : `could not run the agent: ${err instanceof Error ? err.message : String(err)}`;
    outcome = { status: 'failed', result: null, error, usage: null };
  } finally {
    stop.removeEventListener('abort', onStop);
    if (artifactsDir && ended !== 'lease_lost') {
      const report = await uploadArtifacts(client, run.run_id, run.lease_token, artifactsDir);
      for (const name of report.uploaded) emit({ stream: 'system', text: `artifact uploaded: ${name}` });
      for (const f of report.failed) emit({ stream: 'system', text: `artifact not uploaded: ${f.name}: ${f.error}` });
      if (report.skipped > 0) emit({ stream: 'system', text: `${report.skipped} more artifacts were not uploaded (at most ${MAX_ARTIFACTS} per run)` });
    }
    if (runDir) await rm(runDir, { recursive: true, force: true }).catch((err: unknown) => log.warn('could not remove run directory', { run_id: run.run_id, error: String(err) }));
  }

  const reason = ended as EndReason | null;
  if (reason === 'lease_lost') {
    // Another worker may own the run now: nothing more is said about it.
    await streamer.close(1_000);
    log.warn('lease lost; abandoned run', { run_id: run.run_id });
    return;
  }
  const body = completion(outcome, reason, exitCode, run.timeout_seconds, mask);
  emit({ stream: 'system', text: `run ${body.status}${exitCode === null ? '' : ` (exit code ${exitCode})`}${body.error ? `: ${body.error}` : ''}` });
  const flushed = await streamer.close(LOG_FLUSH_DEADLINE_MS);
  if (!flushed.delivered && streamer.lost) {
    log.warn('lease lost while flushing logs; abandoned run', { run_id: run.run_id });
    return;
  }
  const done = await completeWithRetry(client, run, body);
  if (done.ok) log.info('run finished', { run_id: run.run_id, status: done.data.status });
  else log.warn('could not report run outcome', { run_id: run.run_id, status: done.status, error: done.error });
}

/** Spawns the agent, feeds its output through `output` into the log, and waits for it to end or be stopped. */
async function runAgent(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  output: AgentOutput,
  emit: (line: ParsedLine) => void,
  timeoutSeconds: number,
  end: (reason: EndReason) => void,
  graceMs: number | undefined,
  onSpawn: (p: GroupProcess) => void,
): Promise<{ exitCode: number | null; outcome: AgentOutcome }> {
  const proc = await spawnGroup(command, args, {
    cwd,
    env,
    onLine: (stream, raw) => {
      for (const line of output.parse(stream, raw)) emit(line);
    },
    ...(graceMs === undefined ? {} : { graceMs }),
  });
  onSpawn(proc);
  const timer = setTimeout(() => end('timeout'), timeoutSeconds * 1000);
  try {
    const exit = await proc.exited;
    // Tool processes the agent left behind go with it.
    await proc.stop();
    for (const line of output.flush()) emit(line);
    return { exitCode: exit.code, outcome: output.outcome(exit.code) };
  } finally {
    clearTimeout(timer);
  }
}

function completion(outcome: AgentOutcome, reason: EndReason | null, exitCode: number | null, timeoutSeconds: number, mask: Masker): WorkerCompleteBody {
  let status: WorkerCompleteBody['status'] = outcome.status;
  let error = outcome.error;
  if (reason === 'timeout') {
    status = 'timeout';
    error = `the run exceeded its timeout of ${timeoutSeconds} s and was stopped`;
  } else if (reason === 'cancelled') {
    status = 'cancelled';
    error = 'cancelled by request';
  } else if (reason === 'shutdown') {
    status = 'cancelled';
    error = 'the worker was shut down while the run was in progress';
  }
  // A run that did not complete shows why in its result, as the control plane's own failures do.
  const result = outcome.result ?? (status === 'completed' ? null : error);
  return {
    status,
    result: result === null ? null : mask(result).slice(0, 1_000_000),
    exit_code: exitCode,
    error: error === null ? null : mask(error).slice(0, 10_000),
    ...(outcome.usage ? { usage: outcome.usage } : {}),
  };
}

/** Secrets are masked in event fields as in text: in their JSON form, which is how they would appear there. */
function maskData(data: Record<string, unknown>, mask: Masker): Record<string, unknown> {
  const json = JSON.stringify(data);
  const masked = mask(json);
  if (masked === json) return data;
  try {
    return JSON.parse(masked) as Record<string, unknown>;
  } catch {
    // A secret that matched across the JSON's own punctuation: the fields can't be shown safely.
    return { masked: true };
  }
}

function stopReason(reason: unknown): StopReason {
  return reason === 'cancelled' || reason === 'lease_lost' ? reason : 'shutdown';
}

/**
 * What stands for an argument's value when the argv is logged: the prompt (already in the run's
 * record) and the system instruction are long and span lines, and the log line is one line.
 */
const ELIDED = new Map([
  ['-t', '<task prompt>'],
  ['--text', '<task prompt>'],
  ['--system', '<instructions>'],
]);

function describeArgs(args: string[]): string {
  const shown: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    shown.push(arg);
    const stand = ELIDED.get(arg);
    if (stand !== undefined) {
      shown.push(stand);
      i++;
    }
  }
  return shown.join(' ');
}

async function startWithRetry(client: ControlPlaneClient, run: ClaimedRun, stop: AbortSignal) {
  let res = await client.start(run.run_id, run.lease_token);
  for (let attempt = 1; !res.ok && res.status !== 409 && attempt < START_ATTEMPTS && !stop.aborted; attempt++) {
    await delay(500 * 2 ** attempt);
    res = await client.start(run.run_id, run.lease_token);
  }
  return res;
}

async function completeWithRetry(client: ControlPlaneClient, run: ClaimedRun, body: WorkerCompleteBody): Promise<ApiResult<{ status: string }>> {
  let res = await client.complete(run.run_id, run.lease_token, body);
  for (let failures = 1; !res.ok && (res.status === 0 || res.status >= 500); failures++) {
    await delay(Math.min(5_000, 250 * 2 ** failures));
    res = await client.complete(run.run_id, run.lease_token, body);
  }
  return res;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
