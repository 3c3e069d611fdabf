// Tells a workspace's Dispatcher about new work and cancels, so parked workers act at once.
import type { Env } from '../env.ts';

export function dispatcherFor(env: Env, workspaceId: string) {
  return env.DISPATCHER.get(env.DISPATCHER.idFromName(workspaceId));
}

export function runHubFor(env: Env, runId: string) {
  return env.RUN_HUB.get(env.RUN_HUB.idFromName(runId));
}

export async function wakeClaimers(env: Env, workspaceId: string): Promise<void> {
  await dispatcherFor(env, workspaceId).workAvailable();
}

export async function deliverCancel(env: Env, workspaceId: string, workerId: string, runId: string): Promise<void> {
  await dispatcherFor(env, workspaceId).cancelRequested(workerId, runId);
}
