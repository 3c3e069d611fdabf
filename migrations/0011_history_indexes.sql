-- A workspace's history of finished runs grows for good (only their logs expire). The run lists
-- filtered by status or by job read their own index, newest first, instead of walking every run of
-- the workspace; and the counts by status live in run_counts, kept exact by the triggers below in
-- the same transaction as each change, instead of being counted over the whole history. Workers are
-- never deleted either: the fleet is found by status among them.
CREATE TABLE `run_counts` (
	`workspace_id` text NOT NULL,
	`status` text NOT NULL,
	`n` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`workspace_id`, `status`),
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
DROP INDEX `ix_job_runs_workspace_status`;--> statement-breakpoint
DROP INDEX `ix_job_runs_job`;--> statement-breakpoint
DROP INDEX `ix_job_runs_job_status`;--> statement-breakpoint
CREATE INDEX `ix_job_runs_workspace_status_created` ON `job_runs` (`workspace_id`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `ix_job_runs_job_created` ON `job_runs` (`job_definition_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `ix_job_runs_job_status_created` ON `job_runs` (`job_definition_id`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `ix_workers_workspace_status_created` ON `workers` (`workspace_id`,`status`,`created_at`,`id`);
--> statement-breakpoint
INSERT INTO `run_counts` (`workspace_id`, `status`, `n`)
SELECT `workspace_id`, `status`, COUNT(*) FROM `job_runs` GROUP BY `workspace_id`, `status`;--> statement-breakpoint
CREATE TRIGGER `run_counts_on_insert` AFTER INSERT ON `job_runs`
BEGIN
  INSERT INTO `run_counts` (`workspace_id`, `status`, `n`) VALUES (NEW.`workspace_id`, NEW.`status`, 1)
  ON CONFLICT (`workspace_id`, `status`) DO UPDATE SET `n` = `n` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `run_counts_on_status` AFTER UPDATE OF `status` ON `job_runs` WHEN OLD.`status` IS NOT NEW.`status`
BEGIN
  UPDATE `run_counts` SET `n` = `n` - 1 WHERE `workspace_id` = OLD.`workspace_id` AND `status` = OLD.`status`;
  INSERT INTO `run_counts` (`workspace_id`, `status`, `n`) VALUES (NEW.`workspace_id`, NEW.`status`, 1)
  ON CONFLICT (`workspace_id`, `status`) DO UPDATE SET `n` = `n` + 1;
END;--> statement-breakpoint
-- Only an UPDATE when a run goes: a workspace's deletion removes its counts and its runs together.
CREATE TRIGGER `run_counts_on_delete` AFTER DELETE ON `job_runs`
BEGIN
  UPDATE `run_counts` SET `n` = `n` - 1 WHERE `workspace_id` = OLD.`workspace_id` AND `status` = OLD.`status`;
END;
