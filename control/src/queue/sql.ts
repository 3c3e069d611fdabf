// SQL fragments the queue's statements share, so every time rule is computed by D1 itself.

/** The current instant in the schema's timestamp format. */
export const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/** An instant `param` seconds from now; `param` is a bound parameter such as ?3. */
export const nowPlus = (param: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+' || ${param} || ' seconds')`;

/**
 * SET clause deriving a worker's status and current run from the runs it holds (`?1` is its id):
 * busy while it holds any, online otherwise; a draining worker stays draining.
 */
export const WORKER_STATE = `
  current_run_id = (SELECT id FROM job_runs WHERE worker_id = ?1 AND status IN ('assigned', 'running') ORDER BY updated_at DESC LIMIT 1),
  status = CASE WHEN status = 'draining' THEN 'draining'
                WHEN EXISTS (SELECT 1 FROM job_runs WHERE worker_id = ?1 AND status IN ('assigned', 'running')) THEN 'busy'
                ELSE 'online' END`;

export type RunRow = {
  id: string;
  workspace_id: string;
  job_definition_id: string | null;
  status: string;
  worker_id: string | null;
  name: string;
  task_prompt: string;
  agent_type: string;
  agent_config: string;
  mcp_servers: string;
  env_vars: string;
  credential_ids: string;
  skill_ids: string | null;
  required_labels: string;
  timeout_seconds: number;
  priority: number;
  attempt: number;
  max_attempts: number;
  lease_token: string | null;
  lease_expires_at: string | null;
  cancel_requested_at: string | null;
  started_at: string | null;
  created_at: string;
};
