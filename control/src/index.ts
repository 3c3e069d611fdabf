// The Worker's entry point: the HTTP app, and a once-a-minute backstop for the Durable Objects' alarms.
import { createApp } from './app.ts';
import type { Env } from './env.ts';
import { dispatcherFor, schedulerFor, senderFor } from './queue/notify.ts';
import { workspacesToReap } from './queue/transitions.ts';
import { workspacesWithOverdueSchedules } from './schedules/fire.ts';
import { workspacesWithOverdueDeliveries } from './webhooks/overdue.ts';

const app = createApp();

export default {
  fetch: app.fetch,
  // Each workspace's Dispatcher reaps, its Scheduler fires schedules and its WebhookSender delivers, by their own alarms; this
  // cron catches what an alarm can't: a workspace whose alarm was lost, and idle workers that died and
  // still show online.
  async scheduled(_controller, env, ctx) {
    const [reap, fire, deliver] = await Promise.all([workspacesToReap(env), workspacesWithOverdueSchedules(env), workspacesWithOverdueDeliveries(env)]);
    ctx.waitUntil(
      Promise.all([
        ...reap.map((id) => dispatcherFor(env, id).backstop(id)),
        ...fire.map((id) => schedulerFor(env, id).backstop(id)),
        ...deliver.map((id) => senderFor(env, id).backstop(id)),
      ]),
    );
  },
} satisfies ExportedHandler<Env>;

export { Dispatcher } from './queue/dispatcher.ts';
export { RunHub } from './logs/run-hub.ts';
export { Scheduler } from './schedules/scheduler.ts';
export { WorkspaceFeed } from './feed/workspace-feed.ts';
export { WebhookSender } from './webhooks/sender.ts';
