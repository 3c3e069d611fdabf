-- Runs claimed through the original protocol's poll are fenced by their worker's identity (its id
-- and the API key that registered it) rather than by a lease token, which such workers never send.
ALTER TABLE `job_runs` ADD `fencing` text DEFAULT 'token' NOT NULL;--> statement-breakpoint
ALTER TABLE `workers` ADD `key_id` text;
