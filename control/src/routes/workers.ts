// /workers: the protocol compute workers speak — register, heartbeat, claim (long-poll), signals,
// and the lease-fenced run calls start, logs, artifacts and complete.
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
import { loadConfig } from '../config.ts';
import { secretsForRuns } from '../db/claimCredentials.ts';
import type { AppEnv } from '../env.ts';
import { ApiError, leaseLost } from '../http/errors.ts';
import { createRouter } from '../http/router.ts';
import { checkLease } from '../queue/checkLease.ts';
import { completeRun } from '../queue/completeRun.ts';
import { deregisterWorker } from '../queue/deregisterWorker.ts';
import { dispatcherFor, runHubFor } from '../queue/notify.ts';
import { registerWorker } from '../queue/registerWorker.ts';
import { renewLeases } from '../queue/renewLeases.ts';
import type { RunRow } from '../queue/sql.ts';
import { startRun } from '../queue/startRun.ts';

const tags = ['Workers'];
const runId = idParam('run_id', 'Run id');

const workerUnknown = () => new ApiError(404, 'worker_unknown', 'Worker not found; register again');

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Turns claimed rows into what the worker needs, failing (not sending) runs whose credentials are gone. */
async function deliverClaims(c: Context<AppEnv>, workspaceId: string, rows: RunRow[]): Promise<ClaimedRun[]> {
  if (rows.length === 0) return [];
  const config = await loadConfig(c.env);
  const secrets = await secretsForRuns(
    c.env.DB,
    config.keyRing,
    workspaceId,
    rows.map((r) => ({ id: r.id, credentialNames: parseJson<string[]>(r.credential_ids, []) })),
  );
  const delivered: ClaimedRun[] = [];
  for (const row of rows) {
    const secret = secrets.get(row.id);
    if (!secret?.ok) {
      const detail = secret?.detail ?? 'credentials unavailable';
      await runHubFor(c.env, row.id).note(`run failed before start: ${detail}`);
      await completeRun(c.env.DB, workspaceId, row.id, row.lease_token!, { status: 'failed', result: detail, exitCode: null, error: detail, reason: secret?.reason ?? 'credential_missing' });
      await runHubFor(c.env, row.id).status('failed');
      continue;
    }
    // Viewers learn of the claim without the worker waiting on it.
    c.executionCtx.waitUntil(runHubFor(c.env, row.id).status('assigned').catch(() => undefined));
    delivered.push({
      run_id: row.id,
      lease_token: row.lease_token!,
      lease_expires_at: row.lease_expires_at!,
      attempt: row.attempt,
      max_attempts: row.max_attempts,
      name: row.name,
      task_prompt: row.task_prompt,
      agent_type: row.agent_type,
      agent_config: parseJson(row.agent_config, {}),
      mcp_servers: parseJson(row.mcp_servers, []),
      env_vars: parseJson(row.env_vars, {}),
      credentials: secret.env,
      timeout_seconds: row.timeout_seconds,
    });
  }
  return delivered;
}

async function leaseFor(c: Context<AppEnv>, runIdValue: string, token: string) {
  const holder = await checkLease(c.env.DB, c.get('auth').workspaceId, runIdValue, token);
  if (!holder) throw leaseLost();
  return holder;
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
      const id = await registerWorker(c.env.DB, { workspaceId: c.get('auth').workspaceId, name: body.name, labels: body.labels, concurrency: body.concurrency });
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
      const renewal = await renewLeases(c.env.DB, c.get('auth').workspaceId, body.worker_id, body.runs, leaseSeconds, body.status === 'draining');
      if (!renewal.known) throw workerUnknown();
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
      const { workspaceId } = c.get('auth');
      const left = await deregisterWorker(c.env.DB, workspaceId, c.req.valid('json').worker_id);
      if (!left.known) throw workerUnknown();
      if (left.released > 0) await dispatcherFor(c.env, workspaceId).reap(workspaceId);
      return c.json({ status: 'offline' as const, released: left.released }, 200);
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
      const { workspaceId } = c.get('auth');
      const { leaseSeconds } = await loadConfig(c.env);
      const result = await dispatcherFor(c.env, workspaceId).claim(
        { workspaceId, workerId: body.worker_id, max: body.max_runs, leaseSeconds },
        body.wait_seconds * 1000,
      );
      if (!result.known) throw workerUnknown();
      return c.json({ runs: await deliverClaims(c, workspaceId, result.runs), heartbeat_interval_seconds: heartbeatSeconds(leaseSeconds) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/workers/poll',
      tags,
      summary: 'The original protocol\'s poll: claim one run now, or null',
      request: { query: z.object({ worker_id: z.string().min(1).max(64) }) },
      responses: { 200: jsonResponse(ClaimedRun.nullable(), 'A claimed run or null'), ...errorResponses },
    }),
    async (c) => {
      const { workspaceId } = c.get('auth');
      const { leaseSeconds } = await loadConfig(c.env);
      const result = await dispatcherFor(c.env, workspaceId).claim(
        { workspaceId, workerId: c.req.valid('query').worker_id, max: 1, leaseSeconds },
        0,
      );
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
      const cancel = await dispatcherFor(c.env, c.get('auth').workspaceId).signals(worker_id, wait_seconds * 1000);
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
      const started = await startRun(c.env.DB, c.get('auth').workspaceId, c.req.valid('param').run_id, c.req.valid('header')['x-lease-token']);
      if (!started.ok) throw leaseLost();
      await runHubFor(c.env, c.req.valid('param').run_id).status('running');
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
      const hub = runHubFor(c.env, id);
      let result = await hub.appendIfLeased(token, lines);
      if (!result) {
        const { attempt } = await leaseFor(c, id, token);
        result = await hub.append(attempt, lines, token);
      }
      return c.json({ appended: result.appended, last_sequence: result.lastSequence }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/workers/runs/{run_id}/complete',
      tags,
      summary: 'Report a run\'s final status; a requested cancel always wins',
      request: { params: runId, headers: leaseHeader, ...jsonBody(WorkerCompleteBody) },
      responses: { 200: jsonResponse(WorkerCompleteResult, 'The status recorded'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const done = await completeRun(c.env.DB, c.get('auth').workspaceId, c.req.valid('param').run_id, c.req.valid('header')['x-lease-token'], {
        status: body.status,
        result: body.result,
        exitCode: body.exit_code,
        error: body.error,
        usage: body.usage,
      });
      if (!done.ok) throw leaseLost();
      await runHubFor(c.env, c.req.valid('param').run_id).status(done.status);
      return c.json({ status: done.status }, 200);
    },
  );
