// SQL fragments the queue's statements share, so every time rule is computed by D1 itself: one clock.
import { fleetStatuses } from '../db/schema.ts';

/** A worker still in the fleet: its statuses named, rather than "not offline", so the index on (workspace, status) serves it. */
export const IN_FLEET = `status IN (${fleetStatuses.map((s) => `'${s}'`).join(', ')})`;

/** The current instant in the schema's timestamp format. */
export const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/** An instant `param` seconds from now; `param` is a bound parameter such as ?3. */
export const nowPlus = (param: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+' || ${param} || ' seconds')`;

/** An instant `param` seconds ago. */
export const nowMinus = (param: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || ${param} || ' seconds')`;

/** Milliseconds from now until the timestamp in `column` (negative once it has passed), by D1's clock. */
export const msUntil = (column: string) => `CAST(ROUND((julianday(${column}) - julianday('now')) * 86400000) AS INTEGER)`;

/**
 * SET clause deriving a worker's status and current run from the runs it holds (`?1` is its id):
 * busy while it holds any, online otherwise; a draining worker stays draining.
 */
export const WORKER_STATE = `
  current_run_id = (SELECT id FROM job_runs WHERE worker_id = ?1 AND status IN ('assigned', 'running') ORDER BY updated_at DESC LIMIT 1),
  status = CASE WHEN status = 'draining' THEN 'draining'
                WHEN EXISTS (SELECT 1 FROM job_runs WHERE worker_id = ?1 AND status IN ('assigned', 'running')) THEN 'busy'
                ELSE 'online' END`;
