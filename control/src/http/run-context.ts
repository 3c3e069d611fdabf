// What a request hands the run state changes (the bindings, and waitUntil for the hub announcements),
// and the answer a worker gets when its fence no longer holds the run.
import type { Context } from 'hono';
import type { AppEnv } from '../env.ts';
import type { Fence, RunContext } from '../queue/transitions.ts';
import { leaseLost } from './errors.ts';

export function runContext(c: Context<AppEnv>): RunContext {
  return { env: c.env, defer: (work) => c.executionCtx.waitUntil(work) };
}

/** 409 for a stale holder; a call without a token is told what it lacks. */
export function notHolder(fence: Fence) {
  if ('token' in fence) return leaseLost();
  if (fence.workerId !== null) return leaseLost(`No X-Lease-Token was sent, and worker '${fence.workerId}' (of this API key) does not hold the run through /workers/poll`);
  return leaseLost('No X-Lease-Token was sent, and no worker of this API key holds the run through /workers/poll');
}
