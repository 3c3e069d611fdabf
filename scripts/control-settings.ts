// The local control plane's ORCH_* settings: .dev.vars, with any of them set in the environment winning.
import type { Env } from '../control/src/env.ts';
import { readDevVars } from './dev-vars-file.ts';

/** Every setting the control plane reads (control/src/env.ts); other ORCH_* variables are the workers'. */
export const CONTROL_SETTINGS = [
  'ORCH_MASTER_KEY',
  'ORCH_DEFAULT_ADMIN_KEY',
  'ORCH_MAX_BODY_BYTES',
  'ORCH_MAX_ARTIFACT_BYTES',
  'ORCH_LEASE_SECONDS',
  'ORCH_WORKER_HEARTBEAT_TIMEOUT',
  'ORCH_BACKSTOP_GRACE_SECONDS',
  'ORCH_LOG_RETENTION_DAYS',
  'ORCH_WEBHOOK_ALLOW_PRIVATE',
  'ORCH_WEBHOOK_RETRY_SECONDS',
] as const satisfies readonly (keyof Env)[];

export type ControlSetting = (typeof CONTROL_SETTINGS)[number];

export interface ControlSettings {
  values: Partial<Record<ControlSetting, string>>;
  /** The settings whose value came from the environment (overriding .dev.vars, if it had them). */
  fromEnvironment: ControlSetting[];
}

/** An empty environment value counts as unset, as it does for the workers' settings. */
export function controlSettings(environment: NodeJS.ProcessEnv = process.env, devVars: Map<string, string> | null = readDevVars()): ControlSettings {
  const values: ControlSettings['values'] = {};
  const fromEnvironment: ControlSetting[] = [];
  for (const name of CONTROL_SETTINGS) {
    const fromEnv = environment[name];
    if (fromEnv) {
      values[name] = fromEnv;
      fromEnvironment.push(name);
      continue;
    }
    const fromFile = devVars?.get(name);
    if (fromFile !== undefined) values[name] = fromFile;
  }
  return { values, fromEnvironment };
}
