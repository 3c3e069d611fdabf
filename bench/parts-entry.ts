// A benchmark-only Worker entry: the real control plane, plus bare routes under /api/__bench/ that each
// do one part of what POST /runs or a claim does, so bench/create-run.ts and bench/dispatch.ts can price
// the parts one by one.
import worker, { Dispatcher, RunHub, Scheduler, WebhookSender, WorkspaceFeed } from '../control/src/index.ts';
import type { Env } from '../control/src/env.ts';
import { findMemberRole } from '../control/src/db/findCaller.ts';
import type { ClaimResult } from '../control/src/queue/transitions.ts';
import { dispatcherFor } from '../control/src/queue/notify.ts';

const dispatcher = (env: Env) => env.DISPATCHER.get(env.DISPATCHER.idFromName('default'));
let hubs = 0;

const parts: Record<string, (env: Env, request: Request) => Promise<unknown>> = {
  // The request alone: HTTP, the runtime's routing to the Worker, a JSON answer.
  noop: async () => null,
  // The one statement authentication runs for the admin key.
  'd1-read': (env) => findMemberRole(env.DB, 'admin', 'default'),
  // A queued run's row written and returned, as POST /runs writes it.
  'd1-insert': (env) =>
    env.DB.prepare(`INSERT INTO job_runs (id, workspace_id, name, task_prompt, agent_type) VALUES (lower(hex(randomblob(6))), 'default', 'bench', 'bench', 'goose') RETURNING *`).first(),
  // The wake-up POST /runs sends the workspace's Dispatcher.
  dispatcher: (env) => dispatcher(env).workAvailable(),
  // A claim as the API makes it, without the HTTP API around it: no authentication, no validation, no RunHub.
  'claim-via-dispatcher': async (env, request) => {
    const { worker_id, workspace_id } = (await request.json()) as { worker_id: string; workspace_id: string };
    // RPC types can't express rows with JSON columns; structured clone carries them as they are.
    const result = (await dispatcherFor(env, workspace_id).claim({ workspaceId: workspace_id, workerId: worker_id, keyId: 'default', max: 1, fencing: 'token' }, 0)) as ClaimResult;
    return { runs: result.known ? result.runs.map((r) => ({ run_id: r.id })) : [] };
  },
  // What a claim tells each claimed run's RunHub, here always a hub that does not exist yet.
  'new-run-hub': (env) => {
    const runId = `bench-hub-${Date.now()}-${++hubs}`;
    return env.RUN_HUB.get(env.RUN_HUB.idFromName(runId)).status({ runId, workspaceId: 'default', status: 'assigned', at: new Date().toISOString() });
  },
};

export default {
  async fetch(request, env, ctx) {
    const name = /^\/api\/__bench\/([\w-]+)$/.exec(new URL(request.url).pathname)?.[1];
    const part = name === undefined ? undefined : parts[name];
    return part ? Response.json((await part(env, request)) ?? null) : worker.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;

export { Dispatcher, RunHub, Scheduler, WebhookSender, WorkspaceFeed };
