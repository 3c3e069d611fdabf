// The agent form's state and the request bodies built from it: a run (POST /runs) or a job
// (POST and PUT /jobs) from the same fields, and back from a stored job. Kept free of the DOM so the
// rules (what is left out, what defaults apply, which provider keys are missing) are unit-tested.
import type { Job, JobCreate, McpServer, RetryPolicy, Run, RunCreate } from '../api/types.ts';
import { providerOf } from './providers.ts';

export type SkillChoice = 'all' | 'none' | 'chosen';

export interface McpServerForm {
  /** Stable across edits, for list keys; never sent. */
  key: number;
  name: string;
  type: 'stdio' | 'streamable_http';
  command: string;
  /** One argument per line. */
  args: string;
  env: Record<string, string>;
  url: string;
  headers: Record<string, string>;
  /** Seconds, or '' for goose's default. */
  timeout: string;
}

export interface AgentFormState {
  name: string;
  description: string;
  prompt: string;
  /** '' leaves provider and model to the worker's defaults. */
  provider: string;
  model: string;
  maxTurns: string;
  mcpServers: McpServerForm[];
  credentials: string[];
  skills: SkillChoice;
  chosenSkills: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  priority: string;
  timeoutSeconds: string;
  maxAttempts: string;
  /** Retries of a failed, timed-out or lost attempt; '' or '0' for none. */
  retries: string;
  /** Seconds before the first retry; each later one waits twice as long. */
  retryDelay: string;
  /** A job's cap on its runs held at once; '' for none. */
  maxConcurrent: string;
  /** The stored retry policy, so what the form does not show (its outcomes, factor, cap) is kept. */
  retryPolicy: RetryPolicy | null;
  /** agent_config keys the form has no control for, kept as they were. */
  extraConfig: Record<string, unknown>;
}

export const DEFAULTS = { priority: 0, timeoutSeconds: 1800, maxAttempts: 3, retryDelay: 10 } as const;

let nextKey = 1;

export function emptyMcpServer(): McpServerForm {
  return { key: nextKey++, name: '', type: 'stdio', command: '', args: '', env: {}, url: '', headers: {}, timeout: '' };
}

export function emptyAgentForm(): AgentFormState {
  return {
    name: '',
    description: '',
    prompt: '',
    provider: '',
    model: '',
    maxTurns: '',
    mcpServers: [],
    credentials: [],
    skills: 'all',
    chosenSkills: [],
    env: {},
    labels: {},
    priority: String(DEFAULTS.priority),
    timeoutSeconds: String(DEFAULTS.timeoutSeconds),
    maxAttempts: String(DEFAULTS.maxAttempts),
    retries: '',
    retryDelay: String(DEFAULTS.retryDelay),
    maxConcurrent: '',
    retryPolicy: null,
    extraConfig: {},
  };
}

/** The stored backoff (or the defaults) with the form's first wait; the longest wait is never shorter than the first. */
function backoff(stored: RetryPolicy['backoff'] | undefined, initial: number): RetryPolicy['backoff'] {
  const longest = stored?.max_seconds ?? 3600;
  return { factor: stored?.factor ?? 2, initial_seconds: initial, max_seconds: Math.max(longest, initial) };
}

/** The retry policy the form describes: none without retries; otherwise the stored one with the form's count and first wait. */
function retryPolicy(state: AgentFormState): RetryPolicy | null {
  const retries = state.retries.trim();
  if (retries === '' || retries === '0') return null;
  const stored = state.retryPolicy;
  return {
    on: stored?.on ?? ['failed', 'timeout', 'worker_lost'],
    max_attempts: whole(retries, 0) + 1,
    backoff: backoff(stored?.backoff, whole(state.retryDelay, DEFAULTS.retryDelay)),
  };
}

function retryFields(policy: RetryPolicy | null) {
  return { retries: policy ? String(policy.max_attempts - 1) : '', retryDelay: String(policy?.backoff.initial_seconds ?? DEFAULTS.retryDelay), retryPolicy: policy };
}

/** A whole number from a text box; blank means `fallback`. Anything else goes to the API as typed, so its message says what is wrong. */
function whole(text: string, fallback: number): number {
  const trimmed = text.trim();
  return trimmed === '' ? fallback : Number(trimmed);
}

function agentConfig(state: AgentFormState): Record<string, unknown> {
  const config: Record<string, unknown> = { ...state.extraConfig };
  delete config.provider;
  delete config.model;
  delete config.max_turns;
  if (state.provider) config.provider = state.provider;
  if (state.model.trim()) config.model = state.model.trim();
  if (state.maxTurns.trim()) config.max_turns = Number(state.maxTurns.trim());
  return config;
}

function mcpServer(server: McpServerForm): Record<string, unknown> {
  const timeout = server.timeout.trim() ? { timeout: Number(server.timeout.trim()) } : {};
  if (server.type === 'streamable_http') {
    const env = Object.keys(server.env).length > 0 ? { env: server.env } : {};
    return { name: server.name.trim(), type: 'streamable_http', uri: server.url.trim(), headers: server.headers, ...env, ...timeout };
  }
  const args = server.args.split('\n').filter((line) => line.trim() !== '');
  return { name: server.name.trim(), type: 'stdio', command: server.command.trim(), args, env: server.env, ...timeout };
}

function skillIds(state: AgentFormState): string[] | null {
  if (state.skills === 'all') return null;
  if (state.skills === 'none') return [];
  return [...state.chosenSkills];
}

/** The fields a run and a job share, under their wire names. */
function common(state: AgentFormState) {
  return {
    task_prompt: state.prompt,
    agent_type: 'goose' as const,
    agent_config: agentConfig(state),
    mcp_servers: state.mcpServers.map(mcpServer) as McpServer[],
    env_vars: state.env,
    credential_ids: [...state.credentials],
    skill_ids: skillIds(state),
    timeout_seconds: whole(state.timeoutSeconds, DEFAULTS.timeoutSeconds),
    priority: whole(state.priority, DEFAULTS.priority),
    max_attempts: whole(state.maxAttempts, DEFAULTS.maxAttempts),
    retry: retryPolicy(state),
  };
}

/** POST /runs. A blank name is left out, so the API names it. */
export function toRunCreate(state: AgentFormState): Partial<RunCreate> {
  const name = state.name.trim();
  return { ...(name ? { name } : {}), ...common(state), required_labels: state.labels };
}

/** POST /jobs, and PUT /jobs/{id} (every field, so the job becomes what the form shows). */
export function toJobBody(state: AgentFormState): JobCreate {
  const description = state.description.trim();
  const cap = state.maxConcurrent.trim();
  return { name: state.name.trim(), description: description || null, ...common(state), labels: state.labels, max_concurrent_runs: cap === '' ? null : whole(cap, 1) };
}

function serverForm(raw: Record<string, unknown>): McpServerForm {
  const strings = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, string>) : {});
  return {
    key: nextKey++,
    name: String(raw.name ?? ''),
    type: raw.type === 'streamable_http' ? 'streamable_http' : 'stdio',
    command: String(raw.command ?? ''),
    args: Array.isArray(raw.args) ? raw.args.map(String).join('\n') : '',
    env: strings(raw.env),
    url: String(raw.uri ?? ''),
    headers: strings(raw.headers),
    timeout: typeof raw.timeout === 'number' ? String(raw.timeout) : '',
  };
}

function fromStored(source: Pick<Job, 'task_prompt' | 'agent_config' | 'mcp_servers' | 'credential_ids' | 'skill_ids' | 'timeout_seconds' | 'priority' | 'max_attempts' | 'retry'>) {
  const { provider, model, max_turns, ...extraConfig } = source.agent_config;
  const skills = source.skill_ids;
  return {
    prompt: source.task_prompt,
    provider: typeof provider === 'string' ? provider : '',
    model: typeof model === 'string' ? model : '',
    maxTurns: typeof max_turns === 'number' ? String(max_turns) : '',
    mcpServers: source.mcp_servers.map(serverForm),
    credentials: [...source.credential_ids],
    skills: (skills === null ? 'all' : skills.length === 0 ? 'none' : 'chosen') as SkillChoice,
    chosenSkills: skills ? [...skills] : [],
    priority: String(source.priority),
    timeoutSeconds: String(source.timeout_seconds),
    maxAttempts: String(source.max_attempts),
    ...retryFields(source.retry),
    extraConfig,
  };
}

/** The form showing a stored job, to edit it. */
export function formFromJob(job: Job): AgentFormState {
  return {
    ...fromStored(job),
    name: job.name,
    description: job.description ?? '',
    env: { ...job.env_vars },
    labels: { ...job.labels },
    maxConcurrent: job.max_concurrent_runs === null ? '' : String(job.max_concurrent_runs),
  };
}

/** A new run's form with a past run's settings (its env vars are not returned by the API). */
export function formFromRun(run: Run): AgentFormState {
  return { ...fromStored(run), name: run.name, description: '', env: {}, labels: { ...run.required_labels }, maxConcurrent: '' };
}

/**
 * The environment variables the chosen provider needs that none of the chosen credentials supply
 * (by their `env_var`); empty when no provider is chosen or it needs none.
 */
export function missingProviderKeys(state: Pick<AgentFormState, 'provider' | 'credentials'>, credentials: { name: string; env_var: string }[]): string[] {
  const provider = providerOf(state.provider);
  if (!provider) return [];
  const supplied = new Set(credentials.filter((c) => state.credentials.includes(c.name)).map((c) => c.env_var));
  return provider.envVars.filter((v) => !supplied.has(v));
}

/** The agent a job or run uses, in a few words: "OpenAI · gpt-4.1", or the worker's default. */
export function agentSummary(source: Pick<Job, 'agent_config'>): string {
  const { provider, model } = source.agent_config;
  const label = typeof provider === 'string' ? (providerOf(provider)?.label ?? provider) : "Worker's default";
  return typeof model === 'string' ? `${label} · ${model}` : label;
}
