// A benchmark-only Worker whose one route runs the claim statement and nothing else (no auth, no
// Dispatcher, no credentials): the baseline bench/dispatch.ts holds the API's claim throughput against.
import { claimStatement } from '../control/src/queue/transitions.ts';

export default {
  async fetch(request: Request, env: { DB: D1Database }): Promise<Response> {
    const { worker_id, workspace_id, lease_seconds } = (await request.json()) as { worker_id: string; workspace_id: string; lease_seconds: number };
    // The workers are registered through the API with the bootstrap key, whose key id is `default`.
    const result = await claimStatement(env.DB, { workspaceId: workspace_id, workerId: worker_id, keyId: 'default', max: 1, fencing: 'token' }, lease_seconds);
    return Response.json(result.known ? { runs: result.runs.map((r) => ({ run_id: r.id })) } : { runs: [], unknown: true });
  },
} satisfies ExportedHandler<{ DB: D1Database }>;
