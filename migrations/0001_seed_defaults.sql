-- The default workspace, the bootstrap admin user, and its ownership of that workspace.
-- Ids match the original Flight Control's seed so that existing clients keep working.
INSERT OR IGNORE INTO `workspaces` (`id`, `name`, `slug`, `description`) VALUES ('default', 'Default', 'default', 'Default workspace');
--> statement-breakpoint
INSERT OR IGNORE INTO `users` (`id`, `username`, `display_name`) VALUES ('admin', 'admin', 'Admin');
--> statement-breakpoint
INSERT OR IGNORE INTO `workspace_members` (`id`, `workspace_id`, `user_id`, `role`) VALUES ('admin-default', 'default', 'admin', 'owner');
