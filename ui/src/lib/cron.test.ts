import { describe, expect, it } from 'vitest';
import { cronInWords, instantIn, timeZones } from './cron.ts';

describe('cronInWords', () => {
  it('says a weekday morning schedule in words', () => {
    expect(cronInWords('0 9 * * MON-FRI')).toBe('At 09:00, Monday through Friday');
  });

  it('reads steps and the named shortcuts', () => {
    expect(cronInWords('*/15 * * * *')).toBe('Every 15 minutes');
    expect(cronInWords('@daily')).toBe('At 00:00');
  });

  it('gives nothing for an empty or broken expression', () => {
    expect(cronInWords('  ')).toBeNull();
    expect(cronInWords('every day')).toBeNull();
  });
});

describe('instantIn', () => {
  it('shows the wall-clock time of the given zone', () => {
    expect(instantIn('2026-01-05T08:00:00.000Z', 'Europe/Stockholm')).toMatch(/09:00/);
    expect(instantIn('2026-01-05T08:00:00.000Z', 'UTC')).toMatch(/08:00/);
  });

  it('falls back to UTC for a zone it does not know', () => {
    expect(instantIn('2026-01-05T08:00:00.000Z', 'Mars/Olympus')).toMatch(/08:00/);
  });
});

describe('timeZones', () => {
  it('always offers UTC', () => {
    expect(timeZones()).toContain('UTC');
  });
});
