// The fleet's worker rows: adding a worker, and whose it is (a worker id answers only to the key
// that registered it).
import { newId } from '../db/ids.ts';
import { MAX_WORKERS_PER_KEY } from '../limits.ts';
import { IN_FLEET, NOW } from './sql.ts';

export interface NewWorker {
  workspaceId: string;
  /** The API key registering it: its identity for calls that carry no lease token. */
  keyId: string;
  name: string;
  labels: Record<string, string>;
  concurrency: number;
}

/** The new worker's id, or null when the key already has MAX_WORKERS_PER_KEY workers that are not offline. */
export async function registerWorker(d1: D1Database, worker: NewWorker): Promise<string | null> {
  const id = newId();
  const { meta } = await d1
    .prepare(
      `INSERT INTO workers (id, workspace_id, key_id, name, status, labels, concurrency, last_heartbeat, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, 'online', ?5, ?6, ${NOW}, ${NOW}, ${NOW}
        WHERE (SELECT COUNT(*) FROM workers WHERE workspace_id = ?2 AND key_id = ?3 AND ${IN_FLEET}) < ?7`,
    )
    .bind(id, worker.workspaceId, worker.keyId, worker.name, JSON.stringify(worker.labels), worker.concurrency, MAX_WORKERS_PER_KEY)
    .run();
  return meta.changes > 0 ? id : null;
}

/** Whether the worker exists in the workspace and was registered with this key. */
export async function isWorkerOf(d1: D1Database, workspaceId: string, workerId: string, keyId: string): Promise<boolean> {
  const row = await d1.prepare('SELECT 1 FROM workers WHERE id = ?1 AND workspace_id = ?2 AND key_id = ?3').bind(workerId, workspaceId, keyId).first();
  return row !== null;
}
