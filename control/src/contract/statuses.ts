// The one list of run statuses, shared by the schema, the wire contract, the queue and the worker.

export const runStatuses = ['queued', 'assigned', 'running', 'completed', 'failed', 'timeout', 'cancelled'] as const;
export type RunStatus = (typeof runStatuses)[number];

/** A worker holds the run: it has been claimed and not yet ended. */
export const heldStatuses = ['assigned', 'running'] as const satisfies readonly RunStatus[];

/** Nothing changes a run after these; its log is then kept for the retention period. */
export const finalStatuses = ['completed', 'failed', 'timeout', 'cancelled'] as const satisfies readonly RunStatus[];
export type FinalStatus = (typeof finalStatuses)[number];

export function isFinal(status: string | null | undefined): status is FinalStatus {
  return (finalStatuses as readonly (string | null | undefined)[]).includes(status);
}
