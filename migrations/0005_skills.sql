-- Skills carry a checksum over their files, and a run records the skills (name and checksum) it was given.
ALTER TABLE `job_runs` ADD `skills` text;--> statement-breakpoint
ALTER TABLE `skills` ADD `checksum_sha256` text DEFAULT '' NOT NULL;