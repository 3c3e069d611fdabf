// Fleet queries: the workspace's workers and per-status counts of runs and workers.
import { and, desc, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Metrics, Worker } from '../contract/system.ts';
import type { Cursor } from '../http/pagination.ts';
import type { Db } from './client.ts';
import { jobRuns, workers } from './schema.ts';

type WorkerRow = typeof workers.$inferSelect;
type WorkerStatus = WorkerRow['status'];

export function toWorker(row: WorkerRow): Worker {
  return {
    id: row.id,
    workspace_id: row.workspaceId,
    name: row.name,
    status: row.status,
    labels: row.labels,
    concurrency: row.concurrency,
    last_heartbeat: row.lastHeartbeat,
    current_run_id: row.currentRunId,
    created_at: row.createdAt,
  };
}

export async function listWorkers(db: Db, workspaceId: string, status: WorkerStatus | undefined, limit: number, after: Cursor | null): Promise<WorkerRow[]> {
  const where: SQL[] = [eq(workers.workspaceId, workspaceId)];
  if (status) where.push(eq(workers.status, status));
  if (after) where.push(or(lt(workers.createdAt, after.key), and(eq(workers.createdAt, after.key), lt(workers.id, after.id)))!);
  return db
    .select()
    .from(workers)
    .where(and(...where))
    .orderBy(desc(workers.createdAt), desc(workers.id))
    .limit(limit + 1);
}

/** Two grouped counts in one round trip. */
export async function countByStatus(db: Db, workspaceId: string): Promise<Metrics> {
  const [runRows, workerRows] = await db.batch([
    db.select({ status: jobRuns.status, n: sql<number>`count(*)` }).from(jobRuns).where(eq(jobRuns.workspaceId, workspaceId)).groupBy(jobRuns.status),
    db.select({ status: workers.status, n: sql<number>`count(*)` }).from(workers).where(eq(workers.workspaceId, workspaceId)).groupBy(workers.status),
  ]);
  const runs = Object.fromEntries(runRows.map((r) => [r.status, r.n]));
  return { runs, workers: Object.fromEntries(workerRows.map((r) => [r.status, r.n])), queue_depth: runs.queued ?? 0 };
}
