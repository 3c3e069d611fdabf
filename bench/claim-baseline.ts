// A benchmark-only Worker whose one route runs the claim statement and nothing else (no auth, no
// Dispatcher, no credentials): the baseline bench/dispatch.ts holds the API's claim throughput against.
import { claimRuns } from '../control/src/queue/claimRuns.ts';

export default {
  async fetch(request: Request, env: { DB: D1Database }): Promise<Response> {
    const { worker_id, lease_seconds } = (await request.json()) as { worker_id: string; lease_seconds: number };
    const result = await claimRuns(env.DB, { workspaceId: 'default', workerId: worker_id, max: 1, leaseSeconds: lease_seconds });
    return Response.json(result.known ? { runs: result.runs.map((r) => ({ run_id: r.id })) } : { runs: [], unknown: true });
  },
} satisfies ExportedHandler<{ DB: D1Database }>;
