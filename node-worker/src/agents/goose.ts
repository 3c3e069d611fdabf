// Goose, headless: `goose run --no-session --output-format stream-json`, configured through a
// config.yaml under a per-run GOOSE_PATH_ROOT (the job's MCP servers become goose extensions there),
// its stream-json events turned into readable log lines, usage and a final answer.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mcpServer, type McpServer } from '../../../control/src/contract/agent.ts';
import { AgentConfigError, type Agent, type AgentOutcome, type AgentOutput, type AgentRun, type Launch, type ParsedLine, type Usage } from './base.ts';

export interface GooseDefaults {
  bin: string;
  provider: string;
  model: string;
}

/** The original worker's default for `agent_config.max_turns` (goose's own is 1000). */
export const DEFAULT_MAX_TURNS = 60;
const DEFAULT_EXTENSION_TIMEOUT_SECONDS = 300;
/** Linux refuses a single argument over 128 KiB; longer prompts go through a file instead of -t. */
const MAX_ARG_BYTES = 100_000;

export class GooseAgent implements Agent {
  readonly type = 'goose';
  private readonly defaults: GooseDefaults;

  constructor(defaults: GooseDefaults) {
    this.defaults = defaults;
  }

  async prepare(run: AgentRun): Promise<Launch> {
    const provider = stringSetting(run.agentConfig, 'provider') ?? this.defaults.provider;
    const model = stringSetting(run.agentConfig, 'model') ?? this.defaults.model;
    const maxTurns = run.agentConfig['max_turns'] ?? DEFAULT_MAX_TURNS;
    if (typeof maxTurns !== 'number' || !Number.isInteger(maxTurns) || maxTurns < 1) throw new AgentConfigError('agent_config.max_turns must be a positive whole number');

    const root = join(run.homeDir, 'goose');
    await mkdir(join(root, 'config'), { recursive: true });
    await writeFile(join(root, 'config', 'config.yaml'), gooseConfigYaml(run.mcpServers), { mode: 0o600 });

    const env = gooseEnv(run);
    requireProviderKey(provider, env);

    const instruction = artifactsInstruction(run.artifactsDir);
    let input = ['-t', run.prompt, '--system', instruction];
    if (Buffer.byteLength(run.prompt) > MAX_ARG_BYTES) {
      // goose ignores --system with -i, so the instruction goes first in the file.
      const file = join(run.homeDir, 'prompt.md');
      await writeFile(file, `${instruction}\n\n${run.prompt}`, { mode: 0o600 });
      input = ['-i', file];
    }
    const args = ['run', '-q', '--no-session', '--output-format', 'stream-json', ...input, '--max-turns', String(maxTurns), '--provider', provider, '--model', model];
    return { command: this.defaults.bin, args, env, output: new GooseOutput() };
  }
}

/** The one thing the agent is told about its surroundings: where to leave the files it produces. */
export function artifactsInstruction(dir: string): string {
  return [
    'You are running inside Flight Control, which runs this task unattended and keeps its results.',
    `Save every file the task produces for its requester (reports, generated files, results) in the directory ${dir}; its path is also in the environment variable FLIGHT_CONTROL_ARTIFACTS_DIR.`,
    "Everything in that directory is uploaded as the run's artifacts when you finish; files anywhere else are deleted with the run.",
  ].join('\n');
}

/**
 * The environment variables each provider cannot work without. goose itself would fail later with
 * advice about keychains and `goose configure`, which means nothing on a worker.
 */
export const PROVIDER_KEYS: Readonly<Record<string, readonly string[]>> = {
  anthropic: ['ANTHROPIC_API_KEY'],
  openai: ['OPENAI_API_KEY'],
  google: ['GOOGLE_API_KEY'],
  openrouter: ['OPENROUTER_API_KEY'],
  xai: ['XAI_API_KEY'],
  groq: ['GROQ_API_KEY'],
};

function requireProviderKey(provider: string, env: Record<string, string>): void {
  const missing = (PROVIDER_KEYS[provider] ?? []).filter((name) => !env[name]);
  if (missing.length === 0) return;
  const names = missing.join(' and ');
  throw new AgentConfigError(
    `provider '${provider}' needs ${names}, which this run does not have. Store the key as a credential whose env_var is ${missing[0]} ` +
      `and name that credential in the run's (or its job's) credential_ids, or set ${names} in the worker's environment.`,
  );
}

function stringSetting(config: Record<string, unknown>, key: string): string | undefined {
  const value = config[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new AgentConfigError(`agent_config.${key} must be a string`);
  return value;
}

/** The agent's environment: the worker's, a private HOME, the job's env and credentials, then goose's own switches. */
export function gooseEnv(run: AgentRun): Record<string, string> {
  const home = join(run.homeDir, 'home');
  return {
    ...run.baseEnv,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    XDG_CACHE_HOME: join(home, '.cache'),
    ...run.env,
    // Everything goose reads and writes (config, sessions, logs) stays in this run's directory.
    GOOSE_PATH_ROOT: join(run.homeDir, 'goose'),
    GOOSE_DISABLE_KEYRING: '1',
    // Otherwise goose spends an extra model call naming a session nobody will see.
    GOOSE_DISABLE_SESSION_NAMING: 'true',
    // approve/smart_approve stop at the first tool call when nobody is there to approve; only chat is a real choice.
    GOOSE_MODE: run.env['GOOSE_MODE'] === 'chat' ? 'chat' : 'auto',
  };
}

/** The `extensions:` map goose reads from config.yaml, one entry per MCP server, keyed by name. */
export function gooseExtensions(servers: Record<string, unknown>[]): Record<string, Record<string, unknown>> {
  const extensions: Record<string, Record<string, unknown>> = {};
  for (const [i, raw] of servers.entries()) {
    const parsed = mcpServer.safeParse(raw);
    if (!parsed.success) throw new AgentConfigError(`mcp_servers[${i}] is invalid: ${parsed.error.issues[0]?.message ?? 'unknown error'}`);
    extensions[parsed.data.name] = extensionEntry(parsed.data);
  }
  return extensions;
}

function extensionEntry(server: McpServer): Record<string, unknown> {
  const common = { enabled: true, name: server.name, description: '', timeout: server.timeout ?? DEFAULT_EXTENSION_TIMEOUT_SECONDS, envs: server.env, env_keys: [] };
  if (server.type === 'stdio') return { ...common, type: 'stdio', cmd: server.command, args: server.args, available_tools: [] };
  return { ...common, type: 'streamable_http', uri: server.uri, headers: server.headers };
}

/** JSON is YAML, and it spares us quoting rules: every value lands in goose exactly as given. */
export function gooseConfigYaml(servers: Record<string, unknown>[]): string {
  return `${JSON.stringify({ extensions: gooseExtensions(servers) }, null, 2)}\n`;
}

interface GooseContent {
  type?: string;
  text?: string;
  toolCall?: { status?: string; value?: { name?: string; arguments?: unknown }; error?: unknown };
  toolResult?: { status?: string; value?: { content?: { type?: string; text?: string }[]; isError?: boolean } | unknown; error?: unknown };
  [key: string]: unknown;
}

interface GooseEvent {
  type?: string;
  message?: { id?: string | null; role?: string; content?: GooseContent[] };
  error?: unknown;
  model?: string;
  mode?: string;
  extension_id?: string;
  [key: string]: unknown;
}

/** Reads goose's stream-json: joins the pieces of each assistant message, and keeps what the outcome needs. */
export class GooseOutput implements AgentOutput {
  /** Assistant text since the last message of another kind; the last non-empty one is the answer. */
  private answer = '';
  private current = '';
  private currentId: string | null | undefined = undefined;
  /** Text not yet logged because its line isn't finished. */
  private pending = '';
  private usage: Usage | null = null;
  private completed = false;
  private readonly errors: string[] = [];
  /** Tool call id → tool name, so a response can say which tool answered. */
  private readonly toolNames = new Map<string, string>();
  private readonly plainStdout: string[] = [];
  private readonly stderrTail: string[] = [];

  parse(stream: 'stdout' | 'stderr', raw: string): ParsedLine[] {
    if (stream === 'stderr') {
      this.stderrTail.push(raw);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
      return [{ stream: 'stderr', text: raw }];
    }
    const event = parseEvent(raw);
    if (!event) {
      if (raw.trim() !== '') this.plainStdout.push(raw);
      return raw.trim() === '' ? [] : [{ stream: 'stdout', text: raw }];
    }
    switch (event.type) {
      case 'message':
        return this.message(event.message ?? {});
      case 'complete': {
        this.completed = true;
        this.usage = {
          input_tokens: count(event['input_tokens']),
          output_tokens: count(event['output_tokens']),
          total_tokens: count(event['total_tokens']),
          cost_usd: typeof event['cost_usd'] === 'number' && event['cost_usd'] >= 0 ? event['cost_usd'] : null,
        };
        const u = this.usage;
        const cost = u.cost_usd === null ? '' : `, $${u.cost_usd.toFixed(4)}`;
        const text = `complete: ${u.total_tokens ?? '?'} tokens (${u.input_tokens ?? '?'} in, ${u.output_tokens ?? '?'} out${cost})`;
        return [...this.endMessage(), { stream: 'event', event: 'complete', data: { ...u }, text }];
      }
      case 'error': {
        const text = describe(event.error);
        this.errors.push(text);
        return [...this.endMessage(), { stream: 'stderr', event: 'error', data: { message: text }, text: `error: ${text}` }];
      }
      case 'notification': {
        const message = notificationText(event);
        return [{ stream: 'event', event: 'notification', data: { extension_id: event.extension_id ?? null, message }, text: `[${event.extension_id ?? 'extension'}] ${message}` }];
      }
      case 'model_change':
        return [{ stream: 'event', event: 'model_change', data: { model: event.model ?? null, mode: event.mode ?? null }, text: `model: ${event.model ?? '?'} (${event.mode ?? '?'})` }];
      default:
        return [{ stream: 'event', event: eventKind(event.type), text: raw }];
    }
  }

  flush(): ParsedLine[] {
    return this.endMessage();
  }

  outcome(exitCode: number | null): AgentOutcome {
    const result = this.finalText();
    if (exitCode === 0 && this.completed && this.errors.length === 0) return { status: 'completed', result, error: null, usage: this.usage };
    let error: string;
    if (this.errors.length > 0) error = this.errors[this.errors.length - 1]!;
    else if (exitCode !== 0) error = lastLines(this.plainStdout.length > 0 ? this.plainStdout : this.stderrTail) || `goose exited with code ${exitCode ?? 'null'}`;
    else error = 'goose ended without reporting completion';
    if (exitCode !== 0) error = `goose exited with code ${exitCode ?? '(signal)'}: ${error}`;
    return { status: 'failed', result, error, usage: this.usage };
  }

  private finalText(): string | null {
    const text = (this.current.trim() !== '' ? this.current : this.answer).trim();
    return text === '' ? null : text;
  }

  private message(message: NonNullable<GooseEvent['message']>): ParsedLine[] {
    const out: ParsedLine[] = [];
    const continues = message.role === 'assistant' && this.currentId !== undefined && message.id === this.currentId;
    if (!continues) out.push(...this.endMessage());
    if (message.role === 'assistant') this.currentId = message.id;
    for (const item of message.content ?? []) {
      if (item.type === 'text' && typeof item.text === 'string') {
        if (message.role === 'assistant') {
          this.current += item.text;
          out.push(...this.takeLines(item.text));
        } else out.push(...lines(item.text).map((text): ParsedLine => ({ stream: 'stdout', text })));
      } else if (item.type === 'toolRequest') {
        out.push(...this.endText());
        const call = item.toolCall?.value;
        const id = typeof item.id === 'string' ? item.id : null;
        if (call) {
          const args = call.arguments === undefined ? '' : ` ${JSON.stringify(call.arguments)}`;
          const name = call.name ?? '?';
          if (id) this.toolNames.set(id, name);
          out.push({ stream: 'event', event: 'tool_request', data: { id, name, arguments: call.arguments ?? null }, text: `▸ ${name}${args}` });
        } else {
          const error = describe(item.toolCall?.error);
          out.push({ stream: 'event', event: 'tool_request', data: { id, name: null, error }, text: `▸ tool call failed: ${error}` });
        }
      } else if (item.type === 'toolResponse') {
        out.push(...toolResponseLines(item, this.toolNames));
      } else if (item.type === 'thinking' || item.type === 'redactedThinking') {
        // Reasoning is the model's scratchpad, not output; its length is enough to show it happened.
        const chars = String(item['thinking'] ?? '').length;
        out.push({ stream: 'event', event: 'thinking', data: { chars }, text: `(thinking: ${chars} chars)` });
      } else if (item.type === 'error') {
        const text = describe(item['error'] ?? item['message'] ?? item);
        this.errors.push(text);
        out.push({ stream: 'stderr', event: 'error', data: { message: text }, text: `error: ${text}` });
      } else {
        out.push({ stream: 'event', event: eventKind(item.type ?? 'content'), text: JSON.stringify(item) });
      }
    }
    return out;
  }

  /** Ends the assistant message being joined: its last partial line is logged, its text kept as a candidate answer. */
  private endMessage(): ParsedLine[] {
    const out = this.endText();
    if (this.current.trim() !== '') this.answer = this.current;
    this.current = '';
    this.currentId = undefined;
    return out;
  }

  private endText(): ParsedLine[] {
    if (this.pending === '') return [];
    const text = this.pending;
    this.pending = '';
    return [this.assistantLine(text)];
  }

  /** Logs assistant text a whole line at a time, however the model split it. */
  private takeLines(piece: string): ParsedLine[] {
    this.pending += piece;
    const parts = this.pending.split('\n');
    this.pending = parts.pop() ?? '';
    return parts.map((text) => this.assistantLine(text));
  }

  /** A line of the assistant's text, naming the message it belongs to, so viewers can join them again. */
  private assistantLine(text: string): ParsedLine {
    return { stream: 'stdout', event: 'message', data: { id: typeof this.currentId === 'string' ? this.currentId : null }, text };
  }
}

/** A tool's answer, line by line; each line names the call it answers and whether the tool failed. */
function toolResponseLines(item: GooseContent, names: Map<string, string>): ParsedLine[] {
  const id = typeof item.id === 'string' ? item.id : null;
  const name = (id && names.get(id)) ?? null;
  const result = item.toolResult;
  if (!result || result.status === 'error') {
    const error = describe(result?.error);
    return [{ stream: 'stderr', event: 'tool_response', data: { id, name, status: 'error', error }, text: `tool error: ${error}` }];
  }
  const value = result.value as { content?: { type?: string; text?: string }[]; isError?: boolean } | undefined;
  const status = value?.isError ? 'error' : 'success';
  const stream = value?.isError ? 'stderr' : 'stdout';
  const out: ParsedLine[] = [];
  for (const content of value?.content ?? []) {
    if (content.type === 'text' && typeof content.text === 'string') {
      out.push(...lines(content.text).map((text): ParsedLine => ({ stream, event: 'tool_response', data: { id, name, status }, text })));
    } else out.push({ stream: 'event', event: 'tool_response', data: { id, name, status, content_type: content.type ?? null }, text: `(${content.type ?? 'unknown'} output)` });
  }
  // A tool that answered with nothing still ends its call.
  if (out.length === 0) out.push({ stream: 'event', event: 'tool_response', data: { id, name, status }, text: `(no output from ${name ?? 'the tool'})` });
  return out;
}

/** An event kind the control plane accepts (`systemNotification` → `system_notification`). */
export function eventKind(type: unknown): string {
  const kind = String(type ?? '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .slice(0, 32);
  return kind || 'other';
}

function parseEvent(raw: string): GooseEvent | null {
  if (!raw.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(raw);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as GooseEvent) : null;
  } catch {
    return null;
  }
}

function notificationText(event: GooseEvent): string {
  const log = event['log'] as { message?: unknown } | undefined;
  if (log && typeof log.message === 'string') return log.message;
  if (event['progress'] !== undefined) return `progress ${JSON.stringify(event['progress'])}`;
  return JSON.stringify(event);
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return 'unknown error';
  if (typeof value === 'object' && 'message' in value && typeof value.message === 'string') return value.message;
  return JSON.stringify(value);
}

function lines(text: string): string[] {
  const all = text.replace(/\r\n/g, '\n').split('\n');
  while (all.length > 1 && all[all.length - 1] === '') all.pop();
  return all;
}

function lastLines(all: string[]): string {
  return all.slice(-5).join('\n').slice(-2_000);
}
