// Adds a worker to a workspace's fleet and gives it its identity.
import { newId } from '../db/ids.ts';
import { NOW } from './sql.ts';

export interface NewWorker {
  workspaceId: string;
  /** The API key registering it: its identity for calls that carry no lease token. */
  keyId: string;
  name: string;
  labels: Record<string, string>;
  concurrency: number;
}

export async function registerWorker(d1: D1Database, worker: NewWorker): Promise<string> {
  const id = newId();
  await d1
    .prepare(
      `INSERT INTO workers (id, workspace_id, key_id, name, status, labels, concurrency, last_heartbeat, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, 'online', ?5, ?6, ${NOW}, ${NOW}, ${NOW})`,
    )
    .bind(id, worker.workspaceId, worker.keyId, worker.name, JSON.stringify(worker.labels), worker.concurrency)
    .run();
  return id;
}
