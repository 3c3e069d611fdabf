// Stubs of a workspace's Dispatcher, Scheduler, feed and webhook sender and of a run's hub, for the callers that read or wake them.
import type { Env } from '../env.ts';
import type { FeedTopic } from '../feed/workspace-feed.ts';

export function dispatcherFor(env: Env, workspaceId: string) {
  return env.DISPATCHER.get(env.DISPATCHER.idFromName(workspaceId));
}

export function runHubFor(env: Env, runId: string) {
  return env.RUN_HUB.get(env.RUN_HUB.idFromName(runId));
}

export function schedulerFor(env: Env, workspaceId: string) {
  return env.SCHEDULER.get(env.SCHEDULER.idFromName(workspaceId));
}

export function feedFor(env: Env, workspaceId: string) {
  return env.WORKSPACE_FEED.get(env.WORKSPACE_FEED.idFromName(workspaceId));
}

export function senderFor(env: Env, workspaceId: string) {
  return env.WEBHOOK_SENDER.get(env.WEBHOOK_SENDER.idFromName(workspaceId));
}

/**
 * Tells the workspace's open dashboards what changed; a feed that cannot be reached only costs them
 * freshness. A change of runs or schedules may also have written webhook deliveries (their triggers
 * do), so the workspace's sender is woken too, when it has webhooks.
 */
export function tellFeed(env: Env, workspaceId: string, topics: FeedTopic[]): Promise<void> {
  const told = feedFor(env, workspaceId)
    .changed(topics)
    .catch(() => undefined);
  if (!topics.includes('runs') && !topics.includes('schedules')) return told;
  return Promise.all([told, tellWebhooks(env, workspaceId)]).then(() => undefined);
}

// Whether a workspace has enabled webhooks, known per isolate for a few seconds, so a workspace
// without any costs its changes no call to a sender.
const HAS_WEBHOOKS_MS = 5_000;
const hasWebhooks = new Map<string, { has: boolean; until: number }>();

/** A webhook was added, changed or deleted here: look again next time. */
export function forgetWebhooks(workspaceId: string): void {
  hasWebhooks.delete(workspaceId);
}

async function tellWebhooks(env: Env, workspaceId: string): Promise<void> {
  try {
    let known = hasWebhooks.get(workspaceId);
    if (!known || known.until < Date.now()) {
      const row = await env.DB.prepare('SELECT EXISTS (SELECT 1 FROM webhooks WHERE workspace_id = ?1 AND enabled = 1) AS has').bind(workspaceId).first<{ has: number }>();
      known = { has: row?.has === 1, until: Date.now() + HAS_WEBHOOKS_MS };
      hasWebhooks.set(workspaceId, known);
    }
    if (known.has) await senderFor(env, workspaceId).poke(workspaceId);
  } catch {
    // The sender's alarm and the cron deliver what a missed wake-up left.
  }
}
