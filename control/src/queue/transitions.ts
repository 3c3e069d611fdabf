// Every change of a run's state, in one place: enqueue, claim, start, the lease check, renewal,
// complete, cancel, release, and the reaper's requeue and backstops. Each change is one conditional
// statement (or one batch) evaluated on D1's clock, so no two actors can both win. After D1 accepts a
// change the run's hub is told (retried); before D1 takes a lease back, the hub stops accepting it.
import { getTableColumns } from 'drizzle-orm';
import { loadConfig } from '../config.ts';
import type { RunCreate, WaitingReason } from '../contract/runs.ts';
import { isFinal, type FinalStatus, type RunStatus } from '../contract/statuses.ts';
import { heartbeatSeconds, pickupSeconds, V1_MIN_LEASE_SECONDS } from '../contract/worker.ts';
import { retries, retryDelaySeconds, type RetryPolicy } from '../contract/retry.ts';
import { keyMayCreateRuns, keyMayTakeWork } from '../db/findCaller.ts';
import { namesExist } from '../db/references.ts';
import { newId } from '../db/ids.ts';
import { jobDefinitions, jobRuns } from '../db/schema.ts';
import type { Env } from '../env.ts';
import { IN_FLEET, msUntil, NOW, nowMinus, nowPlus, WORKER_STATE } from './sql.ts';
import { tellFeed } from './notify.ts';

/** The one run row type: drizzle's, whether the row came through drizzle or a raw statement. */
export type RunRow = typeof jobRuns.$inferSelect;
type JobRow = typeof jobDefinitions.$inferSelect;

export interface RunContext {
  env: Env;
  /** Keeps work going after the response (a request's waitUntil); without it the work is awaited. */
  defer?: ((work: Promise<unknown>) => void) | undefined;
}

/**
 * How a worker proves it holds a run: the claim's lease token, or, for the original protocol's workers
 * (which send none), its identity: the API key it calls with, and its worker id where the call names it.
 */
export type Fence = { token: string } | { keyId: string; workerId: string | null };

export interface LeaseHolder {
  attempt: number;
  leaseToken: string;
  workerId: string;
  /** How long the lease has left, by D1's clock. */
  remainingMs: number;
}

const HELD = `status IN ('assigned', 'running')`;
const runColumns = Object.entries(getTableColumns(jobRuns));

/** Maps a raw `job_runs` row (snake_case, JSON as text) to the run row type. */
export function runFromSql(raw: Record<string, unknown>): RunRow {
  return Object.fromEntries(runColumns.map(([key, column]) => [key, raw[column.name] === null ? null : column.mapFromDriverValue(raw[column.name])])) as RunRow;
}

/**
 * The fence as a condition on a `job_runs` row: its lease token, or, for a run claimed without lease
 * tokens, its holder registered with this key (and named, where the call names a worker).
 */
const FENCED = (token: string, key: string, worker: string) => `
  (lease_token = ${token}
   OR (${token} IS NULL AND fencing = 'worker'
       AND worker_id IN (SELECT id FROM workers WHERE key_id = ${key} AND (${worker} IS NULL OR id = ${worker}))))`;

const fenceParams = (fence: Fence) => ('token' in fence ? [fence.token, null, null] : [null, fence.keyId, fence.workerId]);

async function leaseSecondsFor(env: Env, fencing: 'token' | 'worker'): Promise<number> {
  const { leaseSeconds } = await loadConfig(env);
  return fencing === 'worker' ? Math.max(leaseSeconds, V1_MIN_LEASE_SECONDS) : leaseSeconds;
}

/**
 * How long a claim lasts before its run is started or renewed: a worker of this protocol starts a run
 * before its agent does anything, so a claim that is neither started nor renewed within this window
 * reached no live worker (one that died with its claim parked, say) and goes back to the queue. A run
 * of the original protocol (which has no start) keeps its whole lease.
 */
async function claimSecondsFor(env: Env, fencing: 'token' | 'worker'): Promise<number> {
  const { leaseSeconds } = await loadConfig(env);
  return fencing === 'worker' ? leaseSecondsFor(env, fencing) : pickupSeconds(leaseSeconds);
}

// ---- enqueue ------------------------------------------------------------------------------------

/** Copies the job's current settings into a new queued run; later edits to the job never reach it. */
export async function enqueueJobRun(ctx: RunContext, job: JobRow): Promise<RunRow> {
  return enqueue(ctx, {
    workspaceId: job.workspaceId,
    jobDefinitionId: job.id,
    name: job.name,
    taskPrompt: job.taskPrompt,
    agentType: job.agentType,
    agentConfig: job.agentConfig,
    mcpServers: job.mcpServers,
    envVars: job.envVars,
    credentialIds: job.credentialIds,
    skillIds: job.skillIds,
    requiredLabels: job.labels,
    timeoutSeconds: job.timeoutSeconds,
    priority: job.priority,
    maxAttempts: job.maxAttempts,
    retry: job.retry,
  });
}

/**
 * An ad-hoc run (`POST /runs`), created only while the caller's key may still create runs in the
 * workspace (`keyMayCreateRuns`) and every credential and skill it names exists there, checked by the
 * insert itself: the route may act for a caller it remembers without looking the key up (see
 * auth/authenticate.ts). Null when either check refused it.
 */
export async function enqueueAdHocRun(ctx: RunContext, caller: { workspaceId: string; keyId: string }, body: RunCreate): Promise<RunRow | null> {
  return enqueue(
    ctx,
    {
      workspaceId: caller.workspaceId,
      jobDefinitionId: null,
      name: body.name,
      taskPrompt: body.task_prompt,
      agentType: body.agent_type,
      agentConfig: body.agent_config,
      mcpServers: body.mcp_servers,
      envVars: body.env_vars,
      credentialIds: body.credential_ids,
      skillIds: body.skill_ids,
      requiredLabels: body.required_labels,
      timeoutSeconds: body.timeout_seconds,
      priority: body.priority,
      maxAttempts: body.max_attempts,
      retry: body.retry,
    },
    caller.keyId,
  );
}

/** A new run with the same settings as `original` (its snapshot, env vars included), linked to it. */
export async function enqueueRerun(ctx: RunContext, original: RunRow): Promise<RunRow> {
  return enqueue(ctx, {
    workspaceId: original.workspaceId,
    jobDefinitionId: original.jobDefinitionId,
    name: original.name,
    taskPrompt: original.taskPrompt,
    agentType: original.agentType,
    agentConfig: original.agentConfig,
    mcpServers: original.mcpServers,
    envVars: original.envVars,
    credentialIds: original.credentialIds,
    skillIds: original.skillIds,
    requiredLabels: original.requiredLabels,
    timeoutSeconds: original.timeoutSeconds,
    priority: original.priority,
    maxAttempts: original.maxAttempts,
    retry: original.retry,
    rerunOf: original.id,
  });
}

// What a new run is given; every field defined, since a raw statement binds no `undefined`.
type NewRun = Pick<
  RunRow,
  | 'workspaceId'
  | 'jobDefinitionId'
  | 'name'
  | 'taskPrompt'
  | 'agentType'
  | 'agentConfig'
  | 'mcpServers'
  | 'envVars'
  | 'credentialIds'
  | 'skillIds'
  | 'requiredLabels'
  | 'timeoutSeconds'
  | 'priority'
  | 'maxAttempts'
  | 'retry'
> & { rerunOf?: string };

const ENQUEUE = (condition: string) => `
INSERT INTO job_runs (id, workspace_id, job_definition_id, status, name, task_prompt, agent_type, agent_config, mcp_servers,
                      env_vars, credential_ids, skill_ids, required_labels, timeout_seconds, priority, max_attempts, retry, rerun_of)
SELECT ?1, ?2, ?3, 'queued', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17
 WHERE ${condition}
RETURNING *`;
const ENQUEUE_ANY = ENQUEUE('TRUE');
// ?18 is the caller's key; ?10 and ?11 the names of the credentials and skills the run is given.
const ENQUEUE_FOR_KEY = ENQUEUE(`${keyMayCreateRuns('?18', '?2')} AND ${namesExist('credential_ids', '?10', '?2')} AND ${namesExist('skill_ids', '?11', '?2')}`);

const jsonOrNull = (value: unknown) => (value === null ? null : JSON.stringify(value));

/**
 * Inserts a queued run and wakes the workspace's parked claimers. With `keyId`, only while that key
 * may create runs in the workspace and the run's credentials and skills exist there (null
 * otherwise), in the same statement: no lookup before it can go stale.
 */
async function enqueue(ctx: RunContext, values: NewRun): Promise<RunRow>;
async function enqueue(ctx: RunContext, values: NewRun, keyId: string): Promise<RunRow | null>;
async function enqueue(ctx: RunContext, values: NewRun, keyId?: string): Promise<RunRow | null> {
  const params = [
    newId(),
    values.workspaceId,
    values.jobDefinitionId,
    values.name,
    values.taskPrompt,
    values.agentType,
    JSON.stringify(values.agentConfig),
    JSON.stringify(values.mcpServers),
    JSON.stringify(values.envVars),
    JSON.stringify(values.credentialIds),
    jsonOrNull(values.skillIds),
    JSON.stringify(values.requiredLabels),
    values.timeoutSeconds,
    values.priority,
    values.maxAttempts,
    jsonOrNull(values.retry),
    values.rerunOf ?? null,
  ];
  const d1 = ctx.env.DB;
  const statement = keyId === undefined ? d1.prepare(ENQUEUE_ANY).bind(...params) : d1.prepare(ENQUEUE_FOR_KEY).bind(...params, keyId);
  const raw = await statement.first<Record<string, unknown>>();
  if (!raw) return null;
  // Parked claimers retry at once; the caller need not wait for them.
  const wake = ctx.env.DISPATCHER.get(ctx.env.DISPATCHER.idFromName(values.workspaceId)).workAvailable();
  if (ctx.defer) ctx.defer(wake);
  else await wake;
  return runFromSql(raw);
}

/** A schedule's fire: the run it creates from the job's current settings, for one instant. */
export interface ScheduledRun {
  runId: string;
  scheduleId: string;
  workspaceId: string;
  jobId: string;
  scheduledFor: string;
}

// Only while that instant has no fire recorded: alarms racing the cron, retries and restarts can't
// make a second run for it (the fire's row is written in the same batch, see schedules/fire.ts).
const ENQUEUE_SCHEDULED = `
INSERT INTO job_runs (id, workspace_id, job_definition_id, status, name, task_prompt, agent_type, agent_config, mcp_servers,
                      env_vars, credential_ids, skill_ids, required_labels, timeout_seconds, priority, max_attempts, retry,
                      schedule_id, scheduled_for, created_at, updated_at)
SELECT ?1, j.workspace_id, j.id, 'queued', j.name, j.task_prompt, j.agent_type, j.agent_config, j.mcp_servers,
       j.env_vars, j.credential_ids, j.skill_ids, j.labels, j.timeout_seconds, j.priority, j.max_attempts, j.retry,
       ?2, ?3, ${NOW}, ${NOW}
  FROM job_definitions j
 WHERE j.id = ?4 AND j.workspace_id = ?5
   AND NOT EXISTS (SELECT 1 FROM schedule_fires WHERE schedule_id = ?2 AND scheduled_for = ?3)`;

/** The statement that enqueues a scheduled run; the caller batches it with the fire's record and wakes claimers. */
export function enqueueScheduledRun(d1: D1Database, run: ScheduledRun): D1PreparedStatement {
  return d1.prepare(ENQUEUE_SCHEDULED).bind(run.runId, run.scheduleId, run.scheduledFor, run.jobId, run.workspaceId);
}

// ---- claim --------------------------------------------------------------------------------------

export interface ClaimRequest {
  workspaceId: string;
  workerId: string;
  /** The caller's API key: a worker answers only to the key that registered it. */
  keyId: string;
  max: number;
  /** `worker` for the original protocol's poll: the run is fenced by the worker's identity. */
  fencing: 'token' | 'worker';
}

/**
 * `known: false`: the worker is not one this key registered in this workspace, or the key may no
 * longer take work there (revoked, or its maker no longer an admin): the claim checks both itself.
 */
export type ClaimResult = { known: false } | { known: true; runs: RunRow[] };

// A run is eligible when every one of its required labels is among the worker's labels (subset
// match) and any retry backoff has passed; higher priority first, then oldest first (rowid breaks
// ties within a millisecond). Concurrency limits are counted here too, so no two claims can together
// exceed them: runs of a job already holding its limit are passed over, and within one claim a job's
// runs (and the workspace's) are ranked so the claim takes no more than the slots left. The held
// counts are grouped once per claim, not counted per candidate. Only the first CANDIDATES_BEYOND_MAX
// eligible runs past the claim's size are ranked, keeping the claim cheap under a deep queue; a limit
// can then leave a claim short, never over. The outer `status = 'queued'` re-check makes the UPDATE
// the arbiter, so two claimers can never both take one run.
const CANDIDATES_BEYOND_MAX = 100;
const HELD_BY_JOB = `SELECT job_definition_id, COUNT(*) AS n FROM job_runs WHERE workspace_id = ?2 AND ${HELD} AND job_definition_id IS NOT NULL GROUP BY job_definition_id`;
const FULL_JOBS = `
       SELECT held.job_definition_id FROM (${HELD_BY_JOB}) held JOIN job_definitions j ON j.id = held.job_definition_id
        WHERE j.max_concurrent_runs IS NOT NULL AND held.n >= j.max_concurrent_runs`;
// The skills a claimed run is given, by name and checksum (null: every skill of the workspace; []:
// none; names: those). A run naming a skill that no longer exists gets NULL: it fails at delivery.
const GIVEN = `s.workspace_id = job_runs.workspace_id AND (job_runs.skill_ids IS NULL OR s.name IN (SELECT value FROM json_each(job_runs.skill_ids)))`;
const SKILLS_GIVEN = `
       CASE WHEN NOT EXISTS (SELECT 1 FROM json_each(COALESCE(job_runs.skill_ids, '[]')) n
                              WHERE NOT EXISTS (SELECT 1 FROM skills s WHERE s.workspace_id = job_runs.workspace_id AND s.name = n.value))
            THEN (SELECT json_group_array(json_object('name', g.name, 'checksum_sha256', g.checksum_sha256))
                    FROM (SELECT s.name, s.checksum_sha256 FROM skills s WHERE ${GIVEN} ORDER BY s.name) g)
       END`;
// How many runs this claim may take: the worker's free slots (its registered concurrency less the
// runs it holds), at most the `max_runs` it asked for. The original protocol's poll takes one, as the
// original did, whatever the worker holds.
const SLOTS = `
       CASE WHEN ?5 = 'worker' THEN ?3
            ELSE MIN(?3, MAX(0, COALESCE((SELECT concurrency FROM workers WHERE id = ?1), 0)
                              - (SELECT COUNT(*) FROM job_runs h WHERE h.worker_id = ?1 AND h.${HELD}))) END`;
const CLAIM = `
UPDATE job_runs
   SET status = 'assigned', worker_id = ?1, attempt = attempt + 1, fencing = ?5, skills = ${SKILLS_GIVEN},
       lease_token = lower(hex(randomblob(16))), lease_expires_at = ${nowPlus('?4')},
       started_at = NULL, available_at = NULL, updated_at = ${NOW}
 WHERE status = 'queued' AND id IN (
       SELECT ranked.id FROM (
              SELECT fits.id, fits.priority, fits.created_at, fits.rid,
                     ROW_NUMBER() OVER (ORDER BY fits.priority DESC, fits.created_at, fits.rid) AS workspace_rank
                FROM (SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.job_definition_id ORDER BY c.priority DESC, c.created_at, c.rid) AS job_rank
                        FROM (SELECT r.id, r.priority, r.created_at, r.rowid AS rid, r.job_definition_id, j.max_concurrent_runs AS job_limit
                                FROM job_runs r LEFT JOIN job_definitions j ON j.id = r.job_definition_id
                               WHERE r.workspace_id = ?2 AND r.status = 'queued'
                                 AND (r.available_at IS NULL OR r.available_at <= ${NOW})
                                 AND NOT EXISTS (
                                       SELECT 1 FROM json_each(r.required_labels) need
                                        WHERE NOT EXISTS (
                                              SELECT 1 FROM json_each((SELECT labels FROM workers WHERE id = ?1)) have
                                               WHERE have.key = need.key AND have.value = need.value))
                                 AND (j.max_concurrent_runs IS NULL OR r.job_definition_id NOT IN (${FULL_JOBS}))
                               ORDER BY r.priority DESC, r.created_at, r.rowid
                               LIMIT ?3 + ${CANDIDATES_BEYOND_MAX}) c) fits
                LEFT JOIN (${HELD_BY_JOB}) held ON held.job_definition_id = fits.job_definition_id
               WHERE fits.job_limit IS NULL OR fits.job_rank + COALESCE(held.n, 0) <= fits.job_limit) ranked
        WHERE (SELECT max_concurrent_runs FROM workspaces WHERE id = ?2) IS NULL
           OR ranked.workspace_rank + (SELECT COUNT(*) FROM job_runs h WHERE h.workspace_id = ?2 AND h.${HELD})
              <= (SELECT max_concurrent_runs FROM workspaces WHERE id = ?2)
        ORDER BY ranked.priority DESC, ranked.created_at, ranked.rid
        LIMIT ${SLOTS})
   AND EXISTS (SELECT 1 FROM workers WHERE id = ?1 AND workspace_id = ?2 AND key_id = ?6) AND ${keyMayTakeWork('?6', '?2')}
RETURNING *, rowid AS queue_position`;

const RECORD_ATTEMPTS = `
INSERT OR IGNORE INTO run_attempts (id, run_id, attempt, worker_id, lease_token, claimed_at)
SELECT lower(hex(randomblob(6))), id, attempt, worker_id, lease_token, ${NOW}
  FROM job_runs WHERE worker_id = ?1 AND status = 'assigned' AND lease_token IS NOT NULL`;

// A claim is also a sign of life, so an idle worker needs no separate heartbeat.
const TOUCH_WORKER = `
UPDATE workers SET last_heartbeat = ${NOW}, updated_at = ${NOW}, ${WORKER_STATE}
 WHERE id = ?1 AND workspace_id = ?2 AND key_id = ?3 AND ${keyMayTakeWork('?3', '?2')}`;

/**
 * Claims up to `max` queued runs for one worker in one atomic batch, recording each claim as an attempt
 * and the skills each run is given. The runs' hubs are not told: a fresh run's hub does not exist yet,
 * and creating one costs more than the claim itself. A hub that has viewers reads the `assigned`
 * status from D1 (see RunHub.reconcile), and every hub learns `running` when the worker starts the run.
 */
export async function claim(ctx: RunContext, req: ClaimRequest): Promise<ClaimResult> {
  return claimStatement(ctx.env.DB, req, await claimSecondsFor(ctx.env, req.fencing));
}

/** The claim's SQL alone, without telling hubs: what the claim benchmark measures the API against. */
export async function claimStatement(d1: D1Database, req: ClaimRequest, leaseSeconds: number): Promise<ClaimResult> {
  const [claimed, , touched] = await d1.batch<Record<string, unknown>>([
    d1.prepare(CLAIM).bind(req.workerId, req.workspaceId, req.max, leaseSeconds, req.fencing, req.keyId),
    d1.prepare(RECORD_ATTEMPTS).bind(req.workerId),
    d1.prepare(TOUCH_WORKER).bind(req.workerId, req.workspaceId, req.keyId),
  ]);
  return claimedRuns(claimed, touched);
}

function claimedRuns(claimed: D1Result<Record<string, unknown>> | undefined, touched: D1Result<Record<string, unknown>> | undefined): ClaimResult {
  if (!touched || touched.meta.changes === 0) return { known: false };
  // RETURNING follows no ORDER BY, so restore queue order for the worker.
  const raw = claimed?.results ?? [];
  const position = new Map(raw.map((r) => [r['id'] as string, r['queue_position'] as number]));
  const runs = raw.map(runFromSql);
  runs.sort((a, b) => b.priority - a.priority || a.createdAt.localeCompare(b.createdAt) || position.get(a.id)! - position.get(b.id)!);
  return { known: true, runs };
}

// Why queued runs wait: their backoff, or a limit their job or the workspace holds (what CLAIM checks).
const LIMITS = `
SELECT 'job' AS scope, j.id, j.max_concurrent_runs AS max,
       (SELECT COUNT(*) FROM job_runs h WHERE h.job_definition_id = j.id AND h.${HELD}) AS held
  FROM job_definitions j
 WHERE j.workspace_id = ?1 AND j.max_concurrent_runs IS NOT NULL AND j.id IN (SELECT value FROM json_each(?2))
UNION ALL
SELECT 'workspace', w.id, w.max_concurrent_runs,
       (SELECT COUNT(*) FROM job_runs h WHERE h.workspace_id = w.id AND h.${HELD})
  FROM workspaces w
 WHERE w.id = ?1 AND w.max_concurrent_runs IS NOT NULL`;

/** For each queued run among `rows`, why it is not being claimed yet, if a reason is known. */
export async function waitingReasons(env: Env, workspaceId: string, rows: RunRow[]): Promise<Map<string, WaitingReason>> {
  const reasons = new Map<string, WaitingReason>();
  const queued = rows.filter((r) => r.status === 'queued');
  if (queued.length === 0) return reasons;
  const jobs = [...new Set(queued.map((r) => r.jobDefinitionId).filter((id) => id !== null))];
  const { results } = await env.DB.prepare(LIMITS).bind(workspaceId, JSON.stringify(jobs)).all<{ scope: 'job' | 'workspace'; id: string; max: number; held: number }>();
  const full = new Set(results.filter((l) => l.held >= l.max).map((l) => `${l.scope}:${l.id}`));
  const now = new Date().toISOString();
  for (const run of queued) {
    if (run.availableAt !== null && run.availableAt > now) reasons.set(run.id, 'retry_backoff');
    else if (run.jobDefinitionId !== null && full.has(`job:${run.jobDefinitionId}`)) reasons.set(run.id, 'job_concurrency_limit');
    else if (full.has(`workspace:${workspaceId}`)) reasons.set(run.id, 'workspace_concurrency_limit');
  }
  return reasons;
}

// ---- start and the lease check ------------------------------------------------------------------

// Starting a run gives it the whole lease (the claim gave it only the pickup window).
const START = (fenced: string) => `
UPDATE job_runs SET status = 'running', started_at = COALESCE(started_at, ${NOW}), updated_at = ${NOW}, unstarted_claims = 0,
       lease_expires_at = MAX(lease_expires_at, ${nowPlus('?6')})
 WHERE id = ?1 AND workspace_id = ?2 AND ${HELD} AND ${fenced}
RETURNING cancel_requested_at, updated_at, started_at = updated_at AS just_started`;

const START_ATTEMPT = (fenced: string) => `
UPDATE run_attempts SET started_at = COALESCE(started_at, ${NOW})
 WHERE run_id = ?1 AND lease_token IN (SELECT lease_token FROM job_runs WHERE id = ?1 AND ${fenced})`;

export type StartResult = { ok: true; cancelRequested: boolean } | { ok: false };

/** Moves a claimed run to `running` when its agent starts; idempotent for a retried call. */
export async function start(ctx: RunContext, workspaceId: string, runId: string, fence: Fence): Promise<StartResult> {
  const d1 = ctx.env.DB;
  const fenced = FENCED('?3', '?4', '?5');
  const [started] = await d1.batch<{ cancel_requested_at: string | null; updated_at: string; just_started: number }>([
    d1.prepare(START(fenced)).bind(runId, workspaceId, ...fenceParams(fence), await leaseSecondsFor(ctx.env, 'token' in fence ? 'token' : 'worker')),
    d1.prepare(START_ATTEMPT(FENCED('?2', '?3', '?4'))).bind(runId, ...fenceParams(fence)),
  ]);
  const row = started?.results[0];
  if (!row) return { ok: false };
  if (row.just_started) announce(ctx, { id: runId, workspaceId }, 'running', row.updated_at);
  return { ok: true, cancelRequested: row.cancel_requested_at !== null };
}

const LEASE = (fenced: string) => `
SELECT attempt, lease_token AS leaseToken, worker_id AS workerId, ${msUntil('lease_expires_at')} AS remainingMs
  FROM job_runs WHERE id = ?1 AND workspace_id = ?2 AND ${HELD} AND ${fenced}`;

// A worker of the original protocol sends nothing else while its agent works: each of its calls
// renews its lease and counts as its heartbeat, and the first one moves the run to `running`.
const TOUCH_IDENTITY_LEASE = (fenced: string) => `
UPDATE job_runs SET lease_expires_at = ${nowPlus('?6')}, status = 'running', started_at = COALESCE(started_at, ${NOW}), unstarted_claims = 0,
       updated_at = CASE WHEN status = 'assigned' THEN ${NOW} ELSE updated_at END
 WHERE id = ?1 AND workspace_id = ?2 AND ${HELD} AND fencing = 'worker' AND ${fenced}
RETURNING attempt, lease_token AS leaseToken, worker_id AS workerId, ${msUntil('lease_expires_at')} AS remainingMs, updated_at`;

const TOUCH_HOLDER = (fenced: string) => `
UPDATE workers SET last_heartbeat = ${NOW}, updated_at = ${NOW}
 WHERE id = (SELECT worker_id FROM job_runs WHERE id = ?1 AND fencing = 'worker' AND ${HELD} AND ${fenced})`;

/**
 * Whether the fence still holds the run: the check every run-scoped worker call passes. For a run
 * fenced by identity it also renews the lease and marks the run running (see TOUCH_IDENTITY_LEASE).
 */
export async function checkLease(ctx: RunContext, workspaceId: string, runId: string, fence: Fence): Promise<LeaseHolder | null> {
  const d1 = ctx.env.DB;
  if ('token' in fence) {
    return d1.prepare(LEASE(FENCED('?3', '?4', '?5'))).bind(runId, workspaceId, ...fenceParams(fence)).first<LeaseHolder>();
  }
  const params = fenceParams(fence);
  const [before, touched] = await d1.batch<{ status: string } & LeaseHolder & { updated_at: string }>([
    d1.prepare(`SELECT status FROM job_runs WHERE id = ?1`).bind(runId),
    d1.prepare(TOUCH_IDENTITY_LEASE(FENCED('?3', '?4', '?5'))).bind(runId, workspaceId, ...params, await leaseSecondsFor(ctx.env, 'worker')),
    d1.prepare(START_ATTEMPT(FENCED('?2', '?3', '?4'))).bind(runId, ...params),
    d1.prepare(TOUCH_HOLDER(FENCED('?2', '?3', '?4'))).bind(runId, ...params),
  ]);
  const row = touched?.results[0];
  if (!row) return null;
  if (before?.results[0]?.status === 'assigned') announce(ctx, { id: runId, workspaceId }, 'running', row.updated_at);
  return { attempt: row.attempt, leaseToken: row.leaseToken, workerId: row.workerId, remainingMs: row.remainingMs };
}

// ---- renewal (heartbeat) ------------------------------------------------------------------------

export interface HeldLease {
  run_id: string;
  lease_token: string;
}

export interface Renewal {
  known: boolean;
  leases: { run_id: string; lease_expires_at: string }[];
  lost: string[];
  cancel: string[];
}

const RENEW = `
UPDATE job_runs SET lease_expires_at = ${nowPlus('?3')}
 WHERE worker_id = ?1 AND workspace_id = ?4 AND ${HELD}
   AND EXISTS (SELECT 1 FROM workers WHERE id = ?1 AND key_id = ?5)
   AND EXISTS (SELECT 1 FROM json_each(?2) held
                WHERE json_extract(held.value, '$.run_id') = job_runs.id
                  AND json_extract(held.value, '$.lease_token') = job_runs.lease_token)
RETURNING id, lease_expires_at, cancel_requested_at`;

// A worker that sends no lease tokens renews, with each heartbeat, every run it holds by identity:
// its own heartbeat, sent with the key that registered it.
const RENEW_BY_IDENTITY = `
UPDATE job_runs SET lease_expires_at = ${nowPlus('?3')}
 WHERE worker_id = ?1 AND workspace_id = ?2 AND ${HELD} AND fencing = 'worker'
   AND EXISTS (SELECT 1 FROM workers WHERE id = ?1 AND key_id = ?4)`;

const DRAINING = `UPDATE workers SET status = CASE WHEN ?3 = 1 THEN 'draining' ELSE status END WHERE id = ?1 AND workspace_id = ?2 AND key_id = ?4`;

/** A worker's heartbeat: renews the leases it still holds and reports those it lost or must cancel. */
export async function renew(ctx: RunContext, workspaceId: string, workerId: string, keyId: string, held: HeldLease[], draining: boolean): Promise<Renewal> {
  const d1 = ctx.env.DB;
  const { leaseSeconds } = await loadConfig(ctx.env);
  const [renewed, , , touched] = await d1.batch<{ id: string; lease_expires_at: string; cancel_requested_at: string | null }>([
    d1.prepare(RENEW).bind(workerId, JSON.stringify(held), leaseSeconds, workspaceId, keyId),
    d1.prepare(RENEW_BY_IDENTITY).bind(workerId, workspaceId, await leaseSecondsFor(ctx.env, 'worker'), keyId),
    d1.prepare(DRAINING).bind(workerId, workspaceId, draining ? 1 : 0, keyId),
    d1.prepare(TOUCH_WORKER).bind(workerId, workspaceId, keyId),
  ]);
  const rows = renewed?.results ?? [];
  const kept = new Set(rows.map((r) => r.id));
  return {
    known: (touched?.meta.changes ?? 0) > 0,
    leases: rows.map((r) => ({ run_id: r.id, lease_expires_at: r.lease_expires_at })),
    lost: held.map((h) => h.run_id).filter((id) => !kept.has(id)),
    cancel: rows.filter((r) => r.cancel_requested_at !== null).map((r) => r.id),
  };
}

// ---- complete -----------------------------------------------------------------------------------

export interface Completion {
  status: FinalStatus;
  result: string | null;
  exitCode: number | null;
  error: string | null;
  /** Short machine-readable reason for a failure, e.g. agent_failed, credential_missing. */
  reason?: string | null;
  usage?: { input_tokens: number | null; output_tokens: number | null; total_tokens: number | null; cost_usd: number | null } | undefined;
}

/** `status` is how the attempt ended; `retryAt` is set when the run went back to the queue for another. */
export type CompleteResult = { ok: true; status: FinalStatus; workerId: string; retryAt: string | null } | { ok: false };

// Usage adds up over a run's attempts: every attempt's tokens were spent.
const ADD_USAGE = `
       input_tokens = CASE WHEN ?8 IS NULL THEN input_tokens ELSE COALESCE(input_tokens, 0) + ?8 END,
       output_tokens = CASE WHEN ?9 IS NULL THEN output_tokens ELSE COALESCE(output_tokens, 0) + ?9 END,
       total_tokens = CASE WHEN ?10 IS NULL THEN total_tokens ELSE COALESCE(total_tokens, 0) + ?10 END,
       cost_usd = CASE WHEN ?11 IS NULL THEN cost_usd ELSE CAST(COALESCE(CAST(cost_usd AS REAL), 0) + CAST(?11 AS REAL) AS TEXT) END`;

const COMPLETE = `
UPDATE job_runs
   SET status = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled' ELSE ?4 END,
       failure_reason = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled_by_user'
                             WHEN ?4 = 'completed' THEN NULL
                             WHEN ?4 = 'failed' THEN COALESCE(?7, 'agent_failed')
                             WHEN ?4 = 'timeout' THEN 'timeout'
                             ELSE 'cancelled_by_worker' END,
       result = ?5, exit_code = ?6, ${ADD_USAGE},
       completed_at = ${NOW}, updated_at = ${NOW}, lease_token = NULL, lease_expires_at = NULL
 WHERE id = ?1 AND workspace_id = ?2 AND lease_token = ?3 AND ${HELD}
RETURNING status, worker_id, updated_at`;

const RETRY_POLICY = `SELECT retry, attempt FROM job_runs WHERE id = ?1 AND workspace_id = ?2 AND lease_token = ?3 AND ${HELD}`;

// The attempt failed and the run's policy retries it: back to the queue, claimable after the backoff
// (?12 seconds), unless a cancel was requested meanwhile (then COMPLETE records the cancel).
const RETRY = `
UPDATE job_runs
   SET status = 'queued', worker_id = NULL, lease_token = NULL, lease_expires_at = NULL, fencing = 'token',
       started_at = NULL, result = NULL, exit_code = NULL, failure_reason = NULL, ${ADD_USAGE},
       available_at = ${nowPlus('?12')}, updated_at = ${NOW}
 WHERE id = ?1 AND workspace_id = ?2 AND lease_token = ?3 AND ${HELD} AND cancel_requested_at IS NULL
RETURNING worker_id, attempt, available_at, ${msUntil('available_at')} AS wait_ms, updated_at`;

const END_ATTEMPT = `
UPDATE run_attempts SET ended_at = ${NOW}, outcome = ?3, detail = ?4
 WHERE run_id = ?1 AND lease_token = ?2 AND ended_at IS NULL`;

const FREE_WORKER = `UPDATE workers SET updated_at = ${NOW}, ${WORKER_STATE} WHERE id = ?1`;

/**
 * Records how the worker's attempt ended. A cancel request always wins; a failed or timed-out attempt
 * that the run's retry policy covers sends the run back to the queue for its next attempt, claimable
 * after the backoff; otherwise the status is the run's final one.
 */
export async function complete(ctx: RunContext, workspaceId: string, runId: string, fence: Fence, done: Completion): Promise<CompleteResult> {
  const d1 = ctx.env.DB;
  const token = 'token' in fence ? fence.token : (await checkLease(ctx, workspaceId, runId, fence))?.leaseToken;
  if (!token) return { ok: false };
  const held = await d1.prepare(RETRY_POLICY).bind(runId, workspaceId, token).first<{ retry: string | null; attempt: number }>();
  if (!held) return 'token' in fence ? alreadyEnded(ctx.env, workspaceId, runId, token, done.status) : { ok: false };
  await revokeLeases(ctx.env, [{ id: runId, token }]);
  const u = done.usage;
  const params = [
    runId,
    workspaceId,
    token,
    done.status,
    done.result,
    done.exitCode,
    done.reason ?? null,
    u?.input_tokens ?? null,
    u?.output_tokens ?? null,
    u?.total_tokens ?? null,
    u?.cost_usd === null || u?.cost_usd === undefined ? null : String(u.cost_usd),
  ];
  const policy = held.retry === null ? null : (JSON.parse(held.retry) as RetryPolicy);
  if ((done.status === 'failed' || done.status === 'timeout') && retries(policy, done.status, held.attempt)) {
    const retried = await d1
      .prepare(RETRY)
      .bind(...params, retryDelaySeconds(policy!, held.attempt))
      .first<{ worker_id: string; attempt: number; available_at: string; wait_ms: number; updated_at: string }>();
    if (retried) {
      await d1.batch([d1.prepare(END_ATTEMPT).bind(runId, token, done.status, done.error), d1.prepare(FREE_WORKER).bind(retried.worker_id)]);
      const waitSeconds = Math.max(0, Math.round(retried.wait_ms / 1000));
      announce(ctx, { id: runId, workspaceId }, 'queued', retried.updated_at, `attempt ${retried.attempt} ${done.status}; retrying in ${waitSeconds} s (attempt ${retried.attempt + 1} of ${policy!.max_attempts})`);
      wakeClaimersAfter(ctx, workspaceId, retried.wait_ms);
      return { ok: true, status: done.status, workerId: retried.worker_id, retryAt: retried.available_at };
    }
  }
  const updated = await d1
    .prepare(COMPLETE)
    .bind(...params)
    .first<{ status: FinalStatus; worker_id: string; updated_at: string }>();
  if (!updated) return { ok: false };
  // The run's row is the arbiter above; these two only tidy history and the worker's state.
  await d1.batch([d1.prepare(END_ATTEMPT).bind(runId, token, updated.status, done.error), d1.prepare(FREE_WORKER).bind(updated.worker_id)]);
  announce(ctx, { id: runId, workspaceId }, updated.status, updated.updated_at);
  return { ok: true, status: updated.status, workerId: updated.worker_id, retryAt: null };
}

// The attempt that held this lease, if a complete with this status (?4) ended it. Only a complete
// records `completed` or `failed`; `timeout` and `cancelled` may be the reaper's (a backstop, or a cancel
// pending when the lease ran out), so a repeat of those is not taken for the worker's own. The next
// attempt's claim clears `available_at`, so `retry_at` is then null.
const ENDED_ATTEMPT = `
SELECT a.outcome, a.worker_id, CASE WHEN r.status = 'queued' AND r.attempt = a.attempt THEN r.available_at END AS retry_at
  FROM run_attempts a JOIN job_runs r ON r.id = a.run_id
 WHERE a.run_id = ?1 AND r.workspace_id = ?2 AND a.lease_token = ?3 AND a.ended_at IS NOT NULL
   AND a.outcome = ?4 AND ?4 IN ('completed', 'failed')`;

/**
 * The same complete sent again under a lease whose attempt it already ended (the worker retried
 * because the first answer was lost): it gets the outcome recorded then, not a 409 that would tell it
 * the lease was taken from it. Nothing is written.
 */
async function alreadyEnded(env: Env, workspaceId: string, runId: string, token: string, status: FinalStatus): Promise<CompleteResult> {
  const ended = await env.DB.prepare(ENDED_ATTEMPT).bind(runId, workspaceId, token, status).first<{ outcome: FinalStatus; worker_id: string; retry_at: string | null }>();
  return ended ? { ok: true, status: ended.outcome, workerId: ended.worker_id, retryAt: ended.retry_at } : { ok: false };
}

/** Parked claimers try again once a retried run's backoff has passed. */
function wakeClaimersAfter(ctx: RunContext, workspaceId: string, ms: number): void {
  const wake = ctx.env.DISPATCHER.get(ctx.env.DISPATCHER.idFromName(workspaceId)).wakeAfter(Math.max(0, ms));
  if (ctx.defer) ctx.defer(wake);
  else void wake.catch(() => undefined);
}

/** A claimed run that cannot be sent to its worker (its credential is gone): it fails before it starts. */
export async function failAtClaim(ctx: RunContext, run: RunRow, reason: string, detail: string): Promise<void> {
  await tellHub(ctx.env, run.id, (hub) => hub.note(`run failed before start: ${detail}`)).catch(() => undefined);
  await complete(ctx, run.workspaceId, run.id, { token: run.leaseToken! }, { status: 'failed', result: detail, exitCode: null, error: detail, reason });
}

// ---- cancel -------------------------------------------------------------------------------------

// A queued run is cancelled at once; an assigned or running one is marked for its worker to act on.
const CANCEL = `
UPDATE job_runs
   SET status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
       completed_at = CASE WHEN status = 'queued' THEN ${NOW} ELSE completed_at END,
       failure_reason = CASE WHEN status = 'queued' THEN 'cancelled_by_user' ELSE failure_reason END,
       cancel_requested_at = COALESCE(cancel_requested_at, ${NOW}), updated_at = ${NOW}
 WHERE id = ?1 AND workspace_id = ?2 AND status IN ('queued', 'assigned', 'running')
RETURNING *`;

/** Returns the run after the request, or undefined when it is not cancellable. */
export async function requestCancel(ctx: RunContext, workspaceId: string, runId: string): Promise<RunRow | undefined> {
  const raw = await ctx.env.DB.prepare(CANCEL).bind(runId, workspaceId).first<Record<string, unknown>>();
  if (!raw) return undefined;
  const run = runFromSql(raw);
  if (run.status === 'cancelled') announce(ctx, run, 'cancelled', run.updatedAt);
  else if (run.workerId) {
    const dispatcher = ctx.env.DISPATCHER.get(ctx.env.DISPATCHER.idFromName(workspaceId));
    await dispatcher.cancelRequested(run.workerId, run.id);
  }
  return run;
}

// ---- release and reaping ------------------------------------------------------------------------

// Backdated rather than requeued here, so the reaper's one path decides between requeue and the end.
const RELEASE = `
UPDATE job_runs SET lease_expires_at = ${nowMinus('1')}, updated_at = ${NOW}
 WHERE worker_id = ?1 AND workspace_id = ?2 AND ${HELD}
   AND EXISTS (SELECT 1 FROM workers WHERE id = ?1 AND key_id = ?3)`;

const OFFLINE = `
UPDATE workers SET status = 'offline', current_run_id = NULL, last_heartbeat = ${NOW}, updated_at = ${NOW}
 WHERE id = ?1 AND workspace_id = ?2 AND key_id = ?3`;

/** A worker leaving the fleet: shown offline at once, and any run it still held is reaped now. */
export async function release(ctx: RunContext, workspaceId: string, workerId: string, keyId: string): Promise<{ known: boolean; released: Reaped }> {
  const d1 = ctx.env.DB;
  const [, offline] = await d1.batch([d1.prepare(RELEASE).bind(workerId, workspaceId, keyId), d1.prepare(OFFLINE).bind(workerId, workspaceId, keyId)]);
  const known = (offline?.meta.changes ?? 0) > 0;
  return { known, released: known ? await reap(ctx, workspaceId, workerId) : { requeued: [], ended: [] } };
}

export interface Reaped {
  /**
   * `wait_ms`: how long a retried run waits before it can be claimed (null: at once); `unclaimed`: its
   * claim was never started, so the attempt did not count.
   */
  requeued: { id: string; attempt: number; updated_at: string; wait_ms: number | null; unclaimed?: 1 }[];
  ended: { id: string; status: FinalStatus; failure_reason: string; updated_at: string }[];
}

const EXPIRED = `${HELD} AND lease_expires_at < ${NOW}`;
const OVERDUE = `status = 'running' AND started_at < ${nowMinus('(timeout_seconds + ?3)')}`;
const CANCEL_IGNORED = `${HELD} AND cancel_requested_at < ${nowMinus('?3')}`;
const DUE = `(${EXPIRED}) OR (${OVERDUE}) OR (${CANCEL_IGNORED})`;

// Every rule is about a held run; saying so outside the rules lets the index on (workspace, status)
// find the candidates, rather than every run the workspace ever had.
const CANDIDATES = `
SELECT id, lease_token AS token, retry, attempt FROM job_runs
 WHERE workspace_id = ?1 AND ${HELD} AND (?2 IS NULL OR worker_id = ?2) AND (${DUE})`;

// Statements below act only on the candidates (?2, a JSON list of ids) whose hubs have stopped
// accepting their lease, and re-check the rule, so a lease renewed meanwhile is left alone.
const PICKED = `workspace_id = ?1 AND id IN (SELECT value FROM json_each(?2))`;

const CLOSE_ATTEMPTS = `
UPDATE run_attempts SET ended_at = ${NOW},
       outcome = (SELECT CASE WHEN r.cancel_requested_at IS NOT NULL THEN 'cancelled'
                              WHEN r.lease_expires_at < ${NOW} THEN 'worker_lost' ELSE 'timeout' END
                    FROM job_runs r WHERE r.lease_token = run_attempts.lease_token)
 WHERE ended_at IS NULL AND lease_token IN (SELECT lease_token FROM job_runs WHERE ${PICKED} AND (${DUE}))`;

// A claim that ran out before its run was started reached no live worker: the run goes back to the
// queue as it was, the attempt uncounted and its record dropped, since no agent ever began it. Runs
// of the original protocol, which has no start, and runs being cancelled take the paths below.
// A run that MAX_UNSTARTED_CLAIMS claims in a row left unstarted (one that makes every worker that
// takes it die before starting, say) fails instead, so it does not go round for ever. Starting the
// run sets the count back to 0; a worker that leaves the fleet (?3 = 0) does not add to it.
export const MAX_UNSTARTED_CLAIMS = 5;
const UNSTARTED = `${PICKED} AND status = 'assigned' AND started_at IS NULL AND fencing = 'token' AND cancel_requested_at IS NULL AND (${EXPIRED})`;
const DROP_UNSTARTED_ATTEMPTS = `
DELETE FROM run_attempts WHERE ended_at IS NULL AND started_at IS NULL
   AND lease_token IN (SELECT lease_token FROM job_runs WHERE ${UNSTARTED})`;
const NEVER_STARTED = `
UPDATE job_runs SET status = 'failed', failure_reason = 'never_started', unstarted_claims = unstarted_claims + 1, attempt = attempt - 1,
       result = 'claimed ' || (unstarted_claims + 1) || ' times by workers that never started it',
       completed_at = ${NOW}, updated_at = ${NOW}, lease_token = NULL, lease_expires_at = NULL
 WHERE ${UNSTARTED} AND ?3 = 1 AND unstarted_claims + 1 >= ${MAX_UNSTARTED_CLAIMS}
RETURNING id, status, failure_reason, updated_at`;
const UNCLAIM = `
UPDATE job_runs SET status = 'queued', worker_id = NULL, lease_token = NULL, lease_expires_at = NULL,
       attempt = attempt - 1, unstarted_claims = unstarted_claims + ?3, updated_at = ${NOW}
 WHERE ${UNSTARTED}
RETURNING id, attempt, updated_at, NULL AS wait_ms, 1 AS unclaimed`;

// A lost worker's run goes back to the queue for another attempt unless it was being cancelled:
// without a retry policy at once, up to max_attempts; with one, when the policy retries lost workers
// (?3: run id → seconds of backoff, for the runs it retries).
const BACKOFF = `json_extract(?3, '$."' || id || '"')`;
const REQUEUE = `
UPDATE job_runs SET status = 'queued', worker_id = NULL, lease_token = NULL, lease_expires_at = NULL,
       fencing = 'token', started_at = NULL, updated_at = ${NOW},
       available_at = CASE WHEN retry IS NULL THEN NULL ELSE ${nowPlus(BACKOFF)} END
 WHERE ${PICKED} AND (${EXPIRED}) AND cancel_requested_at IS NULL
   AND ((retry IS NULL AND attempt < max_attempts) OR (retry IS NOT NULL AND ${BACKOFF} IS NOT NULL))
RETURNING id, attempt, updated_at, ${msUntil('available_at')} AS wait_ms`;

const END = `
UPDATE job_runs
   SET status = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'
                     WHEN lease_expires_at < ${NOW} THEN 'failed' ELSE 'timeout' END,
       failure_reason = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled_by_user'
                             WHEN lease_expires_at < ${NOW} THEN 'worker_lost' ELSE 'timeout' END,
       completed_at = ${NOW}, updated_at = ${NOW}, lease_token = NULL, lease_expires_at = NULL
 WHERE ${PICKED} AND (${DUE})
RETURNING id, status, failure_reason, updated_at`;

const FREE_WORKERS = `
UPDATE workers SET current_run_id = NULL, status = CASE WHEN status = 'busy' THEN 'online' ELSE status END
 WHERE workspace_id = ?1 AND current_run_id IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM job_runs WHERE worker_id = workers.id AND ${HELD})`;

const MARK_OFFLINE = `
UPDATE workers SET status = 'offline', updated_at = ${NOW}
 WHERE workspace_id = ?1 AND ${IN_FLEET} AND last_heartbeat < ${nowMinus('?2')}`;

/** Shows silent workers as offline; the fleet views call it so a worker that died idle doesn't linger as online. */
export async function markSilentWorkersOffline(env: Env, workspaceId: string): Promise<void> {
  const { workerOfflineSeconds } = await loadConfig(env);
  await env.DB.prepare(MARK_OFFLINE).bind(workspaceId, workerOfflineSeconds).run();
}

/**
 * Ends what workers abandoned: requeues runs whose lease expired (or fails them past max_attempts),
 * ends runs held past their timeout or a cancel request (backstops for a worker that holds its lease
 * but does not act), and marks silent workers offline. `workerId` limits it to one worker's runs.
 * The caller wakes parked claimers for the requeued runs.
 */
export async function reap(ctx: RunContext, workspaceId: string, workerId: string | null = null): Promise<Reaped> {
  const d1 = ctx.env.DB;
  const { backstopGraceSeconds, workerOfflineSeconds } = await loadConfig(ctx.env);
  const [due] = await d1.batch<{ id: string; token: string; retry: string | null; attempt: number }>([
    d1.prepare(CANDIDATES).bind(workspaceId, workerId, backstopGraceSeconds),
    d1.prepare(MARK_OFFLINE).bind(workspaceId, workerOfflineSeconds),
  ]);
  const candidates = due?.results ?? [];
  if (candidates.length === 0) return { requeued: [], ended: [] };
  // A hub that can't be reached keeps its run for the next round: its lease must stop working first.
  const revoked = await revokeLeases(ctx.env, candidates);
  if (revoked.length === 0) return { requeued: [], ended: [] };
  const picked = JSON.stringify(revoked.map((r) => r.id));
  const backoffs: Record<string, number> = {};
  for (const run of candidates) {
    const policy = run.retry === null ? null : (JSON.parse(run.retry) as RetryPolicy);
    if (policy && retries(policy, 'worker_lost', run.attempt)) backoffs[run.id] = retryDelaySeconds(policy, run.attempt);
  }
  const [, neverStarted, unclaimed, , requeued, ended] = await d1.batch<Record<string, unknown>>([
    d1.prepare(DROP_UNSTARTED_ATTEMPTS).bind(workspaceId, picked),
    // A worker leaving (`release`) gives its runs back; that counts as no claim left unstarted.
    d1.prepare(NEVER_STARTED).bind(workspaceId, picked, workerId === null ? 1 : 0),
    d1.prepare(UNCLAIM).bind(workspaceId, picked, workerId === null ? 1 : 0),
    d1.prepare(CLOSE_ATTEMPTS).bind(workspaceId, picked, backstopGraceSeconds),
    d1.prepare(REQUEUE).bind(workspaceId, picked, JSON.stringify(backoffs)),
    d1.prepare(END).bind(workspaceId, picked, backstopGraceSeconds),
    d1.prepare(FREE_WORKERS).bind(workspaceId),
  ]);
  const reaped: Reaped = {
    requeued: [...(unclaimed?.results ?? []), ...(requeued?.results ?? [])] as Reaped['requeued'],
    ended: [...(neverStarted?.results ?? []), ...(ended?.results ?? [])] as Reaped['ended'],
  };
  const taken = new Set([...reaped.requeued, ...reaped.ended].map((r) => r.id));
  const kept = revoked.filter((r) => !taken.has(r.id));
  await Promise.all([
    ...kept.map((r) => tellHub(ctx.env, r.id, (hub) => hub.restoreLease(r.token))),
    ...reaped.requeued.map((r) =>
      announce(
        { env: ctx.env },
        { id: r.id, workspaceId },
        'queued',
        r.updated_at,
        r.unclaimed
          ? 'the worker that claimed the run never started it; run back in the queue'
          : `worker lost; run requeued for attempt ${r.attempt + 1}${r.wait_ms === null ? '' : ` in ${Math.round(Math.max(0, r.wait_ms) / 1000)} s`}`,
      ),
    ),
    ...reaped.ended.map((r) =>
      announce(
        { env: ctx.env },
        { id: r.id, workspaceId },
        r.status,
        r.updated_at,
        r.failure_reason === 'never_started'
          ? `the run was claimed ${MAX_UNSTARTED_CLAIMS} times and never started; run failed`
          : `run ended by the control plane: ${r.failure_reason}`,
      ),
    ),
  ]);
  return reaped;
}

/** Workspaces where reaping may find something: runs held by workers, or workers gone silent. */
export async function workspacesToReap(env: Env): Promise<string[]> {
  const { workerOfflineSeconds } = await loadConfig(env);
  const { results } = await env.DB.prepare(
    `SELECT workspace_id FROM job_runs WHERE ${HELD}
      UNION
     SELECT workspace_id FROM workers WHERE ${IN_FLEET} AND last_heartbeat < ${nowMinus('?1')}`,
  )
    .bind(workerOfflineSeconds)
    .all<{ workspace_id: string }>();
  return results.map((r) => r.workspace_id);
}

/** Whether any run of the workspace is held, i.e. the reaper has something to watch. */
export async function anyHeld(env: Env, workspaceId: string): Promise<boolean> {
  return (await env.DB.prepare(`SELECT 1 FROM job_runs WHERE workspace_id = ?1 AND ${HELD} LIMIT 1`).bind(workspaceId).first()) !== null;
}

/** How often live workers renew their leases: after the control plane was away, they get this long to. */
export async function heartbeatMs(env: Env): Promise<number> {
  const { leaseSeconds } = await loadConfig(env);
  return heartbeatSeconds(leaseSeconds) * 1000;
}

// ---- telling the run's hub ----------------------------------------------------------------------

const HUB_ATTEMPTS = 4;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function hubFor(env: Env, runId: string) {
  return env.RUN_HUB.get(env.RUN_HUB.idFromName(runId));
}

/** Calls the run's hub, retrying with backoff; the last failure is thrown. */
async function tellHub<T>(env: Env, runId: string, call: (hub: ReturnType<typeof hubFor>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(hubFor(env, runId));
    } catch (err) {
      if (attempt >= HUB_ATTEMPTS) throw err;
      await delay(100 * 4 ** (attempt - 1));
    }
  }
}

/** Stops each run's hub accepting its lease; answers the runs whose hub confirmed. */
async function revokeLeases(env: Env, runs: { id: string; token: string | null }[]): Promise<{ id: string; token: string }[]> {
  const settled = await Promise.all(
    runs.map(async (r) => {
      if (!r.token) return null;
      const token = r.token;
      return tellHub(env, r.id, (hub) => hub.revokeLease(token)).then(
        () => ({ id: r.id, token }),
        (err: unknown) => {
          console.error(JSON.stringify({ message: 'could not revoke a lease in its run hub; the run waits for the next round', run_id: r.id, error: String(err) }));
          return null;
        },
      );
    }),
  );
  return settled.filter((r) => r !== null);
}

/**
 * Tells the run's hub (and through it every viewer) the status D1 just accepted at `at` (its
 * `updated_at`, which orders the announcements), with an optional note for the log. Retried; a hub
 * that still misses it reads D1 itself when a viewer connects.
 */
function announce(ctx: RunContext, run: { id: string; workspaceId: string }, status: RunStatus, at: string, note?: string): Promise<void> {
  const told = tellHub(ctx.env, run.id, (hub) => hub.status({ runId: run.id, workspaceId: run.workspaceId, status, at, ...(note ? { note } : {}) })).catch((err: unknown) => {
    console.error(JSON.stringify({ message: 'could not tell the run hub its status', run_id: run.id, status, final: isFinal(status), error: String(err) }));
  });
  const work = Promise.all([told, tellFeed(ctx.env, run.workspaceId, ['runs', 'workers'])]).then(() => undefined);
  if (ctx.defer) {
    ctx.defer(work);
    return Promise.resolve();
  }
  return work;
}
