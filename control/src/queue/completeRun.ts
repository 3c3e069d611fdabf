// Records a run's final status reported by the worker holding its lease; a cancel request always wins.
import { NOW, WORKER_STATE } from './sql.ts';

export interface Completion {
  status: 'completed' | 'failed' | 'timeout' | 'cancelled';
  result: string | null;
  exitCode: number | null;
  error: string | null;
  /** Short machine-readable reason for a failure, e.g. agent_failed, credential_missing. */
  reason?: string | null;
  usage?: { input_tokens: number | null; output_tokens: number | null; total_tokens: number | null; cost_usd: number | null } | undefined;
}

export type CompleteResult = { ok: true; status: Completion['status']; workerId: string } | { ok: false };

const COMPLETE = `
UPDATE job_runs
   SET status = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled' ELSE ?4 END,
       failure_reason = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled_by_user'
                             WHEN ?4 = 'completed' THEN NULL
                             WHEN ?4 = 'failed' THEN COALESCE(?7, 'agent_failed')
                             WHEN ?4 = 'timeout' THEN 'timeout'
                             ELSE 'cancelled_by_worker' END,
       result = ?5, exit_code = ?6,
       input_tokens = ?8, output_tokens = ?9, total_tokens = ?10, cost_usd = ?11,
       completed_at = ${NOW}, updated_at = ${NOW}, lease_token = NULL, lease_expires_at = NULL
 WHERE id = ?1 AND workspace_id = ?2 AND lease_token = ?3 AND status IN ('assigned', 'running')
RETURNING status, worker_id`;

const END_ATTEMPT = `
UPDATE run_attempts SET ended_at = ${NOW}, outcome = ?3, detail = ?4
 WHERE run_id = ?1 AND lease_token = ?2 AND ended_at IS NULL`;

const FREE_WORKER = `UPDATE workers SET updated_at = ${NOW}, ${WORKER_STATE} WHERE id = ?1`;

export async function completeRun(d1: D1Database, workspaceId: string, runId: string, leaseToken: string, done: Completion): Promise<CompleteResult> {
  const u = done.usage;
  const updated = await d1
    .prepare(COMPLETE)
    .bind(
      runId,
      workspaceId,
      leaseToken,
      done.status,
      done.result,
      done.exitCode,
      done.reason ?? null,
      u?.input_tokens ?? null,
      u?.output_tokens ?? null,
      u?.total_tokens ?? null,
      u?.cost_usd === null || u?.cost_usd === undefined ? null : String(u.cost_usd),
    )
    .first<{ status: Completion['status']; worker_id: string }>();
  if (!updated) return { ok: false };
  // The run's row is the arbiter above; these two only tidy history and the worker's state.
  await d1.batch([
    d1.prepare(END_ATTEMPT).bind(runId, leaseToken, updated.status, done.error),
    d1.prepare(FREE_WORKER).bind(updated.worker_id),
  ]);
  return { ok: true, status: updated.status, workerId: updated.worker_id };
}
