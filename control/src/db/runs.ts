// Run queries for the REST API: create (snapshotting the job), read, list and cancel.
import { and, desc, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Run, RunCreate } from '../contract/runs.ts';
import type { Cursor } from '../http/pagination.ts';
import type { Db } from './client.ts';
import { newId, nowIso } from './ids.ts';
import { jobDefinitions, jobRuns, type RunStatus } from './schema.ts';

type RunRow = typeof jobRuns.$inferSelect;
type JobRow = typeof jobDefinitions.$inferSelect;

export const cancellableStatuses: readonly RunStatus[] = ['queued', 'assigned', 'running'];

export function toRun(row: RunRow): Run {
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
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/** Copies the job's current settings into a new queued run; later edits to the job never reach it. */
export async function insertRunFromJob(db: Db, job: JobRow): Promise<RunRow> {
  const now = nowIso();
  const [row] = await db
    .insert(jobRuns)
    .values({
      id: newId(),
      workspaceId: job.workspaceId,
      jobDefinitionId: job.id,
      status: 'queued',
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
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return row!;
}

export async function insertAdHocRun(db: Db, workspaceId: string, body: RunCreate): Promise<RunRow> {
  const now = nowIso();
  const [row] = await db
    .insert(jobRuns)
    .values({
      id: newId(),
      workspaceId,
      jobDefinitionId: null,
      status: 'queued',
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
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return row!;
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

/**
 * One conditional update: a queued run is cancelled at once; an assigned or running run is marked
 * cancel-requested for its worker to act on. Returns undefined when the run is not cancellable.
 */
export async function requestCancel(db: Db, workspaceId: string, id: string): Promise<RunRow | undefined> {
  const now = nowIso();
  const [row] = await db
    .update(jobRuns)
    .set({
      status: sql`CASE WHEN ${jobRuns.status} = 'queued' THEN 'cancelled' ELSE ${jobRuns.status} END`,
      completedAt: sql`CASE WHEN ${jobRuns.status} = 'queued' THEN ${now} ELSE ${jobRuns.completedAt} END`,
      failureReason: sql`CASE WHEN ${jobRuns.status} = 'queued' THEN 'cancelled_by_user' ELSE ${jobRuns.failureReason} END`,
      cancelRequestedAt: sql`COALESCE(${jobRuns.cancelRequestedAt}, ${now})`,
      updatedAt: now,
    })
    .where(and(eq(jobRuns.workspaceId, workspaceId), eq(jobRuns.id, id), sql`${jobRuns.status} IN ('queued', 'assigned', 'running')`))
    .returning();
  return row;
}
