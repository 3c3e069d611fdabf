-- Schedules fire: each instant a schedule fires at (or skips) is recorded once in schedule_fires, runs
-- remember the schedule and instant that created them, and schedules say what to do about missed
-- instants and about a previous run still active.
CREATE TABLE `schedule_fires` (
	`id` text PRIMARY KEY NOT NULL,
	`schedule_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`scheduled_for` text NOT NULL,
	`fired_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`outcome` text NOT NULL,
	`reason` text,
	`run_id` text,
	FOREIGN KEY (`schedule_id`) REFERENCES `schedules`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `uq_schedule_fire` ON `schedule_fires` (`schedule_id`,`scheduled_for`);--> statement-breakpoint
CREATE INDEX `ix_schedule_fires_recent` ON `schedule_fires` (`schedule_id`,`fired_at`);--> statement-breakpoint
ALTER TABLE `job_runs` ADD `schedule_id` text;--> statement-breakpoint
ALTER TABLE `job_runs` ADD `scheduled_for` text;--> statement-breakpoint
CREATE INDEX `ix_job_runs_schedule` ON `job_runs` (`schedule_id`,`status`);--> statement-breakpoint
ALTER TABLE `schedules` ADD `misfire` text DEFAULT 'run_once' NOT NULL;--> statement-breakpoint
ALTER TABLE `schedules` ADD `overlap` text DEFAULT 'allow' NOT NULL;--> statement-breakpoint
CREATE INDEX `ix_schedules_workspace_due` ON `schedules` (`workspace_id`,`enabled`,`next_run_at`);