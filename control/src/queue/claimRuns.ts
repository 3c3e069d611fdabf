// Claims up to N queued runs for one worker in a single atomic statement, recording each claim as an attempt.
import { NOW, nowPlus, WORKER_STATE, type RunRow } from './sql.ts';

export interface ClaimRequest {
  workspaceId: string;
  workerId: string;
  max: number;
  leaseSeconds: number;
}

export type ClaimResult = { known: false } | { known: true; runs: RunRow[] };

// A run is eligible when every one of its required labels is among the worker's labels (subset
// match); higher priority first, then oldest first (rowid breaks ties within a millisecond). The
// outer `status = 'queued'` re-check makes the UPDATE the arbiter, so two claimers can never both
// take one run.
const CLAIM = `
UPDATE job_runs
   SET status = 'assigned', worker_id = ?1, attempt = attempt + 1,
       lease_token = lower(hex(randomblob(16))), lease_expires_at = ${nowPlus('?4')},
       started_at = NULL, updated_at = ${NOW}
 WHERE status = 'queued' AND id IN (
       SELECT r.id FROM job_runs r
        WHERE r.workspace_id = ?2 AND r.status = 'queued'
          AND NOT EXISTS (
                SELECT 1 FROM json_each(r.required_labels) need
                 WHERE NOT EXISTS (
                       SELECT 1 FROM json_each((SELECT labels FROM workers WHERE id = ?1)) have
                        WHERE have.key = need.key AND have.value = need.value))
        ORDER BY r.priority DESC, r.created_at, r.rowid
        LIMIT ?3)
   AND EXISTS (SELECT 1 FROM workers WHERE id = ?1 AND workspace_id = ?2)
RETURNING *, rowid AS queue_position`;

const RECORD_ATTEMPTS = `
INSERT OR IGNORE INTO run_attempts (id, run_id, attempt, worker_id, lease_token, claimed_at)
SELECT lower(hex(randomblob(6))), id, attempt, worker_id, lease_token, ${NOW}
  FROM job_runs WHERE worker_id = ?1 AND status = 'assigned' AND lease_token IS NOT NULL`;

// A claim is also a sign of life, so an idle worker needs no separate heartbeat.
const TOUCH_WORKER = `
UPDATE workers SET last_heartbeat = ${NOW}, updated_at = ${NOW}, ${WORKER_STATE}
 WHERE id = ?1 AND workspace_id = ?2`;

export async function claimRuns(d1: D1Database, req: ClaimRequest): Promise<ClaimResult> {
  const [claimed, , touched] = await d1.batch<RunRow>([
    d1.prepare(CLAIM).bind(req.workerId, req.workspaceId, req.max, req.leaseSeconds),
    d1.prepare(RECORD_ATTEMPTS).bind(req.workerId),
    d1.prepare(TOUCH_WORKER).bind(req.workerId, req.workspaceId),
  ]);
  if (!touched || touched.meta.changes === 0) return { known: false };
  // RETURNING follows no ORDER BY, so restore queue order for the worker.
  const runs = (claimed?.results ?? []) as (RunRow & { queue_position: number })[];
  runs.sort((a, b) => b.priority - a.priority || a.created_at.localeCompare(b.created_at) || a.queue_position - b.queue_position);
  return { known: true, runs };
}
