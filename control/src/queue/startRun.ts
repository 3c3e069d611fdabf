// Moves a claimed run to `running` when its agent starts; idempotent for a retried call with the same lease.
import { NOW } from './sql.ts';

export type StartResult = { ok: true; cancelRequested: boolean } | { ok: false };

const START = `
UPDATE job_runs SET status = 'running', started_at = COALESCE(started_at, ${NOW}), updated_at = ${NOW}
 WHERE id = ?1 AND workspace_id = ?2 AND lease_token = ?3 AND status IN ('assigned', 'running')
RETURNING cancel_requested_at`;

const START_ATTEMPT = `UPDATE run_attempts SET started_at = COALESCE(started_at, ${NOW}) WHERE run_id = ?1 AND lease_token = ?2`;

export async function startRun(d1: D1Database, workspaceId: string, runId: string, leaseToken: string): Promise<StartResult> {
  const [started] = await d1.batch<{ cancel_requested_at: string | null }>([
    d1.prepare(START).bind(runId, workspaceId, leaseToken),
    d1.prepare(START_ATTEMPT).bind(runId, leaseToken),
  ]);
  const row = started?.results[0];
  return row ? { ok: true, cancelRequested: row.cancel_requested_at !== null } : { ok: false };
}
