// The Worker's bindings and the context every route handler sees.
import type { AuthContext } from './auth/authenticate.ts';
import type { Config } from './config.ts';
import type { RunHub } from './logs/run-hub.ts';
import type { Dispatcher } from './queue/dispatcher.ts';
import type { Scheduler } from './schedules/scheduler.ts';
import type { WorkspaceFeed } from './feed/workspace-feed.ts';
import type { WebhookSender } from './webhooks/sender.ts';

export interface Env {
  DB: D1Database;
  ARTIFACTS: R2Bucket;
  ASSETS?: Fetcher;
  DISPATCHER: DurableObjectNamespace<Dispatcher>;
  RUN_HUB: DurableObjectNamespace<RunHub>;
  SCHEDULER: DurableObjectNamespace<Scheduler>;
  WORKSPACE_FEED: DurableObjectNamespace<WorkspaceFeed>;
  WEBHOOK_SENDER: DurableObjectNamespace<WebhookSender>;
  ORCH_MASTER_KEY?: string;
  ORCH_DEFAULT_ADMIN_KEY?: string;
  ORCH_MAX_BODY_BYTES?: string;
  /** Largest artifact a worker may upload, in bytes (default 100 MB). */
  ORCH_MAX_ARTIFACT_BYTES?: string;
  /** Seconds a claim or heartbeat keeps a run's lease (default 60, at least 5). */
  ORCH_LEASE_SECONDS?: string;
  /** Seconds of silence after which a worker is shown offline (default 90). */
  ORCH_WORKER_HEARTBEAT_TIMEOUT?: string;
  /** Seconds a run may stay held past its timeout, or after a cancel request, before the control plane ends it (default 60). */
  ORCH_BACKSTOP_GRACE_SECONDS?: string;
  /** Days a finished run's log is kept before its run hub deletes it (default 30). */
  ORCH_LOG_RETENTION_DAYS?: string;
  /** `true` lets webhooks target loopback and private addresses (`make run` sets it; default false). */
  ORCH_WEBHOOK_ALLOW_PRIVATE?: string;
  /** Seconds to wait before each retry of a webhook delivery, comma-separated (default 5,300,1800,7200,18000,36000,36000). */
  ORCH_WEBHOOK_RETRY_SECONDS?: string;
}

export type AppEnv = {
  Bindings: Env;
  Variables: { config: Config; auth: AuthContext };
};
