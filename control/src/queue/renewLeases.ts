// A worker's heartbeat: renews the leases it still holds and reports those it lost or must cancel.
import { NOW, nowPlus, WORKER_STATE } from './sql.ts';

export interface HeldLease {
  run_id: string;
  lease_token: string;
}

export interface Renewal {
  known: boolean;
  leases: { run_id: string; lease_expires_at: string }[];
  lost: string[];
  cancel: string[];
}

const RENEW = `
UPDATE job_runs SET lease_expires_at = ${nowPlus('?3')}
 WHERE worker_id = ?1 AND workspace_id = ?4 AND status IN ('assigned', 'running')
   AND EXISTS (SELECT 1 FROM json_each(?2) held
                WHERE json_extract(held.value, '$.run_id') = job_runs.id
                  AND json_extract(held.value, '$.lease_token') = job_runs.lease_token)
RETURNING id, lease_expires_at, cancel_requested_at`;

const TOUCH_WORKER = `
UPDATE workers SET last_heartbeat = ${NOW}, updated_at = ${NOW}, ${WORKER_STATE}
 WHERE id = ?1 AND workspace_id = ?2`;

const DRAINING = `UPDATE workers SET status = CASE WHEN ?3 = 1 THEN 'draining' ELSE status END WHERE id = ?1 AND workspace_id = ?2`;

export async function renewLeases(
  d1: D1Database,
  workspaceId: string,
  workerId: string,
  held: HeldLease[],
  leaseSeconds: number,
  draining: boolean,
): Promise<Renewal> {
  const [renewed, , touched] = await d1.batch<{ id: string; lease_expires_at: string; cancel_requested_at: string | null }>([
    d1.prepare(RENEW).bind(workerId, JSON.stringify(held), leaseSeconds, workspaceId),
    d1.prepare(DRAINING).bind(workerId, workspaceId, draining ? 1 : 0),
    d1.prepare(TOUCH_WORKER).bind(workerId, workspaceId),
  ]);
  const rows = renewed?.results ?? [];
  const kept = new Set(rows.map((r) => r.id));
  return {
    known: (touched?.meta.changes ?? 0) > 0,
    leases: rows.map((r) => ({ run_id: r.id, lease_expires_at: r.lease_expires_at })),
    lost: held.map((h) => h.run_id).filter((id) => !kept.has(id)),
    cancel: rows.filter((r) => r.cancel_requested_at !== null).map((r) => r.id),
  };
}
