// For the cron: workspaces with webhook deliveries due more than a minute ago, whose sender's alarm was lost.
import type { Env } from '../env.ts';

const OVERDUE = `
SELECT DISTINCT d.workspace_id AS id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
 WHERE d.status = 'pending' AND w.enabled = 1 AND d.next_attempt_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-60 seconds')`;

export async function workspacesWithOverdueDeliveries(env: Env): Promise<string[]> {
  const { results } = await env.DB.prepare(OVERDUE).all<{ id: string }>();
  return results.map((r) => r.id);
}
