// The Worker's bindings and the context every route handler sees.
import type { AuthContext } from './auth/authenticate.ts';
import type { Config } from './config.ts';

export interface Env {
  DB: D1Database;
  ARTIFACTS: R2Bucket;
  ASSETS?: Fetcher;
  ORCH_MASTER_KEY?: string;
  ORCH_DEFAULT_ADMIN_KEY?: string;
  ORCH_MAX_BODY_BYTES?: string;
}

export type AppEnv = {
  Bindings: Env;
  Variables: { config: Config; auth: AuthContext };
};
