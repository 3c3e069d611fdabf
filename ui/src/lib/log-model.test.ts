import { describe, expect, it } from 'vitest';
import type { LogView } from '../api/types.ts';
import { argumentSummary, blockMatches, kindOf, lineFromHash, lineMatches, LogModel, toolLabel, updateMatches, type ToolBlock } from './log-model.ts';

let seq = 0;
function line(partial: Partial<LogView> & { line: string }): LogView {
  return { sequence: ++seq, stream: 'stdout', attempt: 1, at: '2026-12-02T09:00:00.000Z', event: null, data: null, ...partial };
}
const message = (text: string, id = 'm1') => line({ line: text, event: 'message', data: { id } });
const request = (id: string, name: string, args: unknown) => line({ stream: 'event', line: `▸ ${name} ${JSON.stringify(args)}`, event: 'tool_request', data: { id, name, arguments: args } });
const matching = <T,>(items: readonly T[], matches: (item: T) => boolean) => updateMatches(null, [], 1, items, matches).indices;
const response = (id: string, text: string, status = 'success') => line({ stream: status === 'error' ? 'stderr' : 'stdout', line: text, event: 'tool_response', data: { id, name: 'shell', status } });

describe('LogModel', () => {
  it('joins an assistant message into one block, and starts another for the next message', () => {
    seq = 0;
    const model = new LogModel();
    model.append([message('Hello'), message('there'), message('Next', 'm2')]);
    expect(model.blocks.map((b) => b.kind)).toEqual(['message', 'message']);
    expect(model.blocks[0]).toMatchObject({ first: 1, lines: [{ line: 'Hello' }, { line: 'there' }] });
    expect(model.blockIndex(2)).toBe(0);
    expect(model.blockIndex(3)).toBe(1);
  });

  it('makes each tool call one card holding its output, running until it answers', () => {
    seq = 0;
    const model = new LogModel();
    model.append([message('I will look.'), request('c1', 'developer__shell', { command: 'ls -la' })]);
    const card = model.blocks[1] as ToolBlock;
    expect(card).toMatchObject({ kind: 'tool', name: 'developer__shell', status: 'running', output: [] });
    model.append([response('c1', 'a.txt'), response('c1', 'b.txt'), message('Done.', 'm2')]);
    expect(card.status).toBe('ok');
    expect(card.output.map((l) => l.line)).toEqual(['a.txt', 'b.txt']);
    expect(model.blocks.map((b) => b.kind)).toEqual(['message', 'tool', 'message']);
    // Every line of the card leads to it, for #L links.
    expect(model.blockIndex(4)).toBe(1);
  });

  it('matches responses to their call by id even when calls interleave, and marks a failed one', () => {
    seq = 0;
    const model = new LogModel();
    model.append([request('a', 'shell', { command: 'one' }), request('b', 'shell', { command: 'two' }), response('b', 'two out'), response('a', 'boom', 'error')]);
    const [a, b] = model.blocks as ToolBlock[];
    expect(a).toMatchObject({ status: 'error', error: 'boom', output: [{ line: 'boom' }] });
    expect(b).toMatchObject({ status: 'ok', output: [{ line: 'two out' }] });
  });

  it('keeps errors, the completion, notes and plain output as blocks of their own', () => {
    seq = 0;
    const model = new LogModel();
    model.append([
      line({ stream: 'stderr', line: 'error: rate limited', event: 'error', data: { message: 'rate limited' } }),
      line({ stream: 'event', line: 'complete: 300 tokens', event: 'complete', data: { total_tokens: 300, input_tokens: 240, output_tokens: 60, cost_usd: null } }),
      line({ stream: 'system', line: 'artifact uploaded: report.txt' }),
      line({ stream: 'event', line: '(thinking: 12 chars)', event: 'thinking', data: { chars: 12 } }),
      line({ stream: 'stderr', line: 'goose: starting' }),
    ]);
    expect(model.blocks.map((b) => b.kind)).toEqual(['error', 'complete', 'note', 'note', 'output']);
  });

  it('ignores lines it already holds, so a replay after a reconnect adds nothing twice', () => {
    seq = 0;
    const model = new LogModel();
    const first = [message('a'), message('b')];
    expect(model.append(first)).toBe(2);
    const version = model.version;
    expect(model.append(first)).toBe(0);
    expect(model.version).toBe(version);
    expect(model.append([...first, message('c')])).toBe(1);
    expect(model.lines.map((l) => l.line)).toEqual(['a', 'b', 'c']);
  });

  it('handles a 100,000-line log in well under a second', () => {
    seq = 0;
    const model = new LogModel(100_000);
    const lines = Array.from({ length: 100_000 }, (_, i) => (i % 50 === 0 ? request(`c${i}`, 'shell', { command: `step ${i}` }) : i % 50 < 40 ? response(`c${i - (i % 50)}`, `out ${i}`) : message(`text ${i}`, `m${Math.floor(i / 50)}`)));
    const started = performance.now();
    for (let i = 0; i < lines.length; i += 1_000) model.append(lines.slice(i, i + 1_000));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(model.blocks).toHaveLength(4_000);
    expect(model.lineIndex(77_777)).toBe(77_776);
  });
});

describe('a bounded model', () => {
  /** `cycles` tool calls of ten lines each (the request, eight lines of output, a message). */
  const cycles = (count: number) =>
    Array.from({ length: count }, (_, c) => [request(`c${c}`, 'shell', { command: `step ${c}` }), ...Array.from({ length: 8 }, (_, i) => response(`c${c}`, `out ${c}.${i}`)), message(`done ${c}`, `m${c}`)]).flat();

  it('holds at most its cap and a tenth, letting the oldest lines go at the start of a block', () => {
    seq = 0;
    const model = new LogModel(1_000);
    const lines = cycles(300);
    for (let i = 0; i < lines.length; i += 7) model.append(lines.slice(i, i + 7));
    expect(model.lines.length).toBeGreaterThanOrEqual(1_000);
    expect(model.lines.length).toBeLessThanOrEqual(1_100);
    expect(model.last).toBe(3_000);
    expect(model.notLoaded).toBe(model.first - 1);
    // Held lines run on without a hole, the first held opens a block, and no card lost its head.
    expect(model.lines.every((l, i) => l.sequence === model.first + i)).toBe(true);
    expect(model.blocks[0]!.first).toBe(model.first);
    expect(model.blocks.every((b) => b.kind !== 'tool' || (b.request !== null && b.output.length === 8))).toBe(true);
    // Every held line still leads to its block.
    for (const l of model.lines) expect(model.blocks[model.blockIndex(l.sequence)]!.first).toBeLessThanOrEqual(l.sequence);
  });

  it('cuts inside a block when no block starts near the cut, keeping only its held lines', () => {
    seq = 0;
    const model = new LogModel(100);
    model.append([request('long', 'shell', { command: 'yes' }), ...Array.from({ length: 200 }, (_, i) => response('long', `y ${i}`))]);
    expect(model.lines).toHaveLength(100);
    expect(model.blocks).toHaveLength(1);
    const card = model.blocks[0] as ToolBlock;
    expect(card.request).toBeNull();
    expect(card.first).toBe(102);
    expect(card.output).toHaveLength(100);
    // The call still answers to its id.
    model.append([response('long', 'y 200', 'error')]);
    expect(card.status).toBe('error');
  });

  it('takes earlier lines back in front, grouped into the blocks they belong to', () => {
    seq = 0;
    const model = new LogModel(50);
    const lines = cycles(10);
    model.append(lines);
    expect(model.first).toBeGreaterThan(1);
    const first = model.first;
    model.cap = 1_000;
    expect(model.prepend(lines.slice(20, first - 1))).toBe(first - 21);
    expect(model.first).toBe(21);
    // Lines already held are not taken twice.
    expect(model.prepend(lines.slice(20, 40))).toBe(0);
    expect(model.lines.map((l) => l.sequence)).toEqual(lines.slice(20).map((l) => l.sequence));
    expect(model.blocks.map((b) => b.kind)).toEqual(Array.from({ length: 8 }, () => ['tool', 'message']).flat());
    expect((model.blocks[0] as ToolBlock).output).toHaveLength(8);
  });

  it('brings matches up to date looking only at what came since, and starts again when the filter or the oldest line changes', () => {
    seq = 0;
    const model = new LogModel(1_000);
    const filter = { text: 'out 1', kind: null };
    const key = [filter, 'raw'];
    const lines = cycles(300);
    let looked = 0;
    const matches = (l: LogView) => (looked++, lineMatches(l, filter));
    let m = updateMatches(null, key, model.first, model.lines, matches);
    for (let i = 0; i < 900; i += 90) {
      model.append(lines.slice(i, i + 90));
      m = updateMatches(m, key, model.first, model.lines, matches);
    }
    expect(looked).toBeLessThan(900 + 20);
    expect(m.indices).toEqual(matching(model.lines, (l) => lineMatches(l, filter)));
    model.append(lines.slice(900));
    looked = 0;
    m = updateMatches(m, key, model.first, model.lines, matches);
    expect(looked).toBe(model.lines.length);
    expect(m.indices).toEqual(matching(model.lines, (l) => lineMatches(l, filter)));
    m = updateMatches(m, [{ ...filter }, 'raw'], model.first, model.lines, matches);
    expect(looked).toBe(2 * model.lines.length);
  });
});

describe('filtering', () => {
  it('sorts lines into kinds', () => {
    seq = 0;
    expect(kindOf(message('x'))).toBe('message');
    expect(kindOf(request('a', 'shell', {}))).toBe('tool');
    expect(kindOf(response('a', 'bad', 'error'))).toBe('error');
    expect(kindOf(line({ stream: 'system', line: 'requeued' }))).toBe('system');
    expect(kindOf(line({ stream: 'stderr', line: 'noise' }))).toBe('output');
  });

  it('finds text in any case, and a failed tool call under both tool calls and errors', () => {
    seq = 0;
    const model = new LogModel();
    model.append([message('Looking at the README'), request('a', 'shell', { command: 'cat README' }), response('a', 'no such file', 'error'), message('Giving up', 'm2')]);
    expect(matching(model.blocks, (b) => blockMatches(b, { text: 'readme', kind: null }))).toEqual([0, 1]);
    expect(matching(model.blocks, (b) => blockMatches(b, { text: '', kind: 'error' }))).toEqual([1]);
    expect(matching(model.blocks, (b) => blockMatches(b, { text: '', kind: 'tool' }))).toEqual([1]);
    expect(matching(model.blocks, (b) => blockMatches(b, { text: 'such', kind: 'message' }))).toEqual([]);
    expect(matching(model.lines, (l) => lineMatches(l, { text: '', kind: 'tool' }))).toEqual([1, 2]);
    expect(matching(model.lines, (l) => lineMatches(l, { text: 'GIVING', kind: null }))).toEqual([3]);
  });
});

describe('labels and links', () => {
  it('names a tool without its extension, and summarises its arguments by what matters', () => {
    expect(toolLabel('developer__shell')).toEqual({ tool: 'shell', extension: 'developer' });
    expect(toolLabel('probe__whisper')).toEqual({ tool: 'whisper', extension: 'probe' });
    expect(toolLabel(null).tool).toBe('tool call');
    expect(argumentSummary({ note: 'x', command: 'ls   -la\n/tmp' })).toBe('ls -la /tmp');
    expect(argumentSummary({ path: '/etc/hosts', mode: 'r' })).toBe('/etc/hosts');
    expect(argumentSummary({ count: 3 })).toBe('{"count":3}');
    expect(argumentSummary({ command: 'x'.repeat(200) }, 20)).toHaveLength(20);
  });

  it('reads line links', () => {
    expect(lineFromHash('#L120')).toBe(120);
    expect(lineFromHash('#L')).toBeNull();
    expect(lineFromHash('#top')).toBeNull();
  });
});
