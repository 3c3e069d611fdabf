// Stubs of a workspace's Dispatcher and of a run's hub, for the routes that read or wake them.
import type { Env } from '../env.ts';

export function dispatcherFor(env: Env, workspaceId: string) {
  return env.DISPATCHER.get(env.DISPATCHER.idFromName(workspaceId));
}

export function runHubFor(env: Env, runId: string) {
  return env.RUN_HUB.get(env.RUN_HUB.idFromName(runId));
}
