// Fleet queries: the workspace's workers and per-status counts of runs and workers.
import { and, desc, eq, gt, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { ActivityHour, Metrics, Worker } from '../contract/system.ts';
import type { Cursor } from '../http/pagination.ts';
import { inList, type Db } from './client.ts';
import { fleetStatuses, jobRuns, runCounts, workerCounts, workers } from './schema.ts';

type WorkerRow = typeof workers.$inferSelect;
type WorkerStatus = WorkerRow['status'];

export function toWorker(row: WorkerRow, runIds: string[] = []): Worker {
  return {
    id: row.id,
    workspace_id: row.workspaceId,
    name: row.name,
    status: row.status,
    labels: row.labels,
    concurrency: row.concurrency,
    last_heartbeat: row.lastHeartbeat,
    current_run_id: row.currentRunId,
    run_ids: runIds,
    created_at: row.createdAt,
  };
}

export interface WorkerFilter {
  status?: WorkerStatus | undefined;
  /** True: only workers still in the fleet; false: only offline ones. */
  active?: boolean | undefined;
}

export async function listWorkers(db: Db, workspaceId: string, filter: WorkerFilter, limit: number, after: Cursor | null): Promise<WorkerRow[]> {
  const where: SQL[] = [eq(workers.workspaceId, workspaceId)];
  if (filter.status) where.push(eq(workers.status, filter.status));
  if (filter.active !== undefined) where.push(filter.active ? inArray(workers.status, [...fleetStatuses]) : eq(workers.status, 'offline'));
  if (after) where.push(or(lt(workers.createdAt, after.key), and(eq(workers.createdAt, after.key), lt(workers.id, after.id)))!);
  // The fleet is small: sorting it costs less than walking, newest first, every worker the workspace
  // ever registered to find it. The unary + keeps SQLite from taking the creation index for the order.
  const order = filter.active ? [sql`+${workers.createdAt} desc`, sql`+${workers.id} desc`] : [desc(workers.createdAt), desc(workers.id)];
  return db
    .select()
    .from(workers)
    .where(and(...where))
    .orderBy(...order)
    .limit(limit + 1);
}

/** Runs by status (kept counted in `run_counts`, however long the history) and workers by status, in one round trip. */
export async function countByStatus(db: Db, workspaceId: string): Promise<Metrics> {
  const [runRows, workerRows] = await db.batch([
    db.select({ status: runCounts.status, n: runCounts.n }).from(runCounts).where(and(eq(runCounts.workspaceId, workspaceId), gt(runCounts.n, 0))),
    db.select({ status: workerCounts.status, n: workerCounts.n }).from(workerCounts).where(and(eq(workerCounts.workspaceId, workspaceId), gt(workerCounts.n, 0))),
  ]);
  const runs = Object.fromEntries(runRows.map((r) => [r.status, r.n]));
  return { runs, workers: Object.fromEntries(workerRows.map((r) => [r.status, r.n])), queue_depth: runs.queued ?? 0 };
}

/** The runs each of these workers holds now. */
export async function heldRuns(db: Db, workerIds: string[]): Promise<Map<string, string[]>> {
  const held = new Map<string, string[]>();
  if (workerIds.length === 0) return held;
  const rows = await db
    .select({ id: jobRuns.id, workerId: jobRuns.workerId })
    .from(jobRuns)
    .where(and(inList(jobRuns.workerId, workerIds), inArray(jobRuns.status, ['assigned', 'running'])));
  for (const row of rows) if (row.workerId) held.set(row.workerId, [...(held.get(row.workerId) ?? []), row.id]);
  return held;
}

const OUTCOMES = ['completed', 'failed', 'timeout', 'cancelled'] as const;

/** Runs created, and runs ended by outcome, per hour of the last `hours` hours, oldest first, empty hours included. */
export async function activity(d1: D1Database, workspaceId: string, hours: number): Promise<ActivityHour[]> {
  const since = `strftime('%Y-%m-%dT%H:00:00.000Z', 'now', '-' || (?2 - 1) || ' hours')`;
  const [created, ended, now] = await d1.batch<{ hour: string; status?: string; n: number }>([
    d1.prepare(`SELECT substr(created_at, 1, 13) AS hour, COUNT(*) AS n FROM job_runs WHERE workspace_id = ?1 AND created_at >= ${since} GROUP BY hour`).bind(workspaceId, hours),
    d1
      .prepare(`SELECT substr(completed_at, 1, 13) AS hour, status, COUNT(*) AS n FROM job_runs WHERE workspace_id = ?1 AND completed_at >= ${since} GROUP BY hour, status`)
      .bind(workspaceId, hours),
    d1.prepare(`SELECT strftime('%Y-%m-%dT%H', 'now') AS hour, 0 AS n`),
  ]);
  const last = Date.parse(`${now?.results[0]?.hour ?? new Date().toISOString().slice(0, 13)}:00:00.000Z`);
  const buckets = new Map<string, ActivityHour>();
  for (let i = hours - 1; i >= 0; i--) {
    const hour = new Date(last - i * 3_600_000).toISOString();
    buckets.set(hour.slice(0, 13), { hour, created: 0, completed: 0, failed: 0, timeout: 0, cancelled: 0 });
  }
  for (const row of created?.results ?? []) {
    const bucket = buckets.get(row.hour);
    if (bucket) bucket.created = row.n;
  }
  for (const row of ended?.results ?? []) {
    const bucket = buckets.get(row.hour);
    const status = row.status as (typeof OUTCOMES)[number];
    if (bucket && OUTCOMES.includes(status)) bucket[status] = row.n;
  }
  return [...buckets.values()];
}
