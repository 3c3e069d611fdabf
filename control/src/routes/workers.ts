// /workers: the protocol compute workers speak — register, heartbeat, claim (long-poll), signals,
// and the lease-fenced run calls start, logs, artifacts and complete. Workers of the original
// protocol (poll, no lease tokens) are fenced by their identity instead (docs/PROTOCOL.md).
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { errorResponses, idParam, jsonBody, jsonResponse } from '../contract/common.ts';
import {
  ClaimedRun,
  heartbeatSeconds,
  leaseHeader,
  MAX_WAIT_SECONDS,
  WorkerClaimBody,
  WorkerClaimResult,
  WorkerCompleteBody,
  WorkerCompleteQuery,
  WorkerCompleteResult,
  WorkerDeregisterBody,
  WorkerDeregistered,
  WorkerHeartbeatBody,
  WorkerHeartbeatResult,
  WorkerLogBatch,
  WorkerLogResult,
  WorkerRegisterBody,
  WorkerRegistered,
  WorkerSignals,
  WorkerSignalsQuery,
  WorkerStartResult,
} from '../contract/worker.ts';
import { authenticateAfresh } from '../auth/authenticate.ts';
import { loadConfig } from '../config.ts';
import { secretsForRuns } from '../db/claimCredentials.ts';
import { openDb } from '../db/client.ts';
import { skillsForRuns } from '../db/skills.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../http/errors.ts';
import { createRouter } from '../http/router.ts';
import { notHolder, runContext } from '../http/run-context.ts';
import type { LeaseProof } from '../logs/run-hub.ts';
import { dispatcherFor, runHubFor, tellFeed } from '../queue/notify.ts';
import { MAX_WORKERS_PER_KEY } from '../limits.ts';
import { isWorkerOf, registerWorker } from '../queue/workers.ts';
import { checkLease, complete, failAtClaim, release, renew, start, type ClaimRequest, type ClaimResult, type Fence, type RunRow } from '../queue/transitions.ts';

const tags = ['Workers'];
const runId = idParam('run_id', 'Run id');

const workerUnknown = () => new ApiError(404, 'worker_unknown', 'Worker not found; register again');

/** The lease token when the call carries one; otherwise the caller's identity (the original protocol). */
function fenceOf(c: Context<AppEnv>, token: string | undefined, workerId: string | null = null): Fence {
  return token ? { token } : { keyId: c.get('auth').keyId, workerId };
}

async function claimThroughDispatcher(c: Context<AppEnv>, req: ClaimRequest, waitMs: number): Promise<ClaimResult> {
  // RPC types can't express rows with JSON columns (`unknown` values); structured clone carries them as they are.
  return (await dispatcherFor(c.env, req.workspaceId).claim(req, waitMs)) as ClaimResult;
}

/**
 * Turns claimed rows into what the worker needs: decrypted credentials and the skills' manifests. Only
 * runs that name credentials, or were given skills, cost a read. A run whose credential or skill is
 * gone is failed, not sent.
 */
async function deliverClaims(c: Context<AppEnv>, workspaceId: string, rows: RunRow[]): Promise<ClaimedRun[]> {
  if (rows.length === 0) return [];
  const config = await loadConfig(c.env);
  const withSkills = rows.filter((r) => r.skills === null || r.skills.length > 0);
  const [secrets, skills] = await Promise.all([
    secretsForRuns(
      c.env.DB,
      config.keyRing,
      workspaceId,
      rows.map((r) => ({ id: r.id, credentialNames: r.credentialIds })),
    ),
    // Reads nothing when no run has skills to resolve.
    skillsForRuns(openDb(c.env.DB), workspaceId, withSkills.map((r) => ({ id: r.id, skillIds: r.skillIds }))),
  ]);
  const delivered: ClaimedRun[] = [];
  for (const row of rows) {
    const secret = secrets.get(row.id);
    // A run left out above was given no skills.
    const given = skills.get(row.id) ?? { ok: true, skills: [] };
    if (!secret?.ok) {
      await failAtClaim(runContext(c), row, secret?.reason ?? 'credential_missing', secret?.detail ?? 'credentials unavailable');
      continue;
    }
    if (!given?.ok) {
      await failAtClaim(runContext(c), row, 'skill_missing', given?.detail ?? 'skills unavailable');
      continue;
    }
    delivered.push({
      run_id: row.id,
      lease_token: row.leaseToken!,
      lease_expires_at: row.leaseExpiresAt!,
      attempt: row.attempt,
      max_attempts: row.maxAttempts,
      name: row.name,
      task_prompt: row.taskPrompt,
      agent_type: row.agentType,
      agent_config: row.agentConfig,
      mcp_servers: row.mcpServers,
      env_vars: row.envVars,
      credentials: secret.env,
      skills: given.skills,
      timeout_seconds: row.timeoutSeconds,
    });
  }
  return delivered;
}

export const workerRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/workers/register',
      tags,
      summary: 'Register a worker and get its identity',
      request: jsonBody(WorkerRegisterBody),
      responses: { 201: jsonResponse(WorkerRegistered, 'The worker\'s id and protocol timings'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { leaseSeconds } = await loadConfig(c.env);
      const { workspaceId, keyId } = c.get('auth');
      const id = await registerWorker(c.env.DB, { workspaceId, keyId, name: body.name, labels: body.labels, concurrency: body.concurrency });
      if (!id) throw new ApiError(429, 'too_many_workers', `This key already has ${MAX_WORKERS_PER_KEY} workers online; stop one (or let it go offline) first`);
      return c.json({ id, name: body.name, lease_seconds: leaseSeconds, heartbeat_interval_seconds: heartbeatSeconds(leaseSeconds), max_wait_seconds: MAX_WAIT_SECONDS }, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/workers/heartbeat',
      tags,
      summary: 'Renew the leases a worker holds; learn which runs it lost or must cancel',
      request: jsonBody(WorkerHeartbeatBody),
      responses: { 200: jsonResponse(WorkerHeartbeatResult, 'Renewed leases'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { leaseSeconds } = await loadConfig(c.env);
      const { workspaceId, keyId } = c.get('auth');
      const renewal = await renew(runContext(c), workspaceId, body.worker_id, keyId, body.runs, body.status === 'draining');
      if (!renewal.known) throw workerUnknown();
      // A draining worker is a change the fleet view shows; plain heartbeats are too frequent to announce.
      if (body.status === 'draining') c.executionCtx.waitUntil(tellFeed(c.env, workspaceId, ['workers']));
      return c.json(
        { status: 'ok' as const, leases: renewal.leases, lost: renewal.lost, cancel: renewal.cancel, heartbeat_interval_seconds: heartbeatSeconds(leaseSeconds) },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/workers/deregister',
      tags,
      summary: 'Leave the fleet: the worker shows offline at once and any run it still holds is reaped now',
      request: jsonBody(WorkerDeregisterBody),
      responses: { 200: jsonResponse(WorkerDeregistered, 'Offline'), ...errorResponses },
    }),
    async (c) => {
      const { workspaceId, keyId } = c.get('auth');
      const workerId = c.req.valid('json').worker_id;
      const left = await release(runContext(c), workspaceId, workerId, keyId);
      if (!left.known) throw workerUnknown();
      const dispatcher = dispatcherFor(c.env, workspaceId);
      // A claim it left parked must not take runs for a worker that is gone.
      await dispatcher.dropClaims(workerId);
      if (left.released.requeued.length > 0) await dispatcher.workAvailable();
      for (const run of left.released.requeued) if (run.wait_ms !== null && run.wait_ms > 0) await dispatcher.wakeAfter(run.wait_ms);
      return c.json({ status: 'offline' as const, released: left.released.requeued.length + left.released.ended.length }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/workers/claim',
      tags,
      summary: 'Claim up to max_runs queued runs, waiting up to wait_seconds for work',
      request: jsonBody(WorkerClaimBody),
      responses: { 200: jsonResponse(WorkerClaimResult, 'Claimed runs (possibly none)'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { workspaceId, keyId } = c.get('auth');
      const { leaseSeconds } = await loadConfig(c.env);
      const result = await claimThroughDispatcher(c, { workspaceId, keyId, workerId: body.worker_id, max: body.max_runs, fencing: 'token' }, body.wait_seconds * 1000);
      if (!result.known) {
        // The claim refuses a key no longer admitted as well as a worker not its own; tell which.
        await authenticateAfresh(c);
        throw workerUnknown();
      }
      return c.json({ runs: await deliverClaims(c, workspaceId, result.runs), heartbeat_interval_seconds: heartbeatSeconds(leaseSeconds) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/workers/poll',
      tags,
      summary: 'The original protocol\'s poll: claim one run now, or null',
      description:
        'A run claimed here is fenced by the worker\'s identity as well as by its lease token: the worker may leave out `X-Lease-Token` and is then known by its API key (and by `worker_id` where the call names it). Its heartbeats and each of its calls renew the lease.',
      request: { query: z.object({ worker_id: z.string().min(1).max(64) }) },
      responses: { 200: jsonResponse(ClaimedRun.nullable(), 'A claimed run or null'), ...errorResponses },
    }),
    async (c) => {
      const { workspaceId, keyId } = c.get('auth');
      const result = await claimThroughDispatcher(c, { workspaceId, keyId, workerId: c.req.valid('query').worker_id, max: 1, fencing: 'worker' }, 0);
      if (!result.known) return c.json(null, 200);
      const [run] = await deliverClaims(c, workspaceId, result.runs);
      return c.json(run ?? null, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/workers/signals',
      tags,
      summary: 'Wait up to wait_seconds for cancel requests addressed to this worker\'s runs',
      request: { query: WorkerSignalsQuery },
      responses: { 200: jsonResponse(WorkerSignals, 'Runs to cancel (possibly none)'), ...errorResponses },
    }),
    async (c) => {
      const { worker_id, wait_seconds } = c.req.valid('query');
      const { workspaceId, keyId } = c.get('auth');
      if (!(await isWorkerOf(c.env.DB, workspaceId, worker_id, keyId))) throw workerUnknown();
      const cancel = await dispatcherFor(c.env, workspaceId).signals(worker_id, wait_seconds * 1000);
      return c.json({ cancel }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/workers/runs/{run_id}/start',
      tags,
      summary: 'Mark a claimed run running (its agent has started)',
      request: { params: runId, headers: leaseHeader },
      responses: { 200: jsonResponse(WorkerStartResult, 'Running'), ...errorResponses },
    }),
    async (c) => {
      const fence = fenceOf(c, c.req.valid('header')['x-lease-token']);
      const started = await start(runContext(c), c.get('auth').workspaceId, c.req.valid('param').run_id, fence);
      if (!started.ok) throw notHolder(fence);
      return c.json({ status: 'running' as const, cancel_requested: started.cancelRequested }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/workers/runs/{run_id}/logs',
      tags,
      summary: 'Append a batch of log lines (idempotent by sequence)',
      request: { params: runId, headers: leaseHeader, ...jsonBody(WorkerLogBatch) },
      responses: { 200: jsonResponse(WorkerLogResult, 'How many lines were new'), ...errorResponses },
    }),
    async (c) => {
      const id = c.req.valid('param').run_id;
      const token = c.req.valid('header')['x-lease-token'];
      // Text that is not well-formed UTF-16 (a lone surrogate) could not be stored or sent to viewers
      // as it is; it gets U+FFFD, as invalid bytes do. Event fields cross to the hub as JSON text.
      const lines = c.req.valid('json').lines.map(({ data, ...line }) => ({
        ...line,
        line: line.line.toWellFormed(),
        ...(data === undefined ? {} : { data: JSON.stringify(data) }),
      }));
      const { workspaceId, keyId } = c.get('auth');
      const hub = runHubFor(c.env, id);
      const proof: LeaseProof = token ? { token } : { keyId };
      const fence = fenceOf(c, token);
      let result = await hub.appendLeased(proof, workspaceId, lines);
      if (result === 'unchecked') {
        const holder = await checkLease(runContext(c), workspaceId, id, fence);
        if (!holder) throw notHolder(fence);
        // Trusted for half the lease's remaining time, so an identity-fenced run's lease is renewed in D1 before it runs out.
        const validForMs = Math.max(0, Math.floor(holder.remainingMs / 2));
        result = await hub.append({ runId: id, workspaceId, token: holder.leaseToken, attempt: holder.attempt, keyId: token ? null : keyId, validForMs }, lines);
      }
      if (typeof result === 'string') throw notHolder(fence);
      return c.json({ appended: result.appended, last_sequence: result.lastSequence }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/workers/runs/{run_id}/complete',
      tags,
      summary: 'Report a run\'s final status; a requested cancel always wins',
      request: { params: runId, headers: leaseHeader, query: WorkerCompleteQuery, ...jsonBody(WorkerCompleteBody) },
      responses: { 200: jsonResponse(WorkerCompleteResult, 'The status recorded'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const fence = fenceOf(c, c.req.valid('header')['x-lease-token'], c.req.valid('query').worker_id ?? null);
      const done = await complete(runContext(c), c.get('auth').workspaceId, c.req.valid('param').run_id, fence, {
        status: body.status,
        result: body.result,
        exitCode: body.exit_code,
        error: body.error,
        usage: body.usage,
      });
      if (!done.ok) throw notHolder(fence);
      return c.json({ status: done.status, retry_at: done.retryAt }, 200);
    },
  );
