// The providers goose can use, as the original's dashboard offered them: the key for `--provider`,
// the environment variables its credentials must supply, its models and the default one. Goose
// also accepts model names not listed here.

export interface Provider {
  key: string;
  label: string;
  envVars: string[];
  models: string[];
  defaultModel: string;
}

export const PROVIDERS: Provider[] = [
  {
    key: 'openai',
    label: 'OpenAI',
    envVars: ['OPENAI_API_KEY'],
    models: ['gpt-5.2', 'gpt-5.2-pro', 'gpt-5.1', 'gpt-5', 'gpt-5-pro', 'gpt-5-mini', 'gpt-5-nano', 'gpt-5.2-codex', 'gpt-5.1-codex', 'gpt-5.1-codex-max', 'gpt-5.1-codex-mini', 'gpt-5-codex', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4o', 'gpt-4o-mini', 'o3-pro', 'o3', 'o3-mini', 'o4-mini', 'o1-pro', 'o1'],
    defaultModel: 'gpt-4.1',
  },
  {
    key: 'anthropic',
    label: 'Anthropic',
    envVars: ['ANTHROPIC_API_KEY'],
    models: ['claude-sonnet-4-5', 'claude-sonnet-4-5-20250929', 'claude-opus-4-5', 'claude-opus-4-5-20251101', 'claude-haiku-4-5', 'claude-haiku-4-5-20251001', 'claude-sonnet-4-0', 'claude-sonnet-4-20250514', 'claude-opus-4-0', 'claude-opus-4-20250514'],
    defaultModel: 'claude-sonnet-4-5',
  },
  {
    key: 'google',
    label: 'Google Gemini',
    envVars: ['GOOGLE_API_KEY'],
    models: ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-3-pro-preview', 'gemini-2.0-flash', 'gemini-2.0-flash-lite'],
    defaultModel: 'gemini-2.5-pro',
  },
  {
    key: 'openrouter',
    label: 'OpenRouter',
    envVars: ['OPENROUTER_API_KEY'],
    models: ['anthropic/claude-sonnet-4.5', 'anthropic/claude-sonnet-4', 'anthropic/claude-opus-4.1', 'anthropic/claude-opus-4', 'google/gemini-2.5-pro', 'google/gemini-2.5-flash', 'x-ai/grok-code-fast-1', 'deepseek/deepseek-r1-0528', 'qwen/qwen3-coder', 'moonshotai/kimi-k2'],
    defaultModel: 'anthropic/claude-sonnet-4',
  },
  { key: 'ollama', label: 'Ollama (Local)', envVars: [], models: ['qwen3', 'qwen3-vl', 'qwen3-coder:30b'], defaultModel: 'qwen3' },
  {
    key: 'databricks',
    label: 'Databricks',
    envVars: ['DATABRICKS_HOST', 'DATABRICKS_TOKEN'],
    models: ['databricks-claude-sonnet-4-5', 'databricks-claude-sonnet-4', 'databricks-claude-haiku-4-5', 'databricks-claude-3-7-sonnet', 'databricks-meta-llama-3-3-70b-instruct', 'databricks-meta-llama-3-1-405b-instruct'],
    defaultModel: 'databricks-claude-sonnet-4',
  },
  { key: 'xai', label: 'xAI (Grok)', envVars: ['XAI_API_KEY'], models: ['grok-code-fast-1', 'grok-4-0709', 'grok-3', 'grok-3-fast', 'grok-3-mini', 'grok-3-mini-fast'], defaultModel: 'grok-code-fast-1' },
  {
    key: 'bedrock',
    label: 'AWS Bedrock',
    envVars: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'],
    models: ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'us.anthropic.claude-sonnet-4-20250514-v1:0', 'us.anthropic.claude-opus-4-20250514-v1:0', 'us.anthropic.claude-opus-4-1-20250805-v1:0', 'us.anthropic.claude-3-7-sonnet-20250219-v1:0'],
    defaultModel: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  },
  { key: 'azure', label: 'Azure OpenAI', envVars: ['AZURE_OPENAI_API_KEY', 'AZURE_OPENAI_ENDPOINT'], models: ['gpt-4o', 'gpt-4o-mini', 'gpt-4'], defaultModel: 'gpt-4o' },
  {
    key: 'github-copilot',
    label: 'GitHub Copilot',
    envVars: ['GITHUB_TOKEN'],
    models: ['gpt-4.1', 'gpt-5-mini', 'gpt-5', 'gpt-4o', 'gpt-5-codex', 'grok-code-fast-1', 'claude-sonnet-4', 'claude-sonnet-4.5', 'claude-haiku-4.5', 'gemini-2.5-pro'],
    defaultModel: 'gpt-4.1',
  },
];

export function providerOf(key: string | undefined): Provider | undefined {
  return PROVIDERS.find((p) => p.key === key);
}

/** The credential name the original suggested for an env var: lower-case, '_' as '-'. */
export function credentialNameFor(envVar: string): string {
  return envVar.toLowerCase().replaceAll('_', '-');
}
