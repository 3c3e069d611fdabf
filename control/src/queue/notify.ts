// Stubs of a workspace's Dispatcher and Scheduler and of a run's hub, for the callers that read or wake them.
import type { Env } from '../env.ts';

export function dispatcherFor(env: Env, workspaceId: string) {
  return env.DISPATCHER.get(env.DISPATCHER.idFromName(workspaceId));
}

export function runHubFor(env: Env, runId: string) {
  return env.RUN_HUB.get(env.RUN_HUB.idFromName(runId));
}

export function schedulerFor(env: Env, workspaceId: string) {
  return env.SCHEDULER.get(env.SCHEDULER.idFromName(workspaceId));
}
