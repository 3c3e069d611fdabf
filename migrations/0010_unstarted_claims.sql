-- Claims of a run that no worker started. Each still puts the run back in the queue uncounted, but
-- past a few of them the run fails (never_started) instead of going round for ever.
ALTER TABLE `job_runs` ADD `unstarted_claims` integer DEFAULT 0 NOT NULL;
