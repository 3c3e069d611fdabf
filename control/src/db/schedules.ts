// Schedule queries, all scoped to one workspace; every read carries the name of the job it triggers.
import { and, desc, eq, lt, or } from 'drizzle-orm';
import type { Schedule, ScheduleFire } from '../contract/schedules.ts';
import type { Cursor } from '../http/pagination.ts';
import type { Db } from './client.ts';
import { newId, nowIso } from './ids.ts';
import { jobDefinitions, scheduleFires, schedules } from './schema.ts';

type ScheduleRow = typeof schedules.$inferSelect;

/** A schedule with its job's name, which is what every response shows. */
export type ScheduleView = ScheduleRow & { jobName: string | null };

/** What a write may set; `nextRunAt` is computed by the caller from the other three. */
export interface ScheduleFields {
  cronExpression: string;
  timezone: string;
  enabled: boolean;
  name: string | null;
  misfire: ScheduleRow['misfire'];
  overlap: ScheduleRow['overlap'];
  nextRunAt: string | null;
}

export function toSchedule(view: ScheduleView): Schedule {
  return {
    id: view.id,
    workspace_id: view.workspaceId,
    job_definition_id: view.jobDefinitionId,
    job_name: view.jobName,
    cron_expression: view.cronExpression,
    timezone: view.timezone,
    enabled: view.enabled,
    name: view.name,
    misfire: view.misfire,
    overlap: view.overlap,
    next_run_at: view.nextRunAt,
    last_run_at: view.lastRunAt,
    last_run_id: view.lastRunId,
    created_at: view.createdAt,
    updated_at: view.updatedAt,
  };
}

function selectWithJob(db: Db) {
  return db
    .select({ schedule: schedules, jobName: jobDefinitions.name })
    .from(schedules)
    .leftJoin(jobDefinitions, eq(jobDefinitions.id, schedules.jobDefinitionId));
}

const flatten = (r: { schedule: ScheduleRow; jobName: string | null }): ScheduleView => ({ ...r.schedule, jobName: r.jobName });

const inWorkspace = (workspaceId: string, id: string) => and(eq(schedules.workspaceId, workspaceId), eq(schedules.id, id));

function isForeignKeyViolation(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e.message.includes('FOREIGN KEY constraint failed')) return true;
  }
  return false;
}

/** Creates a schedule for a job; undefined when the workspace has no job with that id. */
export async function insertSchedule(db: Db, workspaceId: string, jobDefinitionId: string, fields: ScheduleFields): Promise<ScheduleView | undefined> {
  const job = await db.query.jobDefinitions.findFirst({
    columns: { name: true },
    where: and(eq(jobDefinitions.workspaceId, workspaceId), eq(jobDefinitions.id, jobDefinitionId)),
  });
  if (!job) return undefined;
  const now = nowIso();
  try {
    const [row] = await db
      .insert(schedules)
      .values({ id: newId(), workspaceId, jobDefinitionId, ...fields, createdAt: now, updatedAt: now })
      .returning();
    return { ...row!, jobName: job.name };
  } catch (err) {
    // The job was deleted between the lookup and the insert.
    if (isForeignKeyViolation(err)) return undefined;
    throw err;
  }
}

export async function findSchedule(db: Db, workspaceId: string, id: string): Promise<ScheduleView | undefined> {
  const [row] = await selectWithJob(db).where(inWorkspace(workspaceId, id));
  return row && flatten(row);
}

/** Newest first, as the original; ties broken by id so pages never skip or repeat a row. */
export async function listSchedules(db: Db, workspaceId: string, limit: number, after: Cursor | null): Promise<ScheduleView[]> {
  const scope = eq(schedules.workspaceId, workspaceId);
  const page = after ? or(lt(schedules.createdAt, after.key), and(eq(schedules.createdAt, after.key), lt(schedules.id, after.id))) : undefined;
  const rows = await selectWithJob(db)
    .where(page ? and(scope, page) : scope)
    .orderBy(desc(schedules.createdAt), desc(schedules.id))
    .limit(limit + 1);
  return rows.map(flatten);
}

/** Sets the fields given; undefined when the workspace has no such schedule. */
export async function updateSchedule(db: Db, workspaceId: string, id: string, fields: Partial<ScheduleFields>): Promise<ScheduleView | undefined> {
  const changes: Partial<ScheduleRow> = { updatedAt: nowIso() };
  if (fields.cronExpression !== undefined) changes.cronExpression = fields.cronExpression;
  if (fields.timezone !== undefined) changes.timezone = fields.timezone;
  if (fields.enabled !== undefined) changes.enabled = fields.enabled;
  if (fields.name !== undefined) changes.name = fields.name;
  if (fields.misfire !== undefined) changes.misfire = fields.misfire;
  if (fields.overlap !== undefined) changes.overlap = fields.overlap;
  if (fields.nextRunAt !== undefined) changes.nextRunAt = fields.nextRunAt;
  // Not one db.batch with selectWithJob: drizzle's D1 batch maps joined rows by column name, so the job's `name` overwrote the schedule's.
  const [row] = await db.update(schedules).set(changes).where(inWorkspace(workspaceId, id)).returning();
  if (!row) return undefined;
  const job = await db.query.jobDefinitions.findFirst({ columns: { name: true }, where: eq(jobDefinitions.id, row.jobDefinitionId) });
  return { ...row, jobName: job?.name ?? null };
}

export async function deleteSchedule(db: Db, workspaceId: string, id: string): Promise<boolean> {
  const rows = await db.delete(schedules).where(inWorkspace(workspaceId, id)).returning({ id: schedules.id });
  return rows.length > 0;
}

/** The schedule's fires (and skips), newest first. */
export async function listFires(db: Db, scheduleId: string, limit: number, after: Cursor | null) {
  const scope = eq(scheduleFires.scheduleId, scheduleId);
  const page = after ? or(lt(scheduleFires.scheduledFor, after.key), and(eq(scheduleFires.scheduledFor, after.key), lt(scheduleFires.id, after.id))) : undefined;
  return db
    .select()
    .from(scheduleFires)
    .where(page ? and(scope, page) : scope)
    .orderBy(desc(scheduleFires.scheduledFor), desc(scheduleFires.id))
    .limit(limit + 1);
}

export function toScheduleFire(row: typeof scheduleFires.$inferSelect): ScheduleFire {
  return { scheduled_for: row.scheduledFor, fired_at: row.firedAt, outcome: row.outcome, reason: row.reason, run_id: row.runId };
}
