// A schedule's cron expression as people read it, and its instants shown in its own time zone.
import cronstrue from 'cronstrue';

/** "At 09:00, Monday through Friday"; null when the expression cannot be read. */
export function cronInWords(expression: string): string | null {
  const trimmed = expression.trim();
  if (trimmed === '') return null;
  try {
    return cronstrue.toString(trimmed, { use24HourTimeFormat: true, throwExceptionOnParseError: true });
  } catch {
    return null;
  }
}

/** An instant as a wall-clock time in `timeZone`, with the zone's short name ("Mon, 7 Dec 2026, 09:00 CET"). */
export function instantIn(at: string, timeZone: string): string {
  const options: Intl.DateTimeFormatOptions = { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' };
  try {
    return new Date(at).toLocaleString(undefined, { ...options, timeZone });
  } catch {
    // A zone this browser does not know: say the instant in UTC rather than nothing.
    return new Date(at).toLocaleString(undefined, { ...options, timeZone: 'UTC' });
  }
}

/** The IANA zones this browser knows, for picking one. */
export function timeZones(): string[] {
  const intl = Intl as typeof Intl & { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf?.('timeZone') ?? [];
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}

export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}
