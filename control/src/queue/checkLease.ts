// Whether a lease token still holds a run: the fence every run-scoped worker call passes first.
export interface LeaseHolder {
  attempt: number;
  workerId: string;
}

export async function checkLease(d1: D1Database, workspaceId: string, runId: string, leaseToken: string): Promise<LeaseHolder | null> {
  const row = await d1
    .prepare(
      `SELECT attempt, worker_id AS workerId FROM job_runs
        WHERE id = ?1 AND workspace_id = ?2 AND lease_token = ?3 AND status IN ('assigned', 'running')`,
    )
    .bind(runId, workspaceId, leaseToken)
    .first<LeaseHolder>();
  return row ?? null;
}
