// Parses the Worker's configuration once per isolate and reports a bad variable by name.
import { z } from 'zod';
import { createKeyRing, type KeyRing } from './crypto/fernet.ts';
import { LEASE_SECONDS, MIN_LEASE_SECONDS } from './contract/worker.ts';
import { ApiError } from './http/errors.ts';
import type { Env } from './env.ts';

export const DEFAULT_ADMIN_KEY = 'admin';
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Cloudflare accepts request bodies up to 100 MB on every plan. */
export const DEFAULT_MAX_ARTIFACT_BYTES = 100 * 1000 * 1000;

export interface Config {
  keyRing: KeyRing;
  adminKey: string;
  usingDefaultAdminKey: boolean;
  maxBodyBytes: number;
  maxArtifactBytes: number;
  /** How long a claim or heartbeat keeps a run's lease; a worker silent this long loses its runs. */
  leaseSeconds: number;
  /** A worker silent this long is shown offline. */
  workerOfflineSeconds: number;
  /** How long past its timeout, or after a cancel request, a held run may go on before the control plane ends it. */
  backstopGraceSeconds: number;
  /** Whether webhooks may target loopback and private addresses (local receivers under `make run`). */
  webhookAllowPrivate: boolean;
  /** The waits before each retry of a webhook delivery, in seconds; after the last, it has failed. */
  webhookRetrySeconds: number[];
}

export class ConfigError extends Error {
  readonly variable: string;

  // Explicit fields, not parameter properties, so Node can run this file by type stripping (scripts/check-config.ts).
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** A worker silent this long is shown offline (the original's ORCH_WORKER_HEARTBEAT_TIMEOUT). */
export const DEFAULT_WORKER_OFFLINE_SECONDS = 90;
export const DEFAULT_BACKSTOP_GRACE_SECONDS = 60;
/** Standard Webhooks' schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — eight tries over about 28 hours. */
export const DEFAULT_WEBHOOK_RETRY_SECONDS = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

const seconds = (fallback: number) =>
  z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(86_400, 'must be at most 86400').default(fallback);

const envSchema = z.object({
  ORCH_MASTER_KEY: z.string().trim().min(1, 'is not set; generate one with `make run` or scripts/dev-vars.ts'),
  ORCH_DEFAULT_ADMIN_KEY: z.string().trim().min(1, 'must not be empty').default(DEFAULT_ADMIN_KEY),
  ORCH_MAX_BODY_BYTES: z.coerce.number().int('must be a whole number').min(1024, 'must be at least 1024').default(DEFAULT_MAX_BODY_BYTES),
  ORCH_MAX_ARTIFACT_BYTES: z.coerce.number().int('must be a whole number').min(1024, 'must be at least 1024').default(DEFAULT_MAX_ARTIFACT_BYTES),
  ORCH_LEASE_SECONDS: z.coerce
    .number()
    .int('must be a whole number')
    .min(MIN_LEASE_SECONDS, `must be at least ${MIN_LEASE_SECONDS}`)
    .max(3600, 'must be at most 3600')
    .default(LEASE_SECONDS),
  // The original Flight Control's name for it, so its deployments keep their setting.
  ORCH_WORKER_HEARTBEAT_TIMEOUT: seconds(DEFAULT_WORKER_OFFLINE_SECONDS),
  ORCH_BACKSTOP_GRACE_SECONDS: seconds(DEFAULT_BACKSTOP_GRACE_SECONDS),
  ORCH_WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false', '1', '0'], { message: "must be 'true' or 'false'" }).default('false'),
  ORCH_WEBHOOK_RETRY_SECONDS: z
    .string()
    .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'must be a comma-separated list of whole seconds, e.g. 5,300,1800')
    .transform((list) => list.split(',').map(Number))
    .refine((list) => list.length <= 20 && list.every((s) => s <= 7 * 86_400), 'must list at most 20 waits of at most 604800 s')
    .optional(),
});

export async function parseConfig(env: Partial<Record<keyof Env, unknown>>): Promise<Config> {
  const parsed = envSchema.safeParse({
    ORCH_MASTER_KEY: env.ORCH_MASTER_KEY ?? '',
    ORCH_DEFAULT_ADMIN_KEY: env.ORCH_DEFAULT_ADMIN_KEY || undefined,
    ORCH_MAX_BODY_BYTES: env.ORCH_MAX_BODY_BYTES || undefined,
    ORCH_MAX_ARTIFACT_BYTES: env.ORCH_MAX_ARTIFACT_BYTES || undefined,
    ORCH_LEASE_SECONDS: env.ORCH_LEASE_SECONDS || undefined,
    ORCH_WORKER_HEARTBEAT_TIMEOUT: env.ORCH_WORKER_HEARTBEAT_TIMEOUT || undefined,
    ORCH_BACKSTOP_GRACE_SECONDS: env.ORCH_BACKSTOP_GRACE_SECONDS || undefined,
    ORCH_WEBHOOK_ALLOW_PRIVATE: env.ORCH_WEBHOOK_ALLOW_PRIVATE || undefined,
    ORCH_WEBHOOK_RETRY_SECONDS: env.ORCH_WEBHOOK_RETRY_SECONDS || undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(String(issue?.path[0] ?? 'configuration'), issue?.message ?? 'is invalid');
  }
  let keyRing: KeyRing;
  try {
    keyRing = await createKeyRing(parsed.data.ORCH_MASTER_KEY);
  } catch (err) {
    throw new ConfigError('ORCH_MASTER_KEY', err instanceof Error ? err.message : 'is invalid');
  }
  return {
    keyRing,
    adminKey: parsed.data.ORCH_DEFAULT_ADMIN_KEY,
    usingDefaultAdminKey: parsed.data.ORCH_DEFAULT_ADMIN_KEY === DEFAULT_ADMIN_KEY,
    maxBodyBytes: parsed.data.ORCH_MAX_BODY_BYTES,
    maxArtifactBytes: parsed.data.ORCH_MAX_ARTIFACT_BYTES,
    leaseSeconds: parsed.data.ORCH_LEASE_SECONDS,
    workerOfflineSeconds: parsed.data.ORCH_WORKER_HEARTBEAT_TIMEOUT,
    backstopGraceSeconds: parsed.data.ORCH_BACKSTOP_GRACE_SECONDS,
    webhookAllowPrivate: parsed.data.ORCH_WEBHOOK_ALLOW_PRIVATE === 'true' || parsed.data.ORCH_WEBHOOK_ALLOW_PRIVATE === '1',
    webhookRetrySeconds: parsed.data.ORCH_WEBHOOK_RETRY_SECONDS ?? DEFAULT_WEBHOOK_RETRY_SECONDS,
  };
}

// Workers reuse one env object per isolate, so the parse (and key import) happens once.
const cache = new WeakMap<object, Promise<Config>>();
let warnedDefaultKey = false;

export async function loadConfig(env: Env): Promise<Config> {
  let pending = cache.get(env);
  if (!pending) {
    pending = parseConfig(env);
    cache.set(env, pending);
  }
  try {
    const config = await pending;
    if (config.usingDefaultAdminKey && !warnedDefaultKey) {
      warnedDefaultKey = true;
      console.warn('WARNING: ORCH_DEFAULT_ADMIN_KEY is the default "admin"; anyone who can reach this server has full control. Set it in .dev.vars or as a secret.');
    }
    return config;
  } catch (err) {
    cache.delete(env);
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      throw new ApiError(503, 'misconfigured', `Server is misconfigured: ${err.message}`);
    }
    throw err;
  }
}
