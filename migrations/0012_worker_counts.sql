-- Every start of a worker registers a new one and workers are never deleted, so the offline ones pile
-- up: the counts by status live in worker_counts, kept exact by the triggers below in the same
-- transaction as each change (as run_counts is for runs), instead of being counted over every worker
-- the workspace ever had.
CREATE TABLE `worker_counts` (
	`workspace_id` text NOT NULL,
	`status` text NOT NULL,
	`n` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`workspace_id`, `status`),
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `worker_counts` (`workspace_id`, `status`, `n`)
SELECT `workspace_id`, `status`, COUNT(*) FROM `workers` GROUP BY `workspace_id`, `status`;--> statement-breakpoint
CREATE TRIGGER `worker_counts_on_insert` AFTER INSERT ON `workers`
BEGIN
  INSERT INTO `worker_counts` (`workspace_id`, `status`, `n`) VALUES (NEW.`workspace_id`, NEW.`status`, 1)
  ON CONFLICT (`workspace_id`, `status`) DO UPDATE SET `n` = `n` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `worker_counts_on_status` AFTER UPDATE OF `status` ON `workers` WHEN OLD.`status` IS NOT NEW.`status`
BEGIN
  UPDATE `worker_counts` SET `n` = `n` - 1 WHERE `workspace_id` = OLD.`workspace_id` AND `status` = OLD.`status`;
  INSERT INTO `worker_counts` (`workspace_id`, `status`, `n`) VALUES (NEW.`workspace_id`, NEW.`status`, 1)
  ON CONFLICT (`workspace_id`, `status`) DO UPDATE SET `n` = `n` + 1;
END;--> statement-breakpoint
-- Only an UPDATE when a worker goes: a workspace's deletion removes its counts and its workers together.
CREATE TRIGGER `worker_counts_on_delete` AFTER DELETE ON `workers`
BEGIN
  UPDATE `worker_counts` SET `n` = `n` - 1 WHERE `workspace_id` = OLD.`workspace_id` AND `status` = OLD.`status`;
END;
