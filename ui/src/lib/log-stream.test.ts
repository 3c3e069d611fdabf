// Reading back lines the viewer let go, against a stand-in log API: page by page up to what was
// asked for, stopping at the log's end.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LogView } from '../api/types.ts';
import { signIn } from '../state/session.ts';
import { readRunLog } from './log-stream.ts';

const ME = { id: 'u1', username: 'alice', display_name: null, created_at: '2026-01-01T00:00:00.000Z', role: 'member' as const, workspace_id: 'team' };
const line = (sequence: number): LogView => ({ sequence, stream: 'stdout', line: `line ${sequence}`, attempt: 1, at: '2026-12-02T09:00:00.000Z', event: null, data: null });

/** A stored log of `total` lines, served as the API does: after `after`, at most `limit` (≤ 10,000). */
function storedLog(total: number) {
  return vi.fn(async (url: string) => {
    const query = new URL(url, 'http://x').searchParams;
    const after = Number(query.get('after'));
    const limit = Number(query.get('limit'));
    if (limit > 10_000) return new Response(JSON.stringify({ detail: 'limit too large' }), { status: 422 });
    const lines = Array.from({ length: Math.max(0, Math.min(limit, total - after)) }, (_, i) => line(after + 1 + i));
    return new Response(JSON.stringify(lines), { status: 200, headers: { 'Content-Type': 'application/json' } });
  });
}

beforeEach(() => signIn('fc_key', 'team', false, ME));
afterEach(() => vi.unstubAllGlobals());

describe('readRunLog', () => {
  it('reads more than one page of lines, in order, each page within what the API serves', async () => {
    const fetch = storedLog(100_000);
    vi.stubGlobal('fetch', fetch);
    const lines = await readRunLog('r1', 20, 25_000);
    expect(lines).toHaveLength(25_000);
    expect(lines[0]!.sequence).toBe(21);
    expect(lines.every((l, i) => l.sequence === 21 + i)).toBe(true);
    expect(fetch.mock.calls.map(([url]) => new URL(url, 'http://x').search)).toEqual(['?after=20&limit=10000', '?after=10020&limit=10000', '?after=20020&limit=5000']);
    expect(String(fetch.mock.calls[0]![0])).toContain('/api/v1/runs/r1/logs');
  });

  it('stops at the end of the stored log', async () => {
    const fetch = storedLog(12_000);
    vi.stubGlobal('fetch', fetch);
    const lines = await readRunLog('r1', 0, 50_000);
    expect(lines).toHaveLength(12_000);
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});
