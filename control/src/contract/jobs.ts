// Wire schemas for job definitions: reusable task templates that runs are snapshotted from.
import { z } from '@hono/zod-openapi';
import { agentConfig, agentType, mcpServers } from './agent.ts';
import { envMap, labelMap, nameList, taskPrompt, timestamp } from './common.ts';
import { RetryPolicy } from './retry.ts';

export const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;

const jobFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(10_000).nullable(),
  task_prompt: taskPrompt,
  agent_type: agentType,
  agent_config: agentConfig,
  mcp_servers: mcpServers,
  env_vars: envMap.openapi({
    description: "Extra environment for the agent's process. Shown to a viewer by name only: each value reads `[hidden]`, as do the values of MCP servers' `env` and `headers`.",
  }),
  credential_ids: nameList('credential').openapi({ description: 'Credential **names** whose values the agent receives as environment variables.' }),
  skill_ids: nameList('skill').nullable().openapi({ description: 'Skill **names**; null means every skill of the workspace, [] none.' }),
  labels: labelMap.openapi({ description: "Worker labels a run of this job requires (copied to the run's required_labels)." }),
  timeout_seconds: z.number().int().min(1).max(MAX_TIMEOUT_SECONDS),
  priority: z.number().int().min(-1000).max(1000).openapi({ description: 'Higher runs first; equal priorities run oldest first.' }),
  max_attempts: z.number().int().min(1).max(20).openapi({ description: 'Claims a run may get when workers are lost mid-run, without a retry policy (agent failures are then not retried).' }),
  retry: RetryPolicy.nullable().openapi({ description: 'Retries of failed attempts, with backoff; null keeps the behaviour of max_attempts.' }),
  max_concurrent_runs: z.number().int().min(1).max(10_000).nullable().openapi({ description: 'At most this many runs of the job held by workers at once; the rest wait queued. Null: no limit.' }),
};

export const JobCreate = z
  .object({
    name: jobFields.name,
    description: jobFields.description.optional(),
    task_prompt: jobFields.task_prompt,
    agent_type: jobFields.agent_type.default('goose'),
    agent_config: jobFields.agent_config.default({}),
    mcp_servers: jobFields.mcp_servers.default([]),
    env_vars: jobFields.env_vars.default({}),
    credential_ids: jobFields.credential_ids.default([]),
    skill_ids: jobFields.skill_ids.default(null),
    labels: jobFields.labels.default({}),
    timeout_seconds: jobFields.timeout_seconds.default(1800),
    priority: jobFields.priority.default(0),
    max_attempts: jobFields.max_attempts.default(3),
    retry: jobFields.retry.default(null),
    max_concurrent_runs: jobFields.max_concurrent_runs.default(null),
  })

  .openapi('JobCreate');

// Partial update: only keys present change; null is accepted only where the field is nullable.
export const JobUpdate = z
  .object({
    name: jobFields.name,
    description: jobFields.description,
    task_prompt: jobFields.task_prompt,
    agent_type: jobFields.agent_type,
    agent_config: jobFields.agent_config,
    mcp_servers: jobFields.mcp_servers,
    env_vars: jobFields.env_vars,
    credential_ids: jobFields.credential_ids,
    skill_ids: jobFields.skill_ids,
    labels: jobFields.labels,
    timeout_seconds: jobFields.timeout_seconds,
    priority: jobFields.priority,
    max_attempts: jobFields.max_attempts,
    retry: jobFields.retry,
    max_concurrent_runs: jobFields.max_concurrent_runs,
  })
  .partial()

  .openapi('JobUpdate');

export const Job = z
  .object({
    id: z.string(),
    workspace_id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    task_prompt: z.string(),
    agent_type: z.string(),
    agent_config: z.record(z.string(), z.unknown()),
    mcp_servers: z.array(z.record(z.string(), z.unknown())),
    env_vars: z.record(z.string(), z.string()),
    credential_ids: z.array(z.string()),
    skill_ids: z.array(z.string()).nullable(),
    labels: z.record(z.string(), z.string()),
    timeout_seconds: z.number().int(),
    priority: z.number().int(),
    max_attempts: z.number().int(),
    retry: RetryPolicy.nullable(),
    max_concurrent_runs: z.number().int().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi('Job');

export type JobCreate = z.infer<typeof JobCreate>;
export type JobUpdate = z.infer<typeof JobUpdate>;
export type Job = z.infer<typeof Job>;
