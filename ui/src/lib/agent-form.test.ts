import { describe, expect, it } from 'vitest';
import type { Job } from '../api/types.ts';
import { agentSummary, emptyAgentForm, emptyMcpServer, formFromJob, missingProviderKeys, toJobBody, toRunCreate, type AgentFormState } from './agent-form.ts';

function form(changes: Partial<AgentFormState>): AgentFormState {
  return { ...emptyAgentForm(), prompt: 'Tidy the docs', ...changes };
}

const job: Job = {
  id: 'job_1',
  workspace_id: 'default',
  name: 'Nightly report',
  description: null,
  task_prompt: 'Write the report',
  agent_type: 'goose',
  agent_config: { provider: 'openai', model: 'gpt-4.1', max_turns: 7, temperature: 0.2 },
  mcp_servers: [
    { name: 'probe', type: 'stdio', command: 'node', args: ['probe.js', '--quiet'], env: { PROBE_WORD: 'banana' } },
    { name: 'search', type: 'streamable_http', uri: 'https://mcp.example/search', headers: { Authorization: 'Bearer x' }, timeout: 30 },
  ],
  env_vars: { REGION: 'eu' },
  credential_ids: ['openai'],
  skill_ids: ['fleet-report'],
  labels: { gpu: 'yes' },
  timeout_seconds: 600,
  priority: 5,
  max_attempts: 2,
  retry: { max_attempts: 3, on: ['failed'], backoff: { initial_seconds: 30, factor: 3, max_seconds: 600 } },
  max_concurrent_runs: 2,
  created_at: '2026-12-01T00:00:00Z',
  updated_at: '2026-12-01T00:00:00Z',
};

describe('the agent form', () => {
  it('leaves provider, model and a blank run name to the defaults, and gives every skill unless told', () => {
    const body = toRunCreate(form({}));
    expect(body).not.toHaveProperty('name');
    expect(body.agent_config).toEqual({});
    expect(body.skill_ids).toBeNull();
    expect(body).toMatchObject({ task_prompt: 'Tidy the docs', agent_type: 'goose', timeout_seconds: 1800, priority: 0, max_attempts: 3, required_labels: {}, mcp_servers: [] });
  });

  it('sends the numbers as typed, blank ones as the defaults, so the API judges the rest', () => {
    expect(toRunCreate(form({ priority: ' 10 ', timeoutSeconds: '', maxAttempts: '1' }))).toMatchObject({ priority: 10, timeout_seconds: 1800, max_attempts: 1 });
    expect(toRunCreate(form({ timeoutSeconds: '1.5' })).timeout_seconds).toBe(1.5);
  });

  it('builds stdio servers with one argument per line and HTTP servers with their URL and headers', () => {
    const stdio = { ...emptyMcpServer(), name: 'probe ', command: ' node ', args: 'probe.js\n\n--quiet\n', env: { WORD: 'x' } };
    const http = { ...emptyMcpServer(), name: 'search', type: 'streamable_http' as const, command: 'ignored', url: 'https://mcp.example/search', headers: { Authorization: 'Bearer x' }, timeout: '30' };
    expect(toRunCreate(form({ mcpServers: [stdio, http] })).mcp_servers).toEqual([
      { name: 'probe', type: 'stdio', command: 'node', args: ['probe.js', '--quiet'], env: { WORD: 'x' } },
      { name: 'search', type: 'streamable_http', uri: 'https://mcp.example/search', headers: { Authorization: 'Bearer x' }, timeout: 30 },
    ]);
  });

  it('names the skills: all as null, none as [], or the chosen ones', () => {
    expect(toRunCreate(form({ skills: 'none', chosenSkills: ['a'] })).skill_ids).toEqual([]);
    expect(toRunCreate(form({ skills: 'chosen', chosenSkills: ['a', 'b'] })).skill_ids).toEqual(['a', 'b']);
  });

  it('puts required labels under the wire name of each: required_labels for a run, labels for a job', () => {
    const state = form({ name: 'Docs', labels: { gpu: 'yes' } });
    expect(toRunCreate(state)).toMatchObject({ name: 'Docs', required_labels: { gpu: 'yes' } });
    expect(toJobBody(state)).toMatchObject({ name: 'Docs', labels: { gpu: 'yes' }, description: null });
    expect(toJobBody(state)).not.toHaveProperty('required_labels');
  });

  it('reads a stored job back into the form and builds the same job from it, keeping config it has no control for', () => {
    const state = formFromJob(job);
    expect(state).toMatchObject({ provider: 'openai', model: 'gpt-4.1', maxTurns: '7', skills: 'chosen', chosenSkills: ['fleet-report'], timeoutSeconds: '600' });
    expect(state.mcpServers[0]?.args).toBe('probe.js\n--quiet');
    const { id, workspace_id, created_at, updated_at, ...rest } = job;
    expect(toJobBody(state)).toEqual(rest);
  });

  it('changing the provider drops the old one from the config', () => {
    const state = { ...formFromJob(job), provider: '', model: '' };
    expect(toJobBody(state).agent_config).toEqual({ temperature: 0.2, max_turns: 7 });
  });

  it('finds the provider keys no chosen credential supplies', () => {
    const credentials = [
      { name: 'openai', env_var: 'OPENAI_API_KEY' },
      { name: 'aws-id', env_var: 'AWS_ACCESS_KEY_ID' },
    ];
    expect(missingProviderKeys({ provider: 'openai', credentials: [] }, credentials)).toEqual(['OPENAI_API_KEY']);
    expect(missingProviderKeys({ provider: 'openai', credentials: ['openai'] }, credentials)).toEqual([]);
    expect(missingProviderKeys({ provider: 'bedrock', credentials: ['aws-id', 'openai'] }, credentials)).toEqual(['AWS_SECRET_ACCESS_KEY', 'AWS_REGION']);
    expect(missingProviderKeys({ provider: 'ollama', credentials: [] }, credentials)).toEqual([]);
    expect(missingProviderKeys({ provider: '', credentials: [] }, credentials)).toEqual([]);
    // A chosen name with no credential behind it supplies nothing.
    expect(missingProviderKeys({ provider: 'openai', credentials: ['openai'] }, [])).toEqual(['OPENAI_API_KEY']);
  });

  it('sums up the agent in a few words', () => {
    expect(agentSummary(job)).toBe('OpenAI · gpt-4.1');
    expect(agentSummary({ agent_config: {} })).toBe("Worker's default");
    expect(agentSummary({ agent_config: { provider: 'groq', model: 'llama' } })).toBe('groq · llama');
  });

  it('turns retries into a policy, keeps what the form does not show of a stored one, and caps a job', () => {
    expect(toRunCreate(form({})).retry).toBeNull();
    expect(toRunCreate(form({ retries: '2', retryDelay: '5' })).retry).toEqual({ on: ['failed', 'timeout', 'worker_lost'], max_attempts: 3, backoff: { initial_seconds: 5, factor: 2, max_seconds: 3600 } });
    // A first wait longer than an hour raises the longest wait with it, as the API requires.
    expect(toRunCreate(form({ retries: '1', retryDelay: '7200' })).retry?.backoff).toEqual({ initial_seconds: 7200, factor: 2, max_seconds: 7200 });
    const edited = formFromJob(job);
    expect(edited).toMatchObject({ retries: '2', retryDelay: '30', maxConcurrent: '2' });
    const body = toJobBody({ ...edited, retries: '4' });
    expect(body.retry).toEqual({ on: ['failed'], max_attempts: 5, backoff: { initial_seconds: 30, factor: 3, max_seconds: 600 } });
    expect(body.max_concurrent_runs).toBe(2);
    expect(toJobBody({ ...edited, retries: '0', maxConcurrent: '' })).toMatchObject({ retry: null, max_concurrent_runs: null });
  });
});
