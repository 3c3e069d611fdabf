// Job definition queries, all scoped to one workspace.
import { and, desc, eq, lt, or } from 'drizzle-orm';
import type { Job, JobCreate, JobUpdate } from '../contract/jobs.ts';
import type { Cursor } from '../http/pagination.ts';
import type { Db } from './client.ts';
import { newId, nowIso } from './ids.ts';
import { jobDefinitions } from './schema.ts';

type JobRow = typeof jobDefinitions.$inferSelect;

export function toJob(row: JobRow): Job {
  return {
    id: row.id,
    workspace_id: row.workspaceId,
    name: row.name,
    description: row.description,
    task_prompt: row.taskPrompt,
    agent_type: row.agentType,
    agent_config: row.agentConfig,
    mcp_servers: row.mcpServers,
    env_vars: row.envVars,
    credential_ids: row.credentialIds,
    skill_ids: row.skillIds,
    labels: row.labels,
    timeout_seconds: row.timeoutSeconds,
    priority: row.priority,
    max_attempts: row.maxAttempts,
    retry: row.retry,
    max_concurrent_runs: row.maxConcurrentRuns,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export async function insertJob(db: Db, workspaceId: string, body: JobCreate): Promise<JobRow> {
  const now = nowIso();
  const [row] = await db
    .insert(jobDefinitions)
    .values({
      id: newId(),
      workspaceId,
      name: body.name,
      description: body.description ?? null,
      taskPrompt: body.task_prompt,
      agentType: body.agent_type,
      agentConfig: body.agent_config,
      mcpServers: body.mcp_servers,
      envVars: body.env_vars,
      credentialIds: body.credential_ids,
      skillIds: body.skill_ids,
      labels: body.labels,
      timeoutSeconds: body.timeout_seconds,
      priority: body.priority,
      maxAttempts: body.max_attempts,
      retry: body.retry,
      maxConcurrentRuns: body.max_concurrent_runs,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return row!;
}

export async function findJob(db: Db, workspaceId: string, id: string): Promise<JobRow | undefined> {
  return db.query.jobDefinitions.findFirst({ where: and(eq(jobDefinitions.workspaceId, workspaceId), eq(jobDefinitions.id, id)) });
}

/** Newest first, as the original; ties broken by id so pages never skip or repeat a row. */
export async function listJobs(db: Db, workspaceId: string, limit: number, after: Cursor | null): Promise<JobRow[]> {
  const scope = eq(jobDefinitions.workspaceId, workspaceId);
  const page = after
    ? or(lt(jobDefinitions.createdAt, after.key), and(eq(jobDefinitions.createdAt, after.key), lt(jobDefinitions.id, after.id)))
    : undefined;
  return db
    .select()
    .from(jobDefinitions)
    .where(page ? and(scope, page) : scope)
    .orderBy(desc(jobDefinitions.createdAt), desc(jobDefinitions.id))
    .limit(limit + 1);
}

export async function updateJob(db: Db, workspaceId: string, id: string, body: JobUpdate): Promise<JobRow | undefined> {
  const changes: Partial<JobRow> = { updatedAt: nowIso() };
  if (body.name !== undefined) changes.name = body.name;
  if (body.description !== undefined) changes.description = body.description;
  if (body.task_prompt !== undefined) changes.taskPrompt = body.task_prompt;
  if (body.agent_type !== undefined) changes.agentType = body.agent_type;
  if (body.agent_config !== undefined) changes.agentConfig = body.agent_config;
  if (body.mcp_servers !== undefined) changes.mcpServers = body.mcp_servers;
  if (body.env_vars !== undefined) changes.envVars = body.env_vars;
  if (body.credential_ids !== undefined) changes.credentialIds = body.credential_ids;
  if (body.skill_ids !== undefined) changes.skillIds = body.skill_ids;
  if (body.labels !== undefined) changes.labels = body.labels;
  if (body.timeout_seconds !== undefined) changes.timeoutSeconds = body.timeout_seconds;
  if (body.priority !== undefined) changes.priority = body.priority;
  if (body.max_attempts !== undefined) changes.maxAttempts = body.max_attempts;
  if (body.retry !== undefined) changes.retry = body.retry;
  if (body.max_concurrent_runs !== undefined) changes.maxConcurrentRuns = body.max_concurrent_runs;
  const [row] = await db
    .update(jobDefinitions)
    .set(changes)
    .where(and(eq(jobDefinitions.workspaceId, workspaceId), eq(jobDefinitions.id, id)))
    .returning();
  return row;
}

export async function deleteJob(db: Db, workspaceId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(jobDefinitions)
    .where(and(eq(jobDefinitions.workspaceId, workspaceId), eq(jobDefinitions.id, id)))
    .returning({ id: jobDefinitions.id });
  return rows.length > 0;
}
