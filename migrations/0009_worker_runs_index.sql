-- The runs one worker holds: claims, heartbeats and the fleet view ask for them by worker, which
-- otherwise meant reading every held run of every workspace.
CREATE INDEX `ix_job_runs_worker_status` ON `job_runs` (`worker_id`,`status`);