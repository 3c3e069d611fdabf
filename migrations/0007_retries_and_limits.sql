-- Retries of failed attempts (a policy per job and run, and when a retried run may be claimed again) and
-- concurrency limits per job and per workspace, which the claim counts held runs against.
ALTER TABLE `job_definitions` ADD `retry` text;--> statement-breakpoint
ALTER TABLE `job_definitions` ADD `max_concurrent_runs` integer;--> statement-breakpoint
ALTER TABLE `job_runs` ADD `retry` text;--> statement-breakpoint
ALTER TABLE `job_runs` ADD `available_at` text;--> statement-breakpoint
CREATE INDEX `ix_job_runs_job_status` ON `job_runs` (`job_definition_id`,`status`);--> statement-breakpoint
ALTER TABLE `workspaces` ADD `max_concurrent_runs` integer;