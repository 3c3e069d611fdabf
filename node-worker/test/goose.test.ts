import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentRun } from '../src/agents/base.ts';
import { AgentConfigError } from '../src/agents/base.ts';
import { artifactsInstruction, eventKind, GooseAgent, GooseOutput } from '../src/agents/goose.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function runIn(overrides: Partial<AgentRun> = {}): AgentRun {
  const homeDir = mkdtempSync(join(tmpdir(), 'fc-goose-'));
  dirs.push(homeDir);
  const baseEnv = { PATH: '/usr/bin', ANTHROPIC_API_KEY: 'sk-a', OPENAI_API_KEY: 'sk-o' };
  return { runId: 'r1', prompt: 'do it', agentConfig: {}, mcpServers: [], env: {}, homeDir, workDir: homeDir, artifactsDir: '/runs/r1/artifacts', baseEnv, ...overrides };
}

const agent = new GooseAgent({ bin: '/opt/goose', provider: 'anthropic', model: 'claude-x' });

const assistant = (id: string, text: string) => JSON.stringify({ type: 'message', message: { id, role: 'assistant', content: [{ type: 'text', text }] } });

describe('GooseAgent.prepare', () => {
  it('runs goose headless with the job settings over the worker defaults', async () => {
    const launch = await agent.prepare(runIn({ agentConfig: { provider: 'openai', max_turns: 7 } }));
    expect(launch.command).toBe('/opt/goose');
    expect(launch.args).toEqual([
      'run', '-q', '--no-session', '--output-format', 'stream-json', '-t', 'do it', '--system', artifactsInstruction('/runs/r1/artifacts'),
      '--max-turns', '7', '--provider', 'openai', '--model', 'claude-x',
    ]);
  });

  it('tells the agent, in its system instructions, the directory whose files become the run\'s artifacts', async () => {
    const launch = await agent.prepare(runIn());
    const system = launch.args[launch.args.indexOf('--system') + 1];
    expect(system).toContain('/runs/r1/artifacts');
    expect(system).toContain('FLIGHT_CONTROL_ARTIFACTS_DIR');
    // A prompt too long for argv goes through a file, where goose ignores --system: the instruction leads the file.
    const long = runIn({ prompt: 'x'.repeat(200_000) });
    const fromFile = await agent.prepare(long);
    expect(fromFile.args).not.toContain('--system');
    const text = readFileSync(fromFile.args[fromFile.args.indexOf('-i') + 1]!, 'utf8');
    expect(text.startsWith(artifactsInstruction('/runs/r1/artifacts'))).toBe(true);
    expect(text.endsWith('x'.repeat(200_000))).toBe(true);
  });

  it('refuses to start a provider without its key, naming the provider, the variable and how to supply it', async () => {
    const keyless = { PATH: '/usr/bin' };
    const error = await agent.prepare(runIn({ baseEnv: keyless, agentConfig: { provider: 'anthropic' } })).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AgentConfigError);
    expect((error as Error).message).toMatch(/provider 'anthropic' needs ANTHROPIC_API_KEY/);
    expect((error as Error).message).toMatch(/credential whose env_var is ANTHROPIC_API_KEY.*credential_ids/);
    // The key may come from the worker's own environment, and providers without keys need none.
    await expect(agent.prepare(runIn({ baseEnv: keyless, env: { ANTHROPIC_API_KEY: 'sk-c' } }))).resolves.toBeDefined();
    await expect(agent.prepare(runIn({ baseEnv: { ANTHROPIC_API_KEY: 'sk-w' } }))).resolves.toBeDefined();
    await expect(agent.prepare(runIn({ baseEnv: keyless, agentConfig: { provider: 'ollama' } }))).resolves.toBeDefined();
  });

  it('allows 60 turns unless the job says otherwise, as the original did', async () => {
    const launch = await agent.prepare(runIn());
    expect(launch.args.slice(launch.args.indexOf('--max-turns'), launch.args.indexOf('--max-turns') + 2)).toEqual(['--max-turns', '60']);
  });

  it('isolates goose in the run directory and keeps it in auto mode', async () => {
    const run = runIn({ env: { OPENAI_HOST: 'http://x', GOOSE_MODE: 'approve', HOME: '/root' } });
    const { env } = await agent.prepare(run);
    expect(env).toMatchObject({ PATH: '/usr/bin', OPENAI_HOST: 'http://x', GOOSE_MODE: 'auto', GOOSE_PATH_ROOT: join(run.homeDir, 'goose'), GOOSE_DISABLE_SESSION_NAMING: 'true' });
    // A job may set HOME for its tools; goose's own state still stays under GOOSE_PATH_ROOT.
    expect(env['HOME']).toBe('/root');
    expect((await agent.prepare(runIn())).env['HOME']).toMatch(/fc-goose-.*\/home$/);
  });

  it('writes the MCP servers as goose extensions in config.yaml', async () => {
    const run = runIn({
      mcpServers: [
        { name: 'files', command: 'npx', args: ['-y', 'server'], env: { TOKEN: 'x' } },
        { name: 'remote', type: 'streamable_http', uri: 'https://mcp.example.test/mcp', headers: { Authorization: 'Bearer y' }, timeout: 30 },
      ],
    });
    await agent.prepare(run);
    const config = JSON.parse(readFileSync(join(run.homeDir, 'goose', 'config', 'config.yaml'), 'utf8'));
    expect(config.extensions.files).toEqual({ enabled: true, name: 'files', description: '', timeout: 300, envs: { TOKEN: 'x' }, env_keys: [], type: 'stdio', cmd: 'npx', args: ['-y', 'server'], available_tools: [] });
    expect(config.extensions.remote).toMatchObject({ enabled: true, type: 'streamable_http', uri: 'https://mcp.example.test/mcp', headers: { Authorization: 'Bearer y' }, timeout: 30 });
  });

  it('refuses a malformed MCP server or max_turns with a message naming it', async () => {
    await expect(agent.prepare(runIn({ mcpServers: [{ name: 'bad name!', command: 'x' }] }))).rejects.toThrow(/mcp_servers\[0\]/);
    await expect(agent.prepare(runIn({ agentConfig: { max_turns: 0 } }))).rejects.toBeInstanceOf(AgentConfigError);
  });

});

describe('GooseOutput', () => {
  it('joins streamed pieces into whole log lines and takes the last assistant message as the result', () => {
    const out = new GooseOutput();
    const lines = [
      ...out.parse('stdout', JSON.stringify({ type: 'message', message: { id: 'a', role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }, { type: 'toolRequest', id: 't', toolCall: { status: 'success', value: { name: 'shell', arguments: { command: 'ls' } } } }] } })),
      ...out.parse('stdout', JSON.stringify({ type: 'message', message: { id: 'u', role: 'user', content: [{ type: 'toolResponse', id: 't', toolResult: { status: 'success', value: { content: [{ type: 'text', text: 'a.txt\nb.txt\n' }], isError: false } } }] } })),
      ...out.parse('stdout', assistant('b', 'Two files:\n- a.t')),
      ...out.parse('stdout', assistant('b', 'xt\n- b.txt')),
      ...out.parse('stdout', JSON.stringify({ type: 'complete', total_tokens: 30, input_tokens: 20, output_tokens: 10, cost_usd: 0.0012 })),
    ];
    expect(lines.map((l) => `${l.stream}|${l.text}`)).toEqual([
      'stdout|Let me look.',
      'event|▸ shell {"command":"ls"}',
      'stdout|a.txt',
      'stdout|b.txt',
      'stdout|Two files:',
      'stdout|- a.txt',
      'stdout|- b.txt',
      'event|complete: 30 tokens (20 in, 10 out, $0.0012)',
    ]);
    // Each line names its structured event, with the fields a viewer needs to rebuild it.
    expect(lines.map((l) => [l.event, l.data])).toEqual([
      ['message', { id: 'a' }],
      ['tool_request', { id: 't', name: 'shell', arguments: { command: 'ls' } }],
      ['tool_response', { id: 't', name: 'shell', status: 'success' }],
      ['tool_response', { id: 't', name: 'shell', status: 'success' }],
      ['message', { id: 'b' }],
      ['message', { id: 'b' }],
      ['message', { id: 'b' }],
      ['complete', { input_tokens: 20, output_tokens: 10, total_tokens: 30, cost_usd: 0.0012 }],
    ]);
    expect(out.outcome(0)).toEqual({
      status: 'completed',
      result: 'Two files:\n- a.txt\n- b.txt',
      error: null,
      usage: { input_tokens: 20, output_tokens: 10, total_tokens: 30, cost_usd: 0.0012 },
    });
  });

  it('fails on error events even when goose exits 0, and on a non-zero exit with the error it printed', () => {
    const errored = new GooseOutput();
    errored.parse('stdout', JSON.stringify({ type: 'error', error: 'Authentication failed (401)' }));
    expect(errored.outcome(1)).toMatchObject({ status: 'failed', error: 'goose exited with code 1: Authentication failed (401)' });

    const plain = new GooseOutput();
    plain.parse('stdout', 'No provider configured. Run goose configure first');
    expect(plain.outcome(1)).toMatchObject({ status: 'failed', error: 'goose exited with code 1: No provider configured. Run goose configure first' });
  });

  it('fails when goose exits 0 without reporting completion', () => {
    const out = new GooseOutput();
    out.parse('stdout', assistant('a', 'half an answer'));
    expect(out.outcome(0)).toMatchObject({ status: 'failed', result: 'half an answer', error: 'goose ended without reporting completion' });
  });

  it('names the call a failed tool answers, and gives event kinds goose spells otherwise the form the control plane takes', () => {
    const out = new GooseOutput();
    out.parse('stdout', JSON.stringify({ type: 'message', message: { id: 'a', role: 'assistant', content: [{ type: 'toolRequest', id: 't9', toolCall: { status: 'success', value: { name: 'developer__shell', arguments: { command: 'false' } } } }] } }));
    const failed = out.parse('stdout', JSON.stringify({ type: 'message', message: { id: 'u', role: 'user', content: [{ type: 'toolResponse', id: 't9', toolResult: { status: 'error', error: 'exit 1' } }] } }));
    expect(failed).toEqual([{ stream: 'stderr', event: 'tool_response', data: { id: 't9', name: 'developer__shell', status: 'error', error: 'exit 1' }, text: 'tool error: exit 1' }]);
    const odd = out.parse('stdout', JSON.stringify({ type: 'message', message: { id: 'a2', role: 'assistant', content: [{ type: 'systemNotification', msg: 'hi' }] } }));
    expect(odd.map((l) => l.event)).toEqual(['system_notification']);
    expect(eventKind('Weird-Type 2')).toBe('weird_type_2');
    expect(eventKind('42')).toBe('other');
  });

  it('logs lines it cannot parse as they are, and stderr as stderr', () => {
    const out = new GooseOutput();
    expect(out.parse('stdout', 'not json')).toEqual([{ stream: 'stdout', text: 'not json' }]);
    expect(out.parse('stderr', 'warning: x')).toEqual([{ stream: 'stderr', text: 'warning: x' }]);
  });
});
