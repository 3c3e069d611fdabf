// Ends what workers abandoned: requeues runs whose lease expired (or fails them past max_attempts),
// and applies the control plane's backstops for cancels and timeouts the worker did not carry out.
import { NOW } from './sql.ts';

export interface Reaped {
  requeued: { id: string; attempt: number }[];
  failed: { id: string; status: string; failure_reason: string }[];
}

/** How long past its timeout (or cancel request) a run may stay held before the control plane ends it. */
export const BACKSTOP_GRACE_SECONDS = 60;

const EXPIRED = `status IN ('assigned', 'running') AND lease_expires_at < ${NOW}`;
const OVERDUE = `status = 'running' AND started_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || (timeout_seconds + ${BACKSTOP_GRACE_SECONDS}) || ' seconds')`;
const CANCEL_IGNORED = `status IN ('assigned', 'running') AND cancel_requested_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-${BACKSTOP_GRACE_SECONDS} seconds')`;

const scope = (where: string) => `workspace_id = ?1 AND (${where})`;

const CLOSE_ATTEMPTS = `
UPDATE run_attempts SET ended_at = ${NOW},
       outcome = CASE WHEN (SELECT cancel_requested_at FROM job_runs r WHERE r.lease_token = run_attempts.lease_token) IS NOT NULL THEN 'cancelled'
                      WHEN (SELECT ${EXPIRED} FROM job_runs r WHERE r.lease_token = run_attempts.lease_token) THEN 'worker_lost'
                      ELSE 'timeout' END
 WHERE ended_at IS NULL AND lease_token IN (
       SELECT lease_token FROM job_runs WHERE ${scope(`${EXPIRED} OR ${OVERDUE} OR ${CANCEL_IGNORED}`)})`;

// A lost worker's run goes back to the queue for another attempt unless it was being cancelled.
const REQUEUE = `
UPDATE job_runs SET status = 'queued', worker_id = NULL, lease_token = NULL, lease_expires_at = NULL,
       started_at = NULL, updated_at = ${NOW}
 WHERE ${scope(EXPIRED)} AND attempt < max_attempts AND cancel_requested_at IS NULL
RETURNING id, attempt`;

const END = `
UPDATE job_runs
   SET status = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'
                     WHEN ${EXPIRED} THEN 'failed' ELSE 'timeout' END,
       failure_reason = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled_by_user'
                             WHEN ${EXPIRED} THEN 'worker_lost' ELSE 'timeout' END,
       completed_at = ${NOW}, updated_at = ${NOW}, lease_token = NULL, lease_expires_at = NULL
 WHERE ${scope(`${EXPIRED} OR ${OVERDUE} OR ${CANCEL_IGNORED}`)}
RETURNING id, status, failure_reason`;

const FREE_WORKERS = `
UPDATE workers SET current_run_id = NULL, status = CASE WHEN status = 'busy' THEN 'online' ELSE status END
 WHERE workspace_id = ?1 AND current_run_id IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM job_runs WHERE worker_id = workers.id AND status IN ('assigned', 'running'))`;

/** A worker silent this long is shown offline (the original's ORCH_WORKER_HEARTBEAT_TIMEOUT). */
export const WORKER_OFFLINE_SECONDS = 90;

const MARK_OFFLINE = `
UPDATE workers SET status = 'offline', updated_at = ${NOW}
 WHERE workspace_id = ?1 AND status != 'offline'
   AND last_heartbeat < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-${WORKER_OFFLINE_SECONDS} seconds')`;

/** Shows silent workers as offline; the fleet views call it so a worker that died idle doesn't linger as online. */
export async function markSilentWorkersOffline(d1: D1Database, workspaceId: string): Promise<void> {
  await d1.prepare(MARK_OFFLINE).bind(workspaceId).run();
}

export async function reapExpiredLeases(d1: D1Database, workspaceId: string): Promise<Reaped> {
  const [, requeued, ended] = await d1.batch([
    d1.prepare(CLOSE_ATTEMPTS).bind(workspaceId),
    d1.prepare(REQUEUE).bind(workspaceId),
    d1.prepare(END).bind(workspaceId),
    d1.prepare(FREE_WORKERS).bind(workspaceId),
    d1.prepare(MARK_OFFLINE).bind(workspaceId),
  ]);
  return {
    requeued: (requeued?.results ?? []) as Reaped['requeued'],
    failed: (ended?.results ?? []) as Reaped['failed'],
  };
}

/** Workspaces where reaping may find something: runs held by workers, or workers gone silent. */
export async function workspacesToReap(d1: D1Database): Promise<string[]> {
  const { results } = await d1
    .prepare(
      `SELECT workspace_id FROM job_runs WHERE status IN ('assigned', 'running')
        UNION
       SELECT workspace_id FROM workers WHERE status != 'offline'
          AND last_heartbeat < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-${WORKER_OFFLINE_SECONDS} seconds')`,
    )
    .all<{ workspace_id: string }>();
  return results.map((r) => r.workspace_id);
}
