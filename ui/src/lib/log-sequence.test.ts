import { describe, expect, it } from 'vitest';
import type { LogView } from '../api/types.ts';
import { LogSequencer } from './log-sequence.ts';

const l = (sequence: number): LogView => ({ sequence, stream: 'stdout', line: `line ${sequence}`, attempt: 1, at: '2026-12-02T09:00:00.000Z', event: null, data: null });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => l(from + i));

function collect(after = 0) {
  const delivered: number[] = [];
  const sequencer = new LogSequencer(after, (lines) => delivered.push(...lines.map((x) => x.sequence)));
  return { sequencer, delivered };
}

describe('LogSequencer', () => {
  it('hands lines on in order, each once, however the stream and a reconnect replay overlap', () => {
    const { sequencer, delivered } = collect();
    sequencer.push(range(1, 5));
    // The connection drops; the reconnect asks after 5, but a late duplicate of 4–5 arrives too.
    sequencer.push(range(4, 8));
    sequencer.push(range(6, 9));
    expect(delivered).toEqual(range(1, 9).map((x) => x.sequence));
    expect(sequencer.last).toBe(9);
    expect(sequencer.hasGap).toBe(false);
  });

  it('holds lines back behind a hole until the hole is filled', () => {
    const { sequencer, delivered } = collect();
    sequencer.push(range(1, 3));
    sequencer.push(range(7, 9));
    expect(delivered).toEqual([1, 2, 3]);
    expect(sequencer.hasGap).toBe(true);
    // The catch-up read of the stored log after 3 brings 4–8.
    sequencer.push(range(4, 8));
    expect(delivered).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sequencer.hasGap).toBe(false);
  });

  it('resumes after what the viewer already holds', () => {
    const { sequencer, delivered } = collect(100);
    sequencer.push(range(95, 102));
    expect(delivered).toEqual([101, 102]);
  });

  it('puts a batch that arrives out of order back in order', () => {
    const { sequencer, delivered } = collect();
    sequencer.push([l(3), l(1), l(2)]);
    expect(delivered).toEqual([1, 2, 3]);
  });
});
