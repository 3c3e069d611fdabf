-- Where a key may act. A worker key, a key made for someone else, and any key made with such a key
-- act only in the workspace they were made in (and in workspaces they create); keys that existed
-- before this migration are held to their workspace too. A worker key also records its maker, and
-- works only while that person is an admin or owner there.
ALTER TABLE `api_keys` ADD `workspace_only` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `created_by` text;--> statement-breakpoint
ALTER TABLE `workspaces` ADD `created_by_key` text;
