import { describe, expect, it } from 'vitest';
import { ago, bytes, cost, duration, labels } from './format.ts';

describe('format', () => {
  it('says how long ago, and how long, in the largest units that read well', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    expect(ago('2026-12-02T11:59:58Z', now)).toBe('just now');
    expect(ago('2026-12-02T11:59:00Z', now)).toBe('1 min 0 s ago');
    expect(ago('2026-12-02T12:00:30Z', now)).toBe('in 30 s');
    expect(duration(3_600_000 * 3 + 60_000 * 5)).toBe('3 h 5 min');
    expect(duration(86_400_000 * 3)).toBe('3 d 0 h');
  });

  it('shows sizes, costs and labels compactly', () => {
    expect(bytes(512)).toBe('512 B');
    expect(bytes(1536)).toBe('1.5 KiB');
    expect(bytes(50 * 1024 * 1024)).toBe('50 MiB');
    expect(cost(null)).toBe('—');
    expect(cost(0.0042)).toBe('$0.0042');
    expect(cost(1.5)).toBe('$1.50');
    expect(labels({ os: 'linux', gpu: 'true' })).toEqual(['gpu=true', 'os=linux']);
  });
});
