// The worker's configuration, parsed once from the environment with errors that name the variable.
import { existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export interface WorkerConfig {
  serverUrl: string;
  apiKey: string;
  workerName: string;
  labels: Record<string, string>;
  workspaceId: string;
  concurrency: number;
  gooseBin: string;
  workRoot: string;
  defaultProvider: string;
  defaultModel: string;
}

export class WorkerConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'WorkerConfigError';
    this.variable = variable;
  }
}

/** `k=v,k2=v2`; whitespace trimmed; an entry without `=` is an error rather than silently ignored. */
export function parseLabels(raw: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of raw.split(',')) {
    const entry = part.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new WorkerConfigError('ORCH_LABELS', `'${entry}' is not key=value`);
    labels[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim();
  }
  return labels;
}

/** The goose binary shipped by the optional npm dependency, else `goose` on PATH. */
function bundledGoose(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidate = join(here, '..', '..', 'node_modules', '@aaif', 'goose-binary-linux-x64', 'bin', 'goose');
  return existsSync(candidate) ? candidate : 'goose';
}

const schema = z.object({
  ORCH_SERVER_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('http://localhost:8080'),
  ORCH_API_KEY: z.string().trim().min(1, 'must not be empty').default('admin'),
  ORCH_WORKER_NAME: z.string().trim().max(128).optional(),
  ORCH_LABELS: z.string().default(''),
  ORCH_WORKSPACE_ID: z.string().trim().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, - or _').default('default'),
  ORCH_CONCURRENCY: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(64).default(1),
  ORCH_GOOSE_BIN: z.string().trim().min(1).optional(),
  ORCH_WORK_DIR: z.string().trim().min(1).optional(),
  ORCH_DEFAULT_PROVIDER: z.string().trim().min(1).default('anthropic'),
  ORCH_DEFAULT_MODEL: z.string().trim().min(1).default('claude-sonnet-4-5'),
});

export function parseWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('ORCH_') && v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WorkerConfigError(String(issue?.path[0] ?? 'configuration'), issue?.message ?? 'is invalid');
  }
  const e = parsed.data;
  return {
    serverUrl: e.ORCH_SERVER_URL.replace(/\/+$/, ''),
    apiKey: e.ORCH_API_KEY,
    workerName: e.ORCH_WORKER_NAME || `worker-${hostname()}`,
    labels: parseLabels(e.ORCH_LABELS),
    workspaceId: e.ORCH_WORKSPACE_ID,
    concurrency: e.ORCH_CONCURRENCY,
    gooseBin: e.ORCH_GOOSE_BIN ?? bundledGoose(),
    workRoot: e.ORCH_WORK_DIR ?? join(tmpdir(), 'flight-control'),
    defaultProvider: e.ORCH_DEFAULT_PROVIDER,
    defaultModel: e.ORCH_DEFAULT_MODEL,
  };
}
