// How a run's log reads in the terminal: tool calls and their outcomes one line each, in order.
import { describe, expect, it } from 'vitest';
import { paint } from '../src/output.ts';
import { Transcript, type LogLine } from '../src/transcript.ts';

let sequence = 0;
const line = (stream: LogLine['stream'], text: string, event: string | null = null, data: Record<string, unknown> | null = null): LogLine => ({
  sequence: ++sequence,
  attempt: 1,
  stream,
  line: text,
  at: '2026-12-02T10:00:00.000Z',
  event,
  data,
});

function render(lines: LogLine[], options: { raw?: boolean; color?: boolean } = {}): string {
  let text = '';
  const transcript = new Transcript(paint(options.color ?? false), (t) => (text += t), options);
  lines.forEach((l) => transcript.push(l));
  transcript.flush();
  return text;
}

describe('transcript', () => {
  it('shows a tool call with its arguments, then one line of outcome once its output has all come', () => {
    const call = { id: 'c1', name: 'shell' };
    let shown = '';
    const transcript = new Transcript(paint(false), (t) => (shown += t));
    transcript.push(line('event', '▸ shell {"command":"ls"}', 'tool_request', { ...call, arguments: { command: 'ls', timeout: 5 } }));
    transcript.push(line('stdout', 'a.txt', 'tool_response', { ...call, status: 'success' }));
    transcript.push(line('stdout', 'b.txt', 'tool_response', { ...call, status: 'success' }));
    // The outcome waits: more output of the same call may still come.
    expect(shown).toBe('▸ shell command="ls" timeout=5\n');
    transcript.push(line('stdout', 'Two files.', 'message', { id: 'm1' }));
    expect(shown).toBe('▸ shell command="ls" timeout=5\n  ✓ a.txt (+1 more line)\nTwo files.\n');
  });

  it('shows a failed tool call, an agent error and stderr in red, notes dimmed, usage left to the closing line', () => {
    const text = render(
      [
        line('system', 'attempt 1/1: starting goose (…\nsecond line of the note)'),
        line('event', '▸ shell', 'tool_request', { id: 'c2', name: 'shell', arguments: { command: 'false' } }),
        line('stderr', 'tool error: exit 1', 'tool_response', { id: 'c2', name: 'shell', status: 'error', error: 'exit 1' }),
        line('stderr', 'error: the model refused', 'error', { message: 'the model refused' }),
        line('event', 'complete: 300 tokens', 'complete', { total_tokens: 300 }),
      ],
      { color: true },
    );
    expect(text.split('\n')).toEqual([
      '\u001b[2mattempt 1/1: starting goose (… …\u001b[22m',
      '\u001b[36m▸ shell command="false"\u001b[39m',
      '\u001b[31m  ✗ exit 1\u001b[39m',
      '\u001b[31merror: the model refused\u001b[39m',
      '',
    ]);
  });

  it('--raw prints every stored line as [stream] line', () => {
    const lines = [line('system', 'note'), line('event', '▸ shell {}', 'tool_request', { id: 'c3', name: 'shell', arguments: {} }), line('stdout', 'out', 'tool_response', { id: 'c3' })];
    expect(render(lines, { raw: true })).toBe('[system] note\n[event] ▸ shell {}\n[stdout] out\n');
  });
});
