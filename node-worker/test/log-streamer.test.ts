import { describe, expect, it, vi } from 'vitest';
import { MAX_EVENT_DATA_CHARS, WorkerLogBatch, type LogLine } from '../../control/src/contract/worker.ts';
import type { ApiResult } from '../src/client.ts';
import { boundEventData, LogStreamer, splitLine } from '../src/log-streamer.ts';

type Result = ApiResult<{ appended: number; last_sequence: number }>;

/**
 * A control plane stand-in that validates batches with the real contract (422 when it fails), stores
 * lines by sequence as the run hub does, and can be switched off.
 */
function fakeHub() {
  const stored = new Map<number, LogLine>();
  const batches: number[] = [];
  let down = false;
  let lost = false;
  const send = async (lines: LogLine[]): Promise<Result> => {
    await new Promise((r) => setTimeout(r, 1));
    if (lost) return { ok: false, status: 409, code: 'lease_lost', error: 'lost' };
    if (down) return { ok: false, status: 0, code: 'unreachable', error: 'down' };
    const parsed = WorkerLogBatch.safeParse({ lines });
    if (!parsed.success) return { ok: false, status: 422, code: 'validation_failed', error: parsed.error.issues[0]?.message ?? 'invalid' };
    batches.push(lines.length);
    for (const l of lines) if (!stored.has(l.sequence)) stored.set(l.sequence, l);
    return { ok: true, data: { appended: lines.length, last_sequence: 0 } };
  };
  return {
    send,
    stored,
    batches,
    setDown: (v: boolean) => (down = v),
    loseLease: () => (lost = true),
    lines: () => [...stored.values()].sort((a, b) => a.sequence - b.sequence),
  };
}

describe('log streamer', () => {
  it('numbers lines from 1 and delivers them in batches of at most 100', async () => {
    const hub = fakeHub();
    const streamer = new LogStreamer(hub.send);
    for (let i = 0; i < 250; i++) streamer.add('stdout', `line ${i}`);
    expect(await streamer.close()).toEqual({ delivered: true });
    const lines = hub.lines();
    expect(lines.map((l) => l.sequence)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(lines[249]!.line).toBe('line 249');
    expect(hub.batches.length).toBeGreaterThanOrEqual(3);
  });

  it('flushes a quiet trickle within about 100 ms', async () => {
    const hub = fakeHub();
    const streamer = new LogStreamer(hub.send);
    const added = performance.now();
    streamer.add('stderr', 'only one');
    await vi.waitFor(() => expect(hub.lines()).toEqual([{ stream: 'stderr', line: 'only one', sequence: 1 }]), { timeout: 2_000, interval: 10 });
    // Within about 100 ms, with room for a busy machine; the streamer would otherwise wait to close.
    expect(performance.now() - added).toBeLessThan(1_000);
    await streamer.close();
  });

  it('loses and duplicates nothing while the control plane is down for a while', async () => {
    const hub = fakeHub();
    const streamer = new LogStreamer(hub.send);
    for (let i = 0; i < 50; i++) streamer.add('stdout', `before ${i}`);
    await new Promise((r) => setTimeout(r, 150));
    hub.setDown(true);
    for (let i = 0; i < 500; i++) streamer.add('stdout', `during ${i}`);
    await new Promise((r) => setTimeout(r, 500));
    hub.setDown(false);
    for (let i = 0; i < 50; i++) streamer.add('stdout', `after ${i}`);
    expect(await streamer.close(30_000)).toEqual({ delivered: true });
    const lines = hub.lines();
    expect(lines).toHaveLength(600);
    expect(lines.map((l) => l.sequence)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
  });

  it('bounds its buffer and says how many lines it dropped and where', async () => {
    const hub = fakeHub();
    hub.setDown(true);
    const streamer = new LogStreamer(hub.send, { maxBufferedLines: 100 });
    for (let i = 0; i < 1000; i++) streamer.add('stdout', `l${i}`);
    expect(streamer.droppedLines).toBeGreaterThan(0);
    hub.setDown(false);
    await streamer.close(30_000);
    const lines = hub.lines();
    // At most the buffer, one batch that was in flight when the outage began, and the drop markers.
    expect(lines.length).toBeLessThanOrEqual(100 + 100 + 20);
    const markers = lines.filter((l) => l.stream === 'system');
    expect(markers.length).toBeGreaterThan(0);
    expect(markers[0]!.line).toMatch(/\d+ log lines \(sequence \d+-\d+\) were dropped/);
    expect(lines.at(-1)!.line).toBe('l999');
  });

  it('stops and reports once when the lease is lost', async () => {
    const hub = fakeHub();
    let lostCalls = 0;
    const streamer = new LogStreamer(hub.send, { onLeaseLost: () => lostCalls++ });
    hub.loseLease();
    streamer.add('stdout', 'x');
    expect(await streamer.close()).toEqual({ delivered: false });
    expect(streamer.lost).toBe(true);
    expect(lostCalls).toBe(1);
  });

  it('splits very long lines with a marker and never inside a character', () => {
    const parts = splitLine('a'.repeat(9) + '😀' + 'b'.repeat(5), 10);
    expect(parts[0]).toBe('a'.repeat(9) + ' [continued]');
    expect(parts.join('').replaceAll(' [continued]', '')).toBe('a'.repeat(9) + '😀' + 'b'.repeat(5));
    for (const p of parts) expect(p.replace(' [continued]', '').length).toBeLessThanOrEqual(10);
  });

  it('keeps invalid UTF-8 replacement characters and ANSI colour codes intact', async () => {
    const hub = fakeHub();
    const streamer = new LogStreamer(hub.send);
    const line = '\u001b[31mred\u001b[0m \uFFFD';
    streamer.add('stdout', line);
    await streamer.close();
    expect(hub.lines()[0]!.line).toBe(line);
  });

  it('sends event fields with their line, the first part only of a line it splits', async () => {
    const hub = fakeHub();
    const streamer = new LogStreamer(hub.send, { maxLineChars: 10 });
    streamer.add('event', '▸ shell {"command":"ls -la"}', 'tool_request', { id: 'call_1', name: 'shell', arguments: { command: 'ls -la' } });
    await streamer.close();
    const lines = hub.lines();
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[0]).toMatchObject({ event: 'tool_request', data: { id: 'call_1', name: 'shell' } });
    expect(lines.slice(1).every((l) => l.data === undefined && l.event === 'tool_request')).toBe(true);
  });

  it('cuts event fields down to what the control plane accepts, and says it did', () => {
    const big = { id: 'call_1', name: 'write', arguments: { path: 'a.txt', content: 'x'.repeat(100_000) } };
    const bounded = boundEventData(big);
    expect(JSON.stringify(bounded).length).toBeLessThanOrEqual(MAX_EVENT_DATA_CHARS);
    expect(bounded).toMatchObject({ id: 'call_1', name: 'write', truncated: true, arguments: { path: 'a.txt' } });
    const wide = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, 'v'.repeat(100)]));
    expect(JSON.stringify(boundEventData(wide)).length).toBeLessThanOrEqual(MAX_EVENT_DATA_CHARS);
    expect(boundEventData({ small: 1 })).toEqual({ small: 1 });
  });

  it('resends a refused batch without event kinds, then gives up on it with a note, and goes on', async () => {
    const hub = fakeHub();
    const streamer = new LogStreamer(hub.send);
    streamer.add('event', 'odd kind', 'Not-A-Kind');
    streamer.add('stdout', 'after');
    expect(await streamer.close(10_000)).toEqual({ delivered: true });
    expect(hub.lines().map((l) => [l.line, l.event])).toEqual([
      ['odd kind', undefined],
      ['after', undefined],
    ]);

    // A line the control plane refuses however it is sent (longer than it takes) gives way to a note.
    const refusing = fakeHub();
    const second = new LogStreamer(refusing.send, { maxLineChars: 100_000 });
    second.add('stdout', 'y'.repeat(70_000));
    second.add('stdout', 'next');
    expect(await second.close(10_000)).toEqual({ delivered: true });
    const [note, ...rest] = refusing.lines();
    expect(note).toMatchObject({ stream: 'system', sequence: 1 });
    expect(note!.line).toMatch(/^\[flight-control\] 2 log lines \(sequence 1-2\) were refused by the control plane: /);
    expect(rest).toEqual([]);
  });
});
