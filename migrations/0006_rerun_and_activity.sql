-- Runs remember the run they re-run, and the overview's hourly outcome counts have an index to read.
ALTER TABLE `job_runs` ADD `rerun_of` text;--> statement-breakpoint
CREATE INDEX `ix_job_runs_workspace_completed` ON `job_runs` (`workspace_id`,`completed_at`);