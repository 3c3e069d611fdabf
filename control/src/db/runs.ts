// Run reads for the REST API; every change of a run goes through queue/transitions.ts.
import { and, asc, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import type { Run, RunAttempt, WaitingReason } from '../contract/runs.ts';
import type { RunStatus } from '../contract/statuses.ts';
import type { Cursor } from '../http/pagination.ts';
import type { RunRow } from '../queue/transitions.ts';
import type { Db } from './client.ts';
import { jobRuns, runAttempts, workers } from './schema.ts';

/** The run as the API shows it; `waiting` says why a queued run is not being claimed (see `waitingReasons`). */
export function toRun(row: RunRow, waiting: WaitingReason | null = null): Run {
  return {
    id: row.id,
    workspace_id: row.workspaceId,
    job_definition_id: row.jobDefinitionId,
    status: row.status,
    worker_id: row.workerId,
    name: row.name,
    task_prompt: row.taskPrompt,
    agent_type: row.agentType,
    agent_config: row.agentConfig,
    mcp_servers: row.mcpServers,
    credential_ids: row.credentialIds,
    skill_ids: row.skillIds,
    required_labels: row.requiredLabels,
    timeout_seconds: row.timeoutSeconds,
    priority: row.priority,
    attempt: row.attempt,
    max_attempts: row.maxAttempts,
    started_at: row.startedAt,
    completed_at: row.completedAt,
    result: row.result,
    exit_code: row.exitCode,
    failure_reason: row.failureReason,
    cancel_requested_at: row.cancelRequestedAt,
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    total_tokens: row.totalTokens,
    cost_usd: row.costUsd === null ? null : Number(row.costUsd),
    skills: row.skills,
    retry: row.retry,
    available_at: row.availableAt,
    waiting_reason: row.status === 'queued' ? waiting : null,
    rerun_of: row.rerunOf,
    schedule_id: row.scheduleId,
    scheduled_for: row.scheduledFor,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export async function findRun(db: Db, workspaceId: string, id: string): Promise<RunRow | undefined> {
  return db.query.jobRuns.findFirst({ where: and(eq(jobRuns.workspaceId, workspaceId), eq(jobRuns.id, id)) });
}

export interface RunFilter {
  jobId?: string | undefined;
  status?: RunStatus | undefined;
}

/** Newest first, ties broken by id, so pages never skip or repeat a run. */
export async function listRuns(db: Db, workspaceId: string, filter: RunFilter, limit: number, after: Cursor | null): Promise<RunRow[]> {
  const where: SQL[] = [eq(jobRuns.workspaceId, workspaceId)];
  if (filter.jobId !== undefined) where.push(eq(jobRuns.jobDefinitionId, filter.jobId));
  if (filter.status !== undefined) where.push(eq(jobRuns.status, filter.status));
  if (after) where.push(or(lt(jobRuns.createdAt, after.key), and(eq(jobRuns.createdAt, after.key), lt(jobRuns.id, after.id)))!);
  return db
    .select()
    .from(jobRuns)
    .where(and(...where))
    .orderBy(desc(jobRuns.createdAt), desc(jobRuns.id))
    .limit(limit + 1);
}

/** Every claim of the run, oldest first, with the name of the worker that made it. */
export async function listAttempts(db: Db, runId: string): Promise<RunAttempt[]> {
  const rows = await db
    .select({ attempt: runAttempts, workerName: workers.name })
    .from(runAttempts)
    .leftJoin(workers, eq(workers.id, runAttempts.workerId))
    .where(eq(runAttempts.runId, runId))
    .orderBy(asc(runAttempts.attempt));
  return rows.map(({ attempt: a, workerName }) => ({
    attempt: a.attempt,
    worker_id: a.workerId,
    worker_name: workerName,
    claimed_at: a.claimedAt,
    started_at: a.startedAt,
    ended_at: a.endedAt,
    outcome: a.outcome,
    detail: a.detail,
  }));
}
