// Wire schemas for runs: one execution of a task, the unit the queue hands to workers.
import { z } from '@hono/zod-openapi';
import { runStatuses } from './statuses.ts';
import { agentConfig, agentType, mcpServers } from './agent.ts';
import { envMap, labelMap, nameList, taskPrompt, timestamp } from './common.ts';
import { MAX_TIMEOUT_SECONDS } from './jobs.ts';
import { RetryPolicy } from './retry.ts';

export const runStatus = z.enum(runStatuses);

export const waitingReasons = ['retry_backoff', 'job_concurrency_limit', 'workspace_concurrency_limit'] as const;
export type WaitingReason = (typeof waitingReasons)[number];

export const RunCreate = z
  .object({
    name: z.string().trim().min(1).max(200).default('Ad-hoc Run'),
    task_prompt: taskPrompt,
    agent_type: agentType.default('goose'),
    agent_config: agentConfig.default({}),
    mcp_servers: mcpServers.default([]),
    env_vars: envMap.default({}),
    credential_ids: nameList('credential').default([]),
    skill_ids: nameList('skill').nullable().default(null),
    required_labels: labelMap.default({}),
    timeout_seconds: z.number().int().min(1).max(MAX_TIMEOUT_SECONDS).default(1800),
    priority: z.number().int().min(-1000).max(1000).default(0),
    max_attempts: z.number().int().min(1).max(20).default(3),
    retry: RetryPolicy.nullable().default(null).openapi({ description: 'Retries of failed attempts, with backoff; null keeps the behaviour of max_attempts.' }),
  })

  .openapi('RunCreate');

export const Run = z
  .object({
    id: z.string(),
    workspace_id: z.string(),
    job_definition_id: z.string().nullable().openapi({ description: 'The job this run was triggered from; null for ad-hoc runs.' }),
    status: runStatus,
    worker_id: z.string().nullable(),
    name: z.string(),
    task_prompt: z.string(),
    agent_type: z.string(),
    agent_config: z.record(z.string(), z.unknown()),
    mcp_servers: z.array(z.record(z.string(), z.unknown())).openapi({ description: "Shown to a viewer with the values of each server's `env` and `headers` as `[hidden]`." }),
    credential_ids: z.array(z.string()),
    skill_ids: z.array(z.string()).nullable(),
    required_labels: z.record(z.string(), z.string()),
    timeout_seconds: z.number().int(),
    priority: z.number().int(),
    attempt: z.number().int().openapi({ description: 'How many times the run has been claimed (0 while first queued).' }),
    max_attempts: z.number().int(),
    started_at: timestamp.nullable(),
    completed_at: timestamp.nullable(),
    result: z.string().nullable(),
    exit_code: z.number().int().nullable(),
    failure_reason: z.string().nullable().openapi({ description: 'Why the run did not complete, e.g. worker_lost, cancelled_by_user, never_started (claimed several times, never started by its worker).' }),
    cancel_requested_at: timestamp.nullable(),
    input_tokens: z.number().int().nullable(),
    output_tokens: z.number().int().nullable(),
    total_tokens: z.number().int().nullable(),
    cost_usd: z.number().nullable(),
    skills: z
      .array(z.object({ name: z.string(), checksum_sha256: z.string() }))
      .nullable()
      .openapi({ description: 'The skills the run was given at its last claim, each with the checksum of the version it got; null before a claim.' }),
    retry: RetryPolicy.nullable(),
    available_at: timestamp.nullable().openapi({ description: 'A retried run waits queued until this instant before it can be claimed again.' }),
    waiting_reason: z
      .enum(waitingReasons)
      .nullable()
      .openapi({ description: 'Why a queued run is not being claimed yet: waiting for its retry, or its job or workspace holds its limit of concurrent runs. Null otherwise.' }),
    rerun_of: z.string().nullable().openapi({ description: 'The run this one re-runs with the same settings, if it is a re-run.' }),
    schedule_id: z.string().nullable().openapi({ description: 'The schedule that created the run, if one did.' }),
    scheduled_for: timestamp.nullable().openapi({ description: 'The instant of that schedule the run stands for.' }),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi('Run');

export const RunAttempt = z
  .object({
    attempt: z.number().int().openapi({ description: 'The claim this was, from 1.' }),
    worker_id: z.string(),
    worker_name: z.string().nullable().openapi({ description: 'The worker\'s name, while the worker is known.' }),
    claimed_at: timestamp,
    started_at: timestamp.nullable(),
    ended_at: timestamp.nullable(),
    outcome: z.string().nullable().openapi({ description: 'How the attempt ended: the run\'s final status, or why it was taken back (worker_lost, …); null while it runs.' }),
    detail: z.string().nullable(),
  })
  .openapi('RunAttempt');

export const RunListQuery = z.object({
  job_id: z.string().min(1).max(64).optional().openapi({ description: 'Only runs of this job.' }),
  status: runStatus.optional().openapi({ description: 'Only runs in this status.' }),
});

export type RunCreate = z.infer<typeof RunCreate>;
export type Run = z.infer<typeof Run>;
export type RunAttempt = z.infer<typeof RunAttempt>;
export type LogView = z.infer<typeof LogLine>;

export const LogPageQuery = z.object({
  after: z.coerce.number().int().min(0).default(0).openapi({ description: 'Return lines with a sequence greater than this.' }),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

export const LogStreamQuery = z.object({
  after: z.coerce.number().int().min(0).optional().openapi({ description: 'Replay lines with a sequence greater than this (default: `Last-Event-ID`, else 0).' }),
  ticket: z.string().max(1024).optional().openapi({ description: 'A stream ticket from `POST /runs/{run_id}/logs/ticket`: for browsers, instead of a key in the URL.' }),
  token: z.string().optional().openapi({ description: 'An API key, for clients that cannot send headers (the original\'s EventSource clients). Prefer `ticket`: URLs end up in logs.' }),
  workspace_id: z.string().optional().openapi({ description: 'The workspace, with `token`; default `default`.' }),
});

export const StreamTicket = z
  .object({
    ticket: z.string(),
    expires_at: timestamp,
    stream_url: z.string().openapi({ description: 'The stream\'s path with the ticket; add `after=` to resume.' }),
  })
  .openapi('StreamTicket');

export const LogLine = z
  .object({
    sequence: z.number().int().openapi({ description: 'Position in the run\'s log, from 1, gap-free.' }),
    stream: z.enum(['stdout', 'stderr', 'event', 'system']),
    line: z.string(),
    attempt: z.number().int().openapi({ description: 'The attempt that wrote the line; 0 for the control plane\'s own notes.' }),
    at: timestamp,
    event: z.string().nullable().openapi({ description: 'The agent\'s structured event this line shows (message, tool_request, tool_response, error, complete, …), or null.' }),
    data: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'The structured event\'s fields (see the worker protocol\'s log lines), or null.' }),
  })
  .openapi('LogLine');
