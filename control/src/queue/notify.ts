// Stubs of a workspace's Dispatcher, Scheduler and feed and of a run's hub, for the callers that read or wake them.
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

/** Tells the workspace's open dashboards what changed; a feed that cannot be reached only costs them freshness. */
export function tellFeed(env: Env, workspaceId: string, topics: FeedTopic[]): Promise<void> {
  return feedFor(env, workspaceId)
    .changed(topics)
    .catch(() => undefined);
}
