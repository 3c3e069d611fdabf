// The Worker's entry point: the HTTP app, and a once-a-minute backstop for the reaper.
import { createApp } from './app.ts';
import type { Env } from './env.ts';
import { dispatcherFor } from './queue/notify.ts';
import { workspacesToReap } from './queue/transitions.ts';

const app = createApp();

export default {
  fetch: app.fetch,
  // Each workspace's Dispatcher reaps by its own alarm while it holds leases; this cron catches what
  // an alarm can't: a workspace whose alarm was lost, and idle workers that died and still show online.
  async scheduled(_controller, env, ctx) {
    const workspaces = await workspacesToReap(env);
    ctx.waitUntil(Promise.all(workspaces.map((id) => dispatcherFor(env, id).backstop(id))));
  },
} satisfies ExportedHandler<Env>;

export { Dispatcher } from './queue/dispatcher.ts';
export { RunHub } from './logs/run-hub.ts';
