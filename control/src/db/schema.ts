// The D1 schema. Migrations in migrations/ are generated from this file; a test keeps them in step.
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { RetryPolicy } from '../contract/retry.ts';
import { runStatuses } from '../contract/statuses.ts';

// ISO-8601 UTC with milliseconds, e.g. 2026-11-25T06:29:50.123Z; sorts as text.
const nowIso = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;
const createdAt = () => text('created_at').notNull().default(nowIso);
const updatedAt = () => text('updated_at').notNull().default(nowIso);
const json = <T>(name: string) => text(name, { mode: 'json' }).$type<T>();

export type StringMap = Record<string, string>;

export const workspaces = sqliteTable('workspaces', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  slug: text('slug').notNull().unique(),
  description: text('description'),
  // The API key that created it: a key held to one workspace may act in the ones it creates, too.
  createdByKey: text('created_by_key'),
  // At most this many of its runs held by workers at once (null: no limit); the claim enforces it.
  maxConcurrentRuns: integer('max_concurrent_runs'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  username: text('username').notNull().unique(),
  displayName: text('display_name'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const workspaceMembers = sqliteTable(
  'workspace_members',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'admin', 'member', 'viewer'] }).notNull().default('member'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('uq_workspace_member').on(t.workspaceId, t.userId), index('ix_workspace_members_user').on(t.userId)],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    keyHash: text('key_hash').notNull().unique(),
    prefix: text('prefix').notNull(),
    role: text('role', { enum: ['owner', 'admin', 'member', 'viewer', 'worker'] }).notNull().default('worker'),
    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    // The workspace the key was made in.
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    // A worker key, a key made for someone else, and any key made with such a key act only in their
    // workspace (and in workspaces they create); a person's own key wherever its user is a member.
    workspaceOnly: integer('workspace_only', { mode: 'boolean' }).notNull().default(true),
    // Who made it: a worker key works only while its maker is an admin or owner of its workspace.
    createdBy: text('created_by'),
    lastUsedAt: text('last_used_at'),
    revokedAt: text('revoked_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('ix_api_keys_workspace').on(t.workspaceId, t.createdAt)],
);

export const jobDefinitions = sqliteTable(
  'job_definitions',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    taskPrompt: text('task_prompt').notNull(),
    agentType: text('agent_type').notNull().default('goose'),
    agentConfig: json<Record<string, unknown>>('agent_config').notNull().default(sql`'{}'`),
    mcpServers: json<Record<string, unknown>[]>('mcp_servers').notNull().default(sql`'[]'`),
    envVars: json<StringMap>('env_vars').notNull().default(sql`'{}'`),
    credentialIds: json<string[]>('credential_ids').notNull().default(sql`'[]'`),
    skillIds: json<string[] | null>('skill_ids'),
    labels: json<StringMap>('labels').notNull().default(sql`'{}'`),
    timeoutSeconds: integer('timeout_seconds').notNull().default(1800),
    priority: integer('priority').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(3),
    // Retries of failed attempts (copied to each run), and the most runs of this job held at once.
    retry: json<RetryPolicy | null>('retry'),
    maxConcurrentRuns: integer('max_concurrent_runs'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('ix_job_definitions_workspace_created').on(t.workspaceId, t.createdAt, t.id)],
);

export const runFencings = ['token', 'worker'] as const;
export const scheduleMisfires = ['run_once', 'skip'] as const;
export const scheduleOverlaps = ['allow', 'skip'] as const;


export const jobRuns = sqliteTable(
  'job_runs',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    // No foreign key: deleting a job keeps its run history.
    jobDefinitionId: text('job_definition_id'),
    status: text('status', { enum: runStatuses }).notNull().default('queued'),
    workerId: text('worker_id'),
    name: text('name').notNull(),
    taskPrompt: text('task_prompt').notNull(),
    agentType: text('agent_type').notNull(),
    agentConfig: json<Record<string, unknown>>('agent_config').notNull().default(sql`'{}'`),
    mcpServers: json<Record<string, unknown>[]>('mcp_servers').notNull().default(sql`'[]'`),
    envVars: json<StringMap>('env_vars').notNull().default(sql`'{}'`),
    credentialIds: json<string[]>('credential_ids').notNull().default(sql`'[]'`),
    skillIds: json<string[] | null>('skill_ids'),
    requiredLabels: json<StringMap>('required_labels').notNull().default(sql`'{}'`),
    timeoutSeconds: integer('timeout_seconds').notNull().default(1800),
    priority: integer('priority').notNull().default(0),
    attempt: integer('attempt').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(3),
    // Claims of the run in a row that no worker started (0 again once it starts): each put it back in
    // the queue uncounted, and past MAX_UNSTARTED_CLAIMS (queue/transitions.ts) it fails instead of
    // going round for ever.
    unstartedClaims: integer('unstarted_claims').notNull().default(0),
    leaseToken: text('lease_token'),
    // How the holder proves it holds the run: its lease token, or (runs claimed through the
    // original protocol's poll, whose workers send no token) its worker id and API key.
    fencing: text('fencing', { enum: runFencings }).notNull().default('token'),
    leaseExpiresAt: text('lease_expires_at'),
    cancelRequestedAt: text('cancel_requested_at'),
    startedAt: text('started_at'),
    completedAt: text('completed_at'),
    result: text('result'),
    exitCode: integer('exit_code'),
    failureReason: text('failure_reason'),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    totalTokens: integer('total_tokens'),
    costUsd: text('cost_usd'),
    // The run this one re-runs (POST /runs/{id}/rerun), with the same settings.
    rerunOf: text('rerun_of'),
    // How failed attempts are retried (null: only lost workers' runs, up to max_attempts, at once),
    // and the instant a retried run may be claimed again (null: at once).
    retry: json<RetryPolicy | null>('retry'),
    availableAt: text('available_at'),
    // The skills the run was given at its last claim, [{name, checksum_sha256}] (null before a claim).
    skills: json<{ name: string; checksum_sha256: string }[] | null>('skills'),
    // The schedule and instant that created the run, for scheduled runs.
    scheduleId: text('schedule_id'),
    scheduledFor: text('scheduled_for'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // The run lists, newest first: all of a workspace's runs, those in one status, a job's.
    index('ix_job_runs_workspace_created').on(t.workspaceId, t.createdAt, t.id),
    index('ix_job_runs_workspace_status_created').on(t.workspaceId, t.status, t.createdAt, t.id),
    index('ix_job_runs_job_created').on(t.jobDefinitionId, t.createdAt, t.id),
    // The claim scans queued runs of a workspace by priority, then age.
    index('ix_job_runs_queue').on(t.workspaceId, t.status, t.priority, t.createdAt),
    index('ix_job_runs_lease').on(t.status, t.leaseExpiresAt),
    // A schedule that skips overlapping fires asks whether its previous run is still active.
    index('ix_job_runs_schedule').on(t.scheduleId, t.status),
    // The overview's chart counts outcomes per hour of the last day.
    index('ix_job_runs_workspace_completed').on(t.workspaceId, t.completedAt),
    // A job's concurrency limit counts its held runs; a job's runs in one status, newest first.
    index('ix_job_runs_job_status_created').on(t.jobDefinitionId, t.status, t.createdAt, t.id),
    // Claims, heartbeats and the fleet view ask for the runs one worker holds.
    index('ix_job_runs_worker_status').on(t.workerId, t.status),
  ],
);

/**
 * How many of a workspace's runs are in each status, kept exact by triggers on `job_runs` (see
 * migrations/0011_history_indexes.sql), so the counts cost the same however long the history.
 * drizzle-kit knows nothing of triggers: a generated migration that rebuilds `job_runs` drops them
 * (and 0008's webhook triggers), so such a migration must create them again.
 */
export const runCounts = sqliteTable(
  'run_counts',
  {
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    status: text('status', { enum: runStatuses }).notNull(),
    n: integer('n').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.status] })],
);

export const runAttempts = sqliteTable(
  'run_attempts',
  {
    id: text('id').primaryKey(),
    runId: text('run_id').notNull().references(() => jobRuns.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    workerId: text('worker_id').notNull(),
    leaseToken: text('lease_token').notNull(),
    claimedAt: text('claimed_at').notNull().default(nowIso),
    startedAt: text('started_at'),
    endedAt: text('ended_at'),
    outcome: text('outcome'),
    detail: text('detail'),
  },
  (t) => [uniqueIndex('uq_run_attempt').on(t.runId, t.attempt)],
);

export const credentials = sqliteTable(
  'credentials',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    envVar: text('env_var').notNull(),
    encryptedValue: text('encrypted_value').notNull(),
    description: text('description'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('uq_credential_workspace_name').on(t.workspaceId, t.name)],
);

/** A worker in any status but the last is still in the fleet. */
export const fleetStatuses = ['online', 'busy', 'draining'] as const;
export const workerStatuses = [...fleetStatuses, 'offline'] as const;

export const workers = sqliteTable(
  'workers',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    status: text('status', { enum: workerStatuses }).notNull().default('online'),
    labels: json<StringMap>('labels').notNull().default(sql`'{}'`),
    concurrency: integer('concurrency').notNull().default(1),
    // The API key that registered the worker (`default` for the bootstrap key): the identity a worker
    // that sends no lease token is fenced by.
    keyId: text('key_id'),
    lastHeartbeat: text('last_heartbeat').notNull().default(nowIso),
    currentRunId: text('current_run_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('ix_workers_workspace_created').on(t.workspaceId, t.createdAt, t.id),
    // Workers are never deleted: the fleet (registration's count per key, silent workers, the fleet
    // view) is found by status rather than among every worker the workspace ever had.
    index('ix_workers_workspace_status_created').on(t.workspaceId, t.status, t.createdAt, t.id),
  ],
);

/**
 * How many of a workspace's workers are in each status, kept exact by triggers on `workers` (see
 * migrations/0012_worker_counts.sql) as `run_counts` is for runs: every start of a worker registers a
 * new one, so the offline ones pile up. A generated migration that rebuilds `workers` must create the
 * triggers again.
 */
export const workerCounts = sqliteTable(
  'worker_counts',
  {
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    status: text('status', { enum: workerStatuses }).notNull(),
    n: integer('n').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.status] })],
);

export const schedules = sqliteTable(
  'schedules',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    jobDefinitionId: text('job_definition_id').notNull().references(() => jobDefinitions.id, { onDelete: 'cascade' }),
    cronExpression: text('cron_expression').notNull(),
    timezone: text('timezone').notNull().default('UTC'),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    name: text('name'),
    // What a fire missed while the control plane was away does: one run for the latest missed instant, or none.
    misfire: text('misfire', { enum: scheduleMisfires }).notNull().default('run_once'),
    // Whether a fire starts a run while the schedule's previous run is still queued or running.
    overlap: text('overlap', { enum: scheduleOverlaps }).notNull().default('allow'),
    nextRunAt: text('next_run_at'),
    lastRunAt: text('last_run_at'),
    lastRunId: text('last_run_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('ix_schedules_workspace_created').on(t.workspaceId, t.createdAt, t.id),
    index('ix_schedules_due').on(t.enabled, t.nextRunAt),
    index('ix_schedules_workspace_due').on(t.workspaceId, t.enabled, t.nextRunAt),
  ],
);

export const scheduleFireOutcomes = ['run', 'skipped'] as const;

/** One row per instant a schedule fired at (or skipped): the unique pair is what makes a fire happen once. */
export const scheduleFires = sqliteTable(
  'schedule_fires',
  {
    id: text('id').primaryKey(),
    scheduleId: text('schedule_id').notNull().references(() => schedules.id, { onDelete: 'cascade' }),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    scheduledFor: text('scheduled_for').notNull(),
    firedAt: text('fired_at').notNull().default(nowIso),
    outcome: text('outcome', { enum: scheduleFireOutcomes }).notNull(),
    reason: text('reason'),
    runId: text('run_id'),
  },
  (t) => [uniqueIndex('uq_schedule_fire').on(t.scheduleId, t.scheduledFor), index('ix_schedule_fires_recent').on(t.scheduleId, t.firedAt)],
);

export const artifacts = sqliteTable(
  'artifacts',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    runId: text('run_id').notNull().references(() => jobRuns.id, { onDelete: 'cascade' }),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    checksumSha256: text('checksum_sha256').notNull(),
    storageKey: text('storage_key').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('ix_artifacts_run').on(t.runId, t.createdAt)],
);

export const skills = sqliteTable(
  'skills',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull(),
    license: text('license'),
    compatibility: text('compatibility'),
    allowedTools: text('allowed_tools'),
    metadataKv: json<StringMap | null>('metadata_kv'),
    instructions: text('instructions').notNull(),
    totalSizeBytes: integer('total_size_bytes').notNull().default(0),
    fileCount: integer('file_count').notNull().default(0),
    // SHA-256 over its files' paths and checksums: what a run records as the version it was given.
    checksumSha256: text('checksum_sha256').notNull().default(''),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('uq_skill_workspace_name').on(t.workspaceId, t.name)],
);

export const skillFiles = sqliteTable(
  'skill_files',
  {
    id: text('id').primaryKey(),
    skillId: text('skill_id').notNull().references(() => skills.id, { onDelete: 'cascade' }),
    filePath: text('file_path').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    checksumSha256: text('checksum_sha256').notNull(),
    contentType: text('content_type').notNull(),
    storageKey: text('storage_key').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('uq_skill_file_path').on(t.skillId, t.filePath)],
);

export const webhookEvents = ['run.queued', 'run.started', 'run.completed', 'run.failed', 'run.timeout', 'run.cancelled', 'schedule.skipped'] as const;
export const webhookDeliveryStatuses = ['pending', 'delivered', 'failed'] as const;

/** A receiver of a workspace's events, signed with its own secret (stored encrypted with the master key). */
export const webhooks = sqliteTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    // Fernet ciphertext of the signing secret (whsec_…); every webhook made through the API has one.
    encryptedSecret: text('encrypted_secret'),
    events: json<(typeof webhookEvents)[number][]>('events').notNull().default(sql`'["run.completed"]'`),
    description: text('description'),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('ix_webhooks_workspace').on(t.workspaceId)],
);

/**
 * One event for one webhook: written by triggers in the same statement as the change it tells of
 * (migrations/0008_webhooks.sql), so a change D1 accepted is never without its deliveries; the
 * workspace's WebhookSender sends it, in order per run, until it is delivered or its retries run out.
 */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    webhookId: text('webhook_id').notNull().references(() => webhooks.id, { onDelete: 'cascade' }),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    event: text('event', { enum: webhookEvents }).notNull(),
    runId: text('run_id'),
    payload: text('payload').notNull(),
    status: text('status', { enum: webhookDeliveryStatuses }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: text('next_attempt_at'),
    deliveredAt: text('delivered_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('ix_webhook_deliveries_due').on(t.workspaceId, t.status, t.nextAttemptAt),
    index('ix_webhook_deliveries_overdue').on(t.status, t.nextAttemptAt),
    index('ix_webhook_deliveries_run').on(t.webhookId, t.runId, t.status),
    index('ix_webhook_deliveries_created').on(t.webhookId, t.createdAt, t.id),
  ],
);

/** Each try of a delivery: the receiver's answer (or why there was none) and how long it took. */
export const webhookAttempts = sqliteTable(
  'webhook_attempts',
  {
    id: text('id').primaryKey(),
    deliveryId: text('delivery_id').notNull().references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    at: text('at').notNull().default(nowIso),
    statusCode: integer('status_code'),
    latencyMs: integer('latency_ms').notNull(),
    responseExcerpt: text('response_excerpt'),
    error: text('error'),
  },
  (t) => [uniqueIndex('uq_webhook_attempt').on(t.deliveryId, t.attempt)],
);
