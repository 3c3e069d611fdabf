// A worker leaving the fleet: shown offline at once, and any run it still holds is handed to the
// reaper now instead of when its lease would have run out.
import { NOW } from './sql.ts';

export interface Deregistered {
  known: boolean;
  /** Runs the worker still held; their leases now count as expired. */
  released: number;
}

const RELEASE = `
UPDATE job_runs SET lease_expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 seconds'), updated_at = ${NOW}
 WHERE worker_id = ?1 AND workspace_id = ?2 AND status IN ('assigned', 'running')`;

const OFFLINE = `
UPDATE workers SET status = 'offline', current_run_id = NULL, last_heartbeat = ${NOW}, updated_at = ${NOW}
 WHERE id = ?1 AND workspace_id = ?2`;

export async function deregisterWorker(d1: D1Database, workspaceId: string, workerId: string): Promise<Deregistered> {
  const [released, offline] = await d1.batch([d1.prepare(RELEASE).bind(workerId, workspaceId), d1.prepare(OFFLINE).bind(workerId, workspaceId)]);
  return { known: (offline?.meta.changes ?? 0) > 0, released: released?.meta.changes ?? 0 };
}
