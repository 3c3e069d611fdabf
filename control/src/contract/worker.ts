// The worker protocol's wire schemas, shared by the control plane (validates requests) and node-worker (validates responses).
import { z } from '@hono/zod-openapi';
import { labelMap, timestamp } from './common.ts';
import { finalStatuses } from './statuses.ts';

/** Header every run-scoped worker call carries; a stale token gets 409 `lease_lost`. */
export const LEASE_HEADER = 'X-Lease-Token';

/**
 * Every run-scoped worker call carries its lease; a stale one is answered 409 `lease_lost`. Workers of
 * the original protocol send none: their runs (claimed through `poll`) are fenced by the worker's
 * identity instead.
 */
export const leaseHeader = z.object({
  'x-lease-token': z
    .string()
    .min(1)
    .max(128)
    .optional()
    .openapi({ param: { name: 'x-lease-token', in: 'header' }, description: 'The lease token from the claim. Required for runs claimed with `claim`.' }),
});

/** The default lease; the control plane's ORCH_LEASE_SECONDS changes it. */
export const LEASE_SECONDS = 60;
/** Shorter leases would expire between two heartbeats of a busy worker. */
export const MIN_LEASE_SECONDS = 5;

/** How often a worker holding runs heartbeats: four times per lease, so three missed beats still keep it. */
export function heartbeatSeconds(leaseSeconds: number): number {
  return Math.max(1, Math.floor(leaseSeconds / 4));
}

/**
 * How long a claimed run waits for its worker to start it (or renew it by a heartbeat) before it goes
 * back to the queue uncounted: two heartbeat intervals, the margin a live worker always has.
 */
export function pickupSeconds(leaseSeconds: number): number {
  return Math.min(leaseSeconds, 2 * heartbeatSeconds(leaseSeconds));
}

/**
 * The shortest lease of a run claimed through the original protocol's `poll`. Such a worker sends
 * nothing while its agent is quiet (no heartbeat during a run, logs only when there are lines), so
 * its lease is renewed by each of its calls and lasts at least this long.
 */
export const V1_MIN_LEASE_SECONDS = 300;

/** Longest a claim or signal request is parked: one request per 30 s keeps an idle worker at 2 a minute. */
export const MAX_WAIT_SECONDS = 30;

const workerId = z.string().min(1).max(64);
const runId = z.string().min(1).max(64);

export const WorkerRegisterBody = z
  .object({
    name: z.string().trim().min(1).max(128),
    labels: labelMap.default({}),
    concurrency: z.number().int().min(1).max(64).default(1),
    version: z.string().max(64).optional(),
  })
  .openapi('WorkerRegister');

export const WorkerRegistered = z
  .object({
    id: z.string(),
    name: z.string(),
    lease_seconds: z.number().int(),
    heartbeat_interval_seconds: z.number().int(),
    max_wait_seconds: z.number().int(),
  })
  .openapi('WorkerRegistered');

export const HeldLease = z.object({ run_id: runId, lease_token: z.string().min(1).max(128) });

export const WorkerHeartbeatBody = z
  .object({
    worker_id: workerId,
    status: z.enum(['online', 'busy', 'draining']).optional().openapi({ description: 'Derived from `runs` when absent.' }),
    runs: z.array(HeldLease).max(64).default([]).openapi({ description: 'Leases the worker holds; each is renewed.' }),
  })
  .openapi('WorkerHeartbeat');

export const WorkerHeartbeatResult = z
  .object({
    status: z.literal('ok'),
    leases: z.array(z.object({ run_id: z.string(), lease_expires_at: timestamp })),
    lost: z.array(z.string()).openapi({ description: 'Runs whose lease is no longer this worker\'s: stop them.' }),
    cancel: z.array(z.string()).openapi({ description: 'Runs the user asked to cancel.' }),
    heartbeat_interval_seconds: z.number().int().openapi({ description: 'How often to heartbeat now; follows the current lease length, so a changed ORCH_LEASE_SECONDS reaches running workers.' }),
  })
  .openapi('WorkerHeartbeatResult');

export const WorkerDeregisterBody = z.object({ worker_id: workerId }).openapi('WorkerDeregister');

export const WorkerDeregistered = z
  .object({
    status: z.literal('offline'),
    released: z.number().int().openapi({ description: 'Runs the worker still held; they go back to the queue (or end) as if its lease had expired.' }),
  })
  .openapi('WorkerDeregistered');

export const WorkerClaimBody = z
  .object({
    worker_id: workerId,
    max_runs: z.number().int().min(1).max(64).default(1).openapi({ description: 'Free slots: up to this many runs are claimed at once.' }),
    wait_seconds: z.number().int().min(0).max(MAX_WAIT_SECONDS).default(0).openapi({ description: 'Park this long for work when none is queued.' }),
  })
  .openapi('WorkerClaim');

/** A skill as a claim hands it over: the worker downloads each file and checks it against its SHA-256. */
export const SkillManifest = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    instructions: z.string(),
    allowed_tools: z.string().nullable(),
    checksum_sha256: z.string(),
    files: z.array(z.object({ file_path: z.string(), size_bytes: z.number().int(), checksum_sha256: z.string(), content_type: z.string() })),
  })
  .openapi('SkillManifest');

export const ClaimedRun = z
  .object({
    run_id: z.string(),
    lease_token: z.string(),
    lease_expires_at: timestamp,
    attempt: z.number().int(),
    max_attempts: z.number().int(),
    name: z.string(),
    task_prompt: z.string(),
    agent_type: z.string(),
    agent_config: z.record(z.string(), z.unknown()),
    mcp_servers: z.array(z.record(z.string(), z.unknown())),
    env_vars: z.record(z.string(), z.string()),
    credentials: z.record(z.string(), z.string()).openapi({ description: 'Env var → decrypted secret. Sent only here, only to this worker.' }),
    skills: z.array(SkillManifest).default([]).openapi({ description: 'The skills the run is given, each with the files to download and their checksums.' }),
    timeout_seconds: z.number().int(),
  })
  .openapi('ClaimedRun');


export const WorkerClaimResult = z
  .object({ runs: z.array(ClaimedRun), heartbeat_interval_seconds: z.number().int().openapi({ description: 'How often to heartbeat now; follows the current lease length, so a changed ORCH_LEASE_SECONDS reaches running workers.' }) })
  .openapi('WorkerClaimResult');

export const WorkerSignalsQuery = z.object({
  worker_id: workerId,
  wait_seconds: z.coerce.number().int().min(0).max(MAX_WAIT_SECONDS).default(0),
});

export const WorkerSignals = z.object({ cancel: z.array(z.string()) }).openapi('WorkerSignals');

export const WorkerStartResult = z.object({ status: z.literal('running'), cancel_requested: z.boolean() }).openapi('WorkerStartResult');

export const logStreams = ['stdout', 'stderr', 'event', 'system'] as const;

/** Longest a line's structured `data` may be, as JSON. */
export const MAX_EVENT_DATA_CHARS = 16_384;

export const eventData = z
  .record(z.string(), z.unknown())
  .refine((data) => JSON.stringify(data).length <= MAX_EVENT_DATA_CHARS, `must be at most ${MAX_EVENT_DATA_CHARS} characters as JSON`)
  .openapi({
    description:
      'The fields of the structured event the line shows, for viewers that render them: `{id}` on assistant text (`message`, the message it belongs to); `{id, name, arguments}` on `tool_request`; `{id, status}` on `tool_response` output; token counts and `cost_usd` on `complete`.',
  });

export const LogLine = z.object({
  stream: z.enum(logStreams).default('stdout'),
  line: z.string().max(65_536),
  sequence: z.number().int().min(1),
  event: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be a short lowercase name such as tool_request')
    .optional()
    .openapi({ description: 'The agent\'s structured event this line shows: message, tool_request, tool_response, error, complete, …' }),
  data: eventData.optional(),
});

export const WorkerLogBatch = z.object({ lines: z.array(LogLine).min(1).max(1000) }).openapi('WorkerLogBatch');

export const WorkerLogResult = z.object({ appended: z.number().int(), last_sequence: z.number().int() }).openapi('WorkerLogResult');


export const WorkerCompleteBody = z
  .object({
    status: z.enum(finalStatuses),
    result: z.string().max(1_000_000).nullable().default(null),
    exit_code: z.number().int().nullable().default(null),
    error: z.string().max(10_000).nullable().default(null),
    usage: z
      .object({
        input_tokens: z.number().int().min(0).nullable().default(null),
        output_tokens: z.number().int().min(0).nullable().default(null),
        total_tokens: z.number().int().min(0).nullable().default(null),
        cost_usd: z.number().min(0).nullable().default(null),
      })
      .optional(),
  })
  .openapi('WorkerComplete');

export const WorkerCompleteQuery = z.object({
  worker_id: z
    .string()
    .max(64)
    .optional()
    .transform((id) => id || undefined)
    .openapi({ description: 'The original protocol\'s way to name the reporting worker; checked against the run\'s holder when no lease token is sent.' }),
});

export const WorkerCompleteResult = z
  .object({
    status: z.enum(finalStatuses).openapi({ description: 'How the attempt ended, as recorded.' }),
    retry_at: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: "Set when the run's retry policy sent it back to the queue: the instant its next attempt may be claimed." }),
  })
  .openapi('WorkerCompleteResult');

export type WorkerRegisterBody = z.input<typeof WorkerRegisterBody>;
export type WorkerRegistered = z.infer<typeof WorkerRegistered>;
export type WorkerHeartbeatBody = z.input<typeof WorkerHeartbeatBody>;
export type WorkerHeartbeatResult = z.infer<typeof WorkerHeartbeatResult>;
export type WorkerDeregistered = z.infer<typeof WorkerDeregistered>;
export type WorkerClaimBody = z.input<typeof WorkerClaimBody>;
export type ClaimedRun = z.infer<typeof ClaimedRun>;
export type SkillManifest = z.infer<typeof SkillManifest>;
export type WorkerClaimResult = z.infer<typeof WorkerClaimResult>;
export type WorkerSignals = z.infer<typeof WorkerSignals>;
export type LogLine = z.input<typeof LogLine>;
export type WorkerCompleteBody = z.input<typeof WorkerCompleteBody>;
