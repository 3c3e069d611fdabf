-- Webhooks: each event for each webhook that wants it is a delivery row, written by the triggers below
-- in the same statement as the change it tells of (a run's insert or status change, a skipped schedule
-- fire), so no code path can change a run without its deliveries; the WebhookSender sends them.
CREATE TABLE `webhook_attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`delivery_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`status_code` integer,
	`latency_ms` integer NOT NULL,
	`response_excerpt` text,
	`error` text,
	FOREIGN KEY (`delivery_id`) REFERENCES `webhook_deliveries`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `uq_webhook_attempt` ON `webhook_attempts` (`delivery_id`,`attempt`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`webhook_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`event` text NOT NULL,
	`run_id` text,
	`payload` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` text,
	`delivered_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`webhook_id`) REFERENCES `webhooks`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `ix_webhook_deliveries_due` ON `webhook_deliveries` (`workspace_id`,`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `ix_webhook_deliveries_overdue` ON `webhook_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `ix_webhook_deliveries_run` ON `webhook_deliveries` (`webhook_id`,`run_id`,`status`);--> statement-breakpoint
CREATE INDEX `ix_webhook_deliveries_created` ON `webhook_deliveries` (`webhook_id`,`created_at`,`id`);--> statement-breakpoint
ALTER TABLE `webhooks` ADD `description` text;
--> statement-breakpoint
-- A run's public fields as a webhook carries them (never env_vars or any credential value), with the
-- fields the original Flight Control's webhook body had, at the top level, for receivers written for it.
CREATE VIEW `webhook_run_bodies` AS
SELECT r.id, r.workspace_id, r.status,
       json_object(
         'type', CASE r.status WHEN 'running' THEN 'run.started' ELSE 'run.' || r.status END,
         'timestamp', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
         'data', json_object(
           'id', r.id, 'workspace_id', r.workspace_id, 'job_definition_id', r.job_definition_id, 'name', r.name,
           'status', r.status, 'attempt', r.attempt, 'max_attempts', r.max_attempts, 'worker_id', r.worker_id,
           'priority', r.priority, 'task_prompt', r.task_prompt, 'required_labels', json(r.required_labels),
           'result', r.result, 'exit_code', r.exit_code, 'failure_reason', r.failure_reason,
           'input_tokens', r.input_tokens, 'output_tokens', r.output_tokens, 'total_tokens', r.total_tokens,
           'cost_usd', CAST(r.cost_usd AS REAL), 'available_at', r.available_at, 'rerun_of', r.rerun_of,
           'schedule_id', r.schedule_id, 'scheduled_for', r.scheduled_for, 'started_at', r.started_at,
           'completed_at', r.completed_at, 'created_at', r.created_at, 'updated_at', r.updated_at),
         'run_id', r.id, 'job_id', r.job_definition_id, 'status', r.status, 'exit_code', r.exit_code,
         'started_at', r.started_at, 'completed_at', r.completed_at,
         'duration_seconds', CASE WHEN r.started_at IS NOT NULL AND r.completed_at IS NOT NULL
                                  THEN round((julianday(r.completed_at) - julianday(r.started_at)) * 86400.0, 3) END
       ) AS body,
       CASE r.status WHEN 'running' THEN 'run.started' ELSE 'run.' || r.status END AS event
  FROM job_runs r;
--> statement-breakpoint
-- One delivery row for each enabled webhook that wants a run's current event.
CREATE VIEW `webhook_run_fanout` AS
SELECT 'msg_' || lower(hex(randomblob(12))) AS id, w.id AS webhook_id, w.workspace_id, b.event, b.id AS run_id, b.body AS payload,
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS next_attempt_at
  FROM webhook_run_bodies b JOIN webhooks w ON w.workspace_id = b.workspace_id
 WHERE w.enabled = 1 AND EXISTS (SELECT 1 FROM json_each(w.events) e WHERE e.value = b.event);
--> statement-breakpoint
CREATE TRIGGER `webhooks_run_queued` AFTER INSERT ON `job_runs`
BEGIN
  INSERT INTO webhook_deliveries (id, webhook_id, workspace_id, event, run_id, payload, next_attempt_at)
  SELECT * FROM webhook_run_fanout WHERE run_id = NEW.id;
END;
--> statement-breakpoint
CREATE TRIGGER `webhooks_run_status` AFTER UPDATE OF `status` ON `job_runs`
WHEN NEW.status <> OLD.status AND NEW.status <> 'assigned'
BEGIN
  INSERT INTO webhook_deliveries (id, webhook_id, workspace_id, event, run_id, payload, next_attempt_at)
  SELECT * FROM webhook_run_fanout WHERE run_id = NEW.id;
END;
--> statement-breakpoint
CREATE TRIGGER `webhooks_schedule_skipped` AFTER INSERT ON `schedule_fires`
WHEN NEW.outcome = 'skipped'
BEGIN
  INSERT INTO webhook_deliveries (id, webhook_id, workspace_id, event, run_id, payload, next_attempt_at)
  SELECT 'msg_' || lower(hex(randomblob(12))), w.id, w.workspace_id, 'schedule.skipped', NULL,
         json_object('type', 'schedule.skipped', 'timestamp', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                     'data', json_object('schedule_id', NEW.schedule_id, 'workspace_id', NEW.workspace_id,
                                         'job_definition_id', s.job_definition_id, 'scheduled_for', NEW.scheduled_for,
                                         'reason', NEW.reason, 'previous_run_id', s.last_run_id)),
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    FROM webhooks w JOIN schedules s ON s.id = NEW.schedule_id
   WHERE w.workspace_id = NEW.workspace_id AND w.enabled = 1
     AND EXISTS (SELECT 1 FROM json_each(w.events) e WHERE e.value = 'schedule.skipped');
END;
