// Validates the local control plane's configuration before start, naming the bad variable in one line.
import { ConfigError, parseConfig } from '../control/src/config.ts';
import type { Env } from '../control/src/env.ts';
import { DEV_VARS_SHOWN, readDevVars } from './dev-vars-file.ts';

const VARIABLES = [
  'ORCH_MASTER_KEY',
  'ORCH_DEFAULT_ADMIN_KEY',
  'ORCH_MAX_BODY_BYTES',
  'ORCH_MAX_ARTIFACT_BYTES',
  'ORCH_LEASE_SECONDS',
  'ORCH_WORKER_HEARTBEAT_TIMEOUT',
  'ORCH_BACKSTOP_GRACE_SECONDS',
] as const satisfies readonly (keyof Env)[];

const fromFile = readDevVars() ?? new Map<string, string>();
const env: Partial<Record<keyof Env, string>> = {};
for (const name of VARIABLES) {
  const fileValue = fromFile.get(name);
  const envValue = process.env[name] || undefined;
  // wrangler dev takes the Worker's secrets from .dev.vars only, so we validate what it will really use.
  if (envValue !== undefined && envValue !== fileValue) {
    console.warn(`check-config: ignoring ${name} from the environment; wrangler dev reads it only from ${DEV_VARS_SHOWN}.`);
  }
  if (fileValue !== undefined) env[name] = fileValue;
}

try {
  const config = await parseConfig(env);
  if (config.usingDefaultAdminKey) {
    const bar = '!'.repeat(78);
    console.warn(
      [
        bar,
        '!! WARNING: the admin key is the default "admin". Anyone who can reach this server has full control.',
        `!! Set ORCH_DEFAULT_ADMIN_KEY in ${DEV_VARS_SHOWN} before exposing it beyond this machine.`,
        bar,
      ].join('\n'),
    );
  }
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`configuration error: ${err.message} (set ${err.variable} in ${DEV_VARS_SHOWN})`);
  process.exit(1);
}
